// The network under simulation: owns the packet pool, the switches, the NICs (and through them
// every port/link), and the shared forwarding array endpoint -> (edge switch, port). The
// topology layer builds it through the builder API below; workloads talk to the NICs.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/attachment.hpp"
#include "models/gpu/pcie_stage.hpp"
#include "models/nic/message_observer.hpp"
#include "models/nic/nic.hpp"
#include "models/nvlink/domain.hpp"
#include "models/packet.hpp"
#include "models/params.hpp"
#include "models/switch/switch.hpp"
#include "sim/parallel.hpp"
#include "sim/simulator.hpp"

namespace fabricsim::models {

// A node of the fabric: a switch (index = add_switch order) or a NIC (index = endpoint id).
struct NodeRef {
  enum class Kind : std::uint8_t { kSwitch, kNic };
  Kind kind;
  std::uint32_t index;
  static NodeRef sw(std::uint32_t i) { return {Kind::kSwitch, i}; }
  static NodeRef nic(std::uint32_t i) { return {Kind::kNic, i}; }
};

// Bytes sent over the switch-to-switch links of one direction and level (LinkLevel).
struct LinkLoad {
  std::uint64_t sum_bytes = 0;
  std::uint64_t max_bytes = 0;
  std::uint64_t links = 0;
  bool operator==(const LinkLoad&) const = default;
};
// leaf_up: tier 0 -> 1, spine_down: 1 -> 0, spine_up: 1 -> 2, core_down: 2 -> 1, lateral: the
// same tier (dragonfly, torus) or tiers further apart.
enum class LinkLevel : std::uint8_t { kLeafUp, kSpineDown, kSpineUp, kCoreDown, kLateral, kCount };
const char* link_level_name(LinkLevel level);
inline constexpr std::size_t kMaxPlanes = 16;

struct FabricCounters {
  std::uint64_t packets_delivered = 0;  // packets of any kind that reached their NIC
  std::uint64_t packet_hops = 0;        // packet-link traversals: data, ACK, NACK, CNP, PAUSE
  std::uint64_t drops = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> drops_by_reason{};
  std::uint64_t retransmissions = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t ecn_marks = 0;
  std::uint64_t cnps = 0;
  std::uint64_t pfc_pause_frames = 0;    // PAUSE with quanta > 0 (refreshes included)
  std::uint64_t pfc_resume_frames = 0;   // PAUSE with quanta 0
  std::uint64_t max_queue_bytes = 0;     // deepest egress port queue seen anywhere
  std::uint64_t bytes_delivered = 0;     // payload delivered in order to receivers
  std::uint64_t messages_completed = 0;  // fully acknowledged at their senders
  std::uint64_t qp_errors = 0;           // QPs that went to the error state (retries exhausted)
  // Faults (models/faults/): the packets they cost are drops_by_reason kBlackHole / kLinkDown.
  std::uint64_t fault_lost_bytes = 0;  // wire bytes of those packets
  std::uint64_t link_failures = 0;     // link ends that failed (two per link failure)
  // Multipath (MRC, trimming, planes):
  std::uint64_t trims = 0;            // data packets switches cut to their header
  std::uint64_t nacks = 0;            // NACKs of trimmed packets the senders received
  std::uint64_t packet_timeouts = 0;  // MRC packets declared lost by their timer
  std::uint64_t ev_swaps = 0;
  std::uint64_t ev_retirements = 0;
  std::uint64_t ev_probes = 0;
  std::uint64_t ev_revivals = 0;
  std::array<std::uint64_t, kMaxPlanes> plane_tx_bytes{};  // sent by the NICs' ports of a plane
  std::array<std::uint64_t, kMaxPlanes> plane_trims{};     // trims by the switches of a plane
  std::array<LinkLoad, static_cast<std::size_t>(LinkLevel::kCount)> link_load{};
  bool operator==(const FabricCounters&) const = default;
};

class Fabric {
 public:
  // The simulator must outlive the fabric.
  explicit Fabric(sim::Simulator& sim);
  Fabric(const Fabric&) = delete;
  Fabric& operator=(const Fabric&) = delete;
  ~Fabric();

  // Parallel runs: places every node in a partition of `engine` (not owned; must outlive the
  // fabric), before any node is added. switch_partition[s] / nic_partition[e] give the
  // partition of switch s / NIC e; a NIC's PCIe stage and an NVLink domain go with their NICs.
  // Each partition gets its own packet pool and flow log; links between partitions are cut
  // (Port::set_remote). Ids and construction order are those of a single-simulator fabric.
  void set_partitions(sim::ParallelEngine& engine, std::vector<std::uint32_t> switch_partition,
                      std::vector<std::uint32_t> nic_partition);
  std::uint32_t partition_count() const { return static_cast<std::uint32_t>(pools_.size()); }
  std::uint32_t switch_partition(std::uint32_t s) const {
    return switch_part_.empty() ? 0 : switch_part_[s];
  }
  std::uint32_t nic_partition(EndpointId e) const { return nic_part_.empty() ? 0 : nic_part_[e]; }
  // The simulator of partition p (the fabric's own without partitions).
  sim::Simulator& partition_simulator(std::uint32_t p) const {
    return engine_ == nullptr ? *sim_ : engine_->simulator(p);
  }
  // The smallest delay of a link between partitions (Time::max() when none is cut), and how
  // many links are cut.
  sim::Time min_cut_delay() const { return min_cut_delay_; }
  std::uint64_t cut_links() const { return cut_links_; }
  // After a parallel run: the partitions' flow logs merged into flows() in completion order
  // (time, then the completing event's tie key), the order a single simulator logs them in.
  void merge_flow_logs();
  // A partition's flow log (parallel runs), e.g. to put there what another process logged.
  std::vector<FlowRecord>& partition_flows(std::uint32_t partition) {
    return part_flows_.at(partition);
  }
  // Distributed runs: this process runs partition p only. The NICs of the other partitions keep
  // their queue-pair numbering only (Nic::keep_qp_numbers_only), not their QP state. Before
  // any queue pair is made.
  void run_only_partition(std::uint32_t p);
  // Whether this process runs partition p (every partition unless run_only_partition()).
  bool runs_partition(std::uint32_t p) const {
    return only_partition_ == kEveryPartition || p == only_partition_;
  }
  // Makes every NIC refuse to create queue pairs across partitions from now on.
  void seal_remote_connections() {
    for (Nic* n : nics_)
      n->seal_remote_connections(true);
  }

  // Builder API (used by topologies/): switches are numbered 0.. in creation order, endpoints
  // (NICs) 0..N-1 in creation order.
  // `plane`: multi-plane fabrics (every NIC has one port into each of several disjoint planes)
  // keep one endpoint attachment array per plane; a switch routes by its plane's.
  std::uint32_t add_switch(std::uint16_t ports, const SwitchParams& params, std::uint8_t tier,
                           std::uint8_t plane = 0);
  // Every switch keeps HPCC's per-port utilization and stamps it on data packets
  // (Switch::enable_utilization_telemetry); the fabric builder calls it for nic.cc hpcc.
  void enable_utilization_telemetry(sim::Time base_rtt) {
    for (auto& s : switches_)
      s->enable_utilization_telemetry(base_rtt);
  }
  // A NIC with `ports` network ports (one per plane; more than one needs nic.transport mrc).
  EndpointId add_nic(const NicParams& params, std::uint16_t ports = 1);
  // GPU e is served by NIC e. With gpu.pcie_rate > 0, NIC `nic` reaches the network through a
  // PCIe stage (models/gpu/pcie_stage.hpp): call after add_nic and before the NIC is connected;
  // its port is then wired at the PCIe rate to the stage, and connect(NodeRef::nic(nic), 0, ..)
  // wires the stage's network side instead. No-op when pcie_rate is 0.
  void add_pcie(EndpointId nic, const GpuParams& gpu);
  PcieStage* pcie(EndpointId nic) { return nic < pcie_.size() ? pcie_[nic].get() : nullptr; }
  // Full duplex: both directions get `link`. Each port may be connected once.
  void connect(NodeRef a, std::uint16_t port_a, NodeRef b, std::uint16_t port_b,
               const LinkParams& link);
  // Endpoint `endpoint` is reached through port `port` of switch `edge_switch` (in that switch's
  // plane). Edge switches get dense edge indexes in the order they first appear here (see
  // edge_index()), over every plane.
  void set_endpoint_attachment(EndpointId endpoint, std::uint32_t edge_switch, std::uint16_t port);
  // The dense index of an edge switch (kNoSwitch if no endpoint is attached to it) and back.
  std::uint32_t edge_index(std::uint32_t switch_index) const;
  const std::vector<std::uint32_t>& edge_switches() const { return edge_switches_; }
  // Forwarding of switch `switch_index` towards endpoints on other edge switches:
  // group_of_edge[edge index] = ECMP group id (RouteTable::kNoGroup = unreachable),
  // groups[id] = egress ports of that switch. De-duplicate groups: memory is per group.
  void set_routes(std::uint32_t switch_index, std::vector<std::uint16_t> group_of_edge,
                  const std::vector<std::vector<std::uint16_t>>& groups);
  // The same from a ready table (routing convergence under faults).
  void install_routes(std::uint32_t switch_index, const RouteTable& table) {
    switches_.at(switch_index)->install_routes(table);
  }

  // An NVLink domain (models/nvlink/) over GPUs `gpus` (ids shared with the NICs: GPU e is
  // served by NIC e); a GPU belongs to at most one domain. Returns the domain's index.
  std::uint32_t add_nvlink_domain(const NvlinkParams& params, std::vector<EndpointId> gpus);

  // Workload side.
  // For every NIC and NVLink domain (not owned).
  void set_observer(MessageObserver* observer);
  void set_nvls_observer(NvlsObserver* observer);  // for every NVLink domain (not owned)
  // A message between NICs (the NIC of GPU src to the NIC of GPU dst, through PCIe stages
  // where the topology has them), whatever the GPUs' NVLink domains.
  MessageId send_message(EndpointId src, EndpointId dst, std::uint64_t bytes, std::uint32_t channel,
                         std::uint64_t cookie) {
    return nics_[src]->send_message(dst, bytes, channel, cookie);
  }
  // A message from GPU src to GPU dst by the path a GPU would use: over NVLink when both are in
  // one NVLink domain (`channel` is then not used), else through src's PCIe, NIC and the
  // network (send_message). Completions: MessageObserver::on_message_received at dst and
  // on_message_sent at src, with the GPU ids and `cookie`.
  MessageId send_gpu_message(EndpointId src, EndpointId dst, std::uint64_t bytes,
                             std::uint32_t channel, std::uint64_t cookie);
  // The NVLink domain of GPU `gpu` (kNoDomain when none) and the GPU's index in it.
  static constexpr std::uint32_t kNoDomain = 0xFFFFFFFF;
  std::uint32_t nvlink_domain_of(EndpointId gpu) const {
    return gpu < domain_of_.size() ? domain_of_[gpu] : kNoDomain;
  }
  // Whether a GPU message from src to dst goes over a simulated NVLink domain (not the NICs).
  bool nvlink_path(EndpointId src, EndpointId dst) const {
    const std::uint32_t d = nvlink_domain_of(src);
    return d != kNoDomain && d == nvlink_domain_of(dst);
  }
  std::uint32_t nvlink_local_index(EndpointId gpu) const { return local_of_[gpu]; }
  std::uint32_t nvlink_domain_count() const { return static_cast<std::uint32_t>(domains_.size()); }
  NvlinkDomain& nvlink_domain(std::uint32_t index) { return *domains_[index]; }
  // GPU `gpu` joins the in-switch all-reduce `cookie` of its NVLink domain (every GPU of the
  // domain posts it with the same size): see NvlinkDomain::post_nvls_allreduce. Completion per
  // GPU: NvlsObserver::on_nvls_allreduce_done.
  void post_nvls_allreduce(EndpointId gpu, std::uint64_t bytes, std::uint64_t cookie);
  const std::vector<FlowRecord>& flows() const { return flows_; }

  // Accessors and probes.
  sim::Simulator& simulator() const { return *sim_; }
  PacketPool& pool() { return *pools_[0]; }
  std::uint32_t switch_count() const { return static_cast<std::uint32_t>(switches_.size()); }
  std::uint32_t nic_count() const { return static_cast<std::uint32_t>(nics_.size()); }
  Switch& switch_at(std::uint32_t index) { return *switches_[index]; }
  const Switch& switch_at(std::uint32_t index) const { return *switches_[index]; }
  Nic& nic(EndpointId id) { return *nics_[id]; }
  const Nic& nic(EndpointId id) const { return *nics_[id]; }
  Node& node(NodeRef ref);
  // The port wired into the network as local port `port` of `ref`: a NIC behind a PCIe stage
  // is wired through the stage's network side.
  Port& network_port(NodeRef ref, std::uint16_t port);
  std::uint32_t partition_of(NodeRef ref) const {
    return ref.kind == NodeRef::Kind::kSwitch ? switch_partition(ref.index)
                                              : nic_partition(ref.index);
  }
  std::uint64_t link_count() const { return links_; }
  const std::vector<Attachment>& attachments(std::uint8_t plane = 0) const {
    return plane == 0 ? attachments_ : *plane_attachments_.at(plane - 1U);
  }
  std::uint32_t plane_count() const {
    return 1 + static_cast<std::uint32_t>(plane_attachments_.size());
  }
  std::uint8_t switch_plane(std::uint32_t s) const { return switch_plane_[s]; }
  FabricCounters counters() const;
  // Every QP error of the NICs this process runs, by time (then NIC, peer, channel): the same
  // list for every partitioning.
  std::vector<QpErrorRecord> qp_errors() const;

 private:
  sim::Simulator& sim_of_switch(std::uint32_t s) const;
  sim::Simulator& sim_of_nic(EndpointId e) const;

  sim::Simulator* sim_;
  std::vector<std::unique_ptr<PacketPool>> pools_;  // one per partition
  sim::ParallelEngine* engine_ = nullptr;           // parallel runs only
  std::vector<std::uint32_t> switch_part_;          // empty: one partition
  std::vector<std::uint32_t> nic_part_;
  std::vector<std::vector<FlowRecord>> part_flows_;  // per partition (parallel runs)
  std::vector<std::unique_ptr<sim::PayloadAdopter>> adopters_;
  sim::Time min_cut_delay_ = sim::Time::max();
  std::uint64_t cut_links_ = 0;
  static constexpr std::uint32_t kEveryPartition = 0xFFFFFFFF;
  std::uint32_t only_partition_ = kEveryPartition;
  std::vector<std::unique_ptr<Switch>> switches_;
  std::vector<std::unique_ptr<Nic>> nic_storage_;
  std::vector<std::unique_ptr<PcieStage>> pcie_;  // per NIC, null without a PCIe hop
  std::vector<std::unique_ptr<NvlinkDomain>> domains_;
  std::vector<std::uint32_t> domain_of_;  // per GPU: its NVLink domain or kNoDomain
  std::vector<std::uint32_t> local_of_;   // per GPU: its index in the domain
  MessageObserver* observer_ = nullptr;
  NvlsObserver* nvls_observer_ = nullptr;
  std::vector<Nic*> nics_;               // the directory NICs use to find their peers
  std::vector<Attachment> attachments_;  // plane 0
  // Planes 1.. (heap-held: switches keep a pointer to their plane's array).
  std::vector<std::unique_ptr<std::vector<Attachment>>> plane_attachments_;
  std::vector<std::uint8_t> switch_plane_;  // per switch
  // Per switch, per port: the LinkLevel of the link it sends on (kCount: not to a switch).
  std::vector<std::vector<std::uint8_t>> port_level_;
  std::vector<std::uint32_t> edge_switches_;
  std::vector<std::uint32_t> edge_index_of_switch_;
  std::vector<FlowRecord> flows_;
  std::uint64_t links_ = 0;
};

}  // namespace fabricsim::models
