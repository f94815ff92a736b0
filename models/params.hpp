// Parameters of the network models, declared once (see sim/params.hpp): defaults here are the
// defaults of every topology and scenario; topology/scenario JSON blocks "link", "switch" and
// "nic" override them field by field. Models own their behaviour; this file owns the knobs.
#pragma once

#include <cstdint>

#include "models/cc/cc_params.hpp"
#include "sim/params.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

using sim::ParamUnit;

// Link technology. Ethernet links are flow-controlled by PFC (a switch setting); every other
// type is lossless by credits: an egress sends only while it holds credits for the peer's
// ingress buffer of the packet's virtual lane (see models/README.md, "Credits").
enum class LinkType : std::uint8_t { kEthernet, kInfiniband, kNvlink, kPcie };
inline bool credit_based(LinkType t) {
  return t != LinkType::kEthernet;
}

// InfiniBand service level -> virtual lane map (one entry per SL the models use, 0..3).
struct SlToVlParams {
  std::uint32_t sl0 = 0;
  std::uint32_t sl1 = 1;
  std::uint32_t sl2 = 2;
  std::uint32_t sl3 = 3;
  bool operator==(const SlToVlParams&) const = default;

  template <class V>
  void visit_params(V& v) {
    v("sl0", sl0, ParamUnit::kCount, "virtual lane of service level 0 (ACK, NACK, CNP)");
    v("sl1", sl1, ParamUnit::kCount, "virtual lane of service level 1");
    v("sl2", sl2, ParamUnit::kCount, "virtual lane of service level 2");
    v("sl3", sl3, ParamUnit::kCount, "virtual lane of service level 3");
  }
};

// Weighted round-robin between virtual lanes on credit-based links: while several lanes have
// packets and credits, lane i gets weight_i / sum(weights) of the link (deficit round robin
// with a quantum of weight x MTU bytes).
struct VlArbitrationParams {
  std::uint32_t vl0 = 1;
  std::uint32_t vl1 = 1;
  std::uint32_t vl2 = 1;
  std::uint32_t vl3 = 1;
  bool operator==(const VlArbitrationParams&) const = default;

  template <class V>
  void visit_params(V& v) {
    v("vl0", vl0, ParamUnit::kCount, "weight of virtual lane 0 (at least 1)");
    v("vl1", vl1, ParamUnit::kCount, "weight of virtual lane 1 (at least 1)");
    v("vl2", vl2, ParamUnit::kCount, "weight of virtual lane 2 (at least 1)");
    v("vl3", vl3, ParamUnit::kCount, "weight of virtual lane 3 (at least 1)");
  }
};

struct LinkParams {
  std::uint64_t rate_bps = 100'000'000'000ULL;
  sim::Time delay = sim::Time::us(1);
  std::uint32_t mtu_bytes = 4096;
  double loss_rate = 0.0;
  LinkType type = LinkType::kEthernet;
  SlToVlParams sl_to_vl;
  VlArbitrationParams vl_arbitration;
  bool operator==(const LinkParams&) const = default;

  template <class V>
  void visit_params(V& v) {
    v("rate", rate_bps, ParamUnit::kRate, "line rate of each direction");
    v("delay", delay, ParamUnit::kTime, "propagation delay of each direction");
    v("mtu", mtu_bytes, ParamUnit::kBytes, "largest payload of one packet");
    v("loss_rate", loss_rate, ParamUnit::kReal, "probability that a packet is lost on the link");
    v("type", type,
      sim::Choices<LinkType>{{"ethernet", LinkType::kEthernet},
                             {"infiniband", LinkType::kInfiniband},
                             {"nvlink", LinkType::kNvlink},
                             {"pcie", LinkType::kPcie}},
      "link technology: ethernet (PFC, lossy or lossless) or a credit-based lossless link");
    v.nested("sl_to_vl", sl_to_vl, "service level -> virtual lane (credit-based links)");
    v.nested("vl_arbitration", vl_arbitration,
             "weighted round-robin between virtual lanes (credit-based links)");
  }
};

enum class Forwarding { kStoreAndForward, kCutThrough };
// ecmp: a hash of the flow (addresses, QP, entropy); spray: round-robin per packet; adaptive:
// the least-loaded port; entropy: port entropy mod group size, so that consecutive entropy values
// (MRC's structured EVs) take consecutive ports: source routing by EV, as MRC's SRv6 paths do.
enum class Routing { kEcmp, kSpray, kAdaptive, kEntropy };

// Where a switch decides an ECN mark: on the egress queue a packet joins (enqueue) or on the one
// it leaves behind when it is sent (dequeue). Marking at dequeue tells the sender a whole queue's
// sojourn earlier; the default and its sources are in models/switch/README.md.
enum class EcnMarkPoint : std::uint8_t { kDequeue, kEnqueue };

struct EcnParams {
  bool enabled = true;
  EcnMarkPoint mark = EcnMarkPoint::kDequeue;
  std::uint64_t kmin_bytes = 100'000;  // the HPCC ns-3 100 Gb/s setting (Kmin 100 KB)
  std::uint64_t kmax_bytes = 400'000;
  double pmax = 0.2;

  template <class V>
  void visit_params(V& v) {
    v("enabled", enabled, ParamUnit::kFlag, "mark ECN CE on egress per RED");
    v("mark", mark,
      sim::Choices<EcnMarkPoint>{{"dequeue", EcnMarkPoint::kDequeue},
                                 {"enqueue", EcnMarkPoint::kEnqueue}},
      "when the mark is decided: on the queue a packet leaves behind (dequeue) or joins "
      "(enqueue)");
    v("kmin", kmin_bytes, ParamUnit::kBytes, "queue depth where marking starts");
    v("kmax", kmax_bytes, ParamUnit::kBytes, "queue depth where every packet is marked");
    v("pmax", pmax, ParamUnit::kReal, "marking probability just below kmax");
  }
};

struct PfcParams {
  bool enabled = true;
  // 0 = auto: dt_alpha x (shared buffer not yet used), i.e. the dynamic threshold on ingress.
  std::uint64_t xoff_bytes = 0;
  std::uint64_t xon_bytes = 0;  // 0 = auto: xoff minus two MTUs (frames of the link's MTU)
  // 0 = auto, per (port, priority): rate x (2 x link delay + switch latency) + 3 frames of
  // MTU + 128 B: what may still arrive after the decision to pause.
  std::uint64_t headroom_bytes = 0;

  template <class V>
  void visit_params(V& v) {
    v("enabled", enabled, ParamUnit::kFlag, "lossless: PAUSE upstream instead of dropping");
    v("xoff", xoff_bytes, ParamUnit::kBytes, "ingress bytes that trigger PAUSE (0 = auto)");
    v("xon", xon_bytes, ParamUnit::kBytes, "ingress bytes below which RESUME is sent (0 = auto)");
    v("headroom", headroom_bytes, ParamUnit::kBytes,
      "buffer reserved per ingress queue for in-flight bytes after PAUSE (0 = auto: rate x (2 "
      "delay + latency) + 3 MTU-sized frames)");
  }
};

// Packet trimming (lossy multipath fabrics, MRC / Ultra Ethernet): a data packet that would
// overflow its egress queue is cut to its header and forwarded in a high-priority class, so the
// receiver learns of the loss at once and asks for exactly that packet again (models/switch/).
struct TrimParams {
  bool enabled = false;
  // 0 = trim what the buffer would drop (dynamic threshold, static limit, full buffer);
  // > 0: also trim a data packet whose egress queue would exceed this many bytes.
  std::uint64_t threshold_bytes = 0;
  // What is left of a trimmed packet: 64 B, uet-htsim's header size (UecSrc::_hdr_size) and
  // the size of its ACKs.
  std::uint32_t header_bytes = 64;
  std::uint32_t priority = 0;  // class 0: served first, with the ACKs and NACKs

  template <class V>
  void visit_params(V& v) {
    v("enabled", enabled, ParamUnit::kFlag,
      "cut a data packet that would overflow its queue to its header instead of dropping it");
    v("threshold", threshold_bytes, ParamUnit::kBytes,
      "egress queue bytes above which data packets are trimmed (0 = only what would be dropped)");
    v("header_bytes", header_bytes, ParamUnit::kBytes, "wire size of a trimmed packet");
    v("priority", priority, ParamUnit::kCount, "traffic class a trimmed header is forwarded in");
  }
};

struct SwitchParams {
  std::uint64_t buffer_bytes = 32ULL << 20;
  double dt_alpha = 1.0;
  Forwarding forwarding = Forwarding::kStoreAndForward;
  sim::Time latency = sim::Time::ns(300);
  std::uint32_t priorities = 2;
  std::uint64_t queue_limit_bytes = 0;  // 0 = no static limit
  EcnParams ecn;
  PfcParams pfc;
  TrimParams trim;
  Routing routing = Routing::kEcmp;
  // 0 = auto: buffer / (ports x priorities).
  std::uint64_t credit_buffer_bytes = 0;
  std::uint64_t hash_seed = 0;  // 0 = the scenario's seed

  template <class V>
  void visit_params(V& v) {
    v("buffer", buffer_bytes, ParamUnit::kBytes, "shared packet buffer of the switch");
    v("dt_alpha", dt_alpha, ParamUnit::kReal,
      "dynamic threshold: a queue may hold alpha x the free buffer");
    v("forwarding", forwarding,
      sim::Choices<Forwarding>{{"store_and_forward", Forwarding::kStoreAndForward},
                               {"cut_through", Forwarding::kCutThrough}},
      "whether a packet must arrive whole before it is forwarded");
    v("latency", latency, ParamUnit::kTime, "pipeline latency from ingress to egress");
    v("priorities", priorities, ParamUnit::kCount,
      "traffic classes (queues) per egress port, at most 4; class 0 (ACK, NACK, CNP) is served "
      "first");
    v("queue_limit", queue_limit_bytes, ParamUnit::kBytes,
      "static limit of one egress queue on top of the dynamic threshold (0 = none)");
    v.nested("ecn", ecn, "ECN marking (RED) on egress queues");
    v.nested("pfc", pfc, "priority flow control");
    v.nested("trim", trim, "packet trimming (lossy multipath: MRC, Ultra Ethernet)");
    v("routing", routing,
      sim::Choices<Routing>{{"ecmp", Routing::kEcmp},
                            {"spray", Routing::kSpray},
                            {"adaptive", Routing::kAdaptive},
                            {"entropy", Routing::kEntropy}},
      "how an egress is chosen among equal-cost next hops: a flow hash, per-packet round robin, "
      "the least-loaded port, or the packet's entropy mod the group size (MRC structured EVs)");
    v("credit_buffer", credit_buffer_bytes, ParamUnit::kBytes,
      "ingress buffer per port and virtual lane advertised as credits on credit-based links "
      "(0 = auto: buffer / (ports x priorities))");
    v("hash_seed", hash_seed, ParamUnit::kCount,
      "seed of the ECMP hash functions, each switch its own (0 = the scenario's seed)");
  }
};

enum class NicTransport { kRoce, kInfiniband, kMrc };

// Multipath Reliable Connection (nic.transport "mrc", models/mrc/): every packet of a queue
// pair takes its own entropy value (EV), spread evenly over the NIC's planes; the receiver
// places packets out of order, acknowledges each selectively (SACK) and NACKs a trimmed one;
// congestion on an EV (a CE mark, a trim) swaps it for a fresh EV, a loss retires it until a
// probe finds it good again. Sources in models/mrc/README.md.
enum class MrcPaths : std::uint8_t { kHashed, kStructured };

struct MrcParams {
  // EVs per queue pair: MRC NICs make 128 to 256 at QP start-up, split evenly over the 8 planes
  // (MRC 1.0 descriptions, models/mrc/README.md); uet-htsim sprays over 256.
  std::uint32_t evs = 128;
  // Retransmit timer of a packet not acknowledged: uet-htsim's minimum RTO, 100 us
  // (DEFAULT_UEC_RTO_MIN).
  sim::Time rto = sim::Time::us(100);
  // A retired EV is probed (one packet sent on it) this long after its loss.
  sim::Time probe_after = sim::Time::us(100);
  // Most packets of one QP in flight or awaiting acknowledgement: uet-htsim's
  // uecMaxInFlightPkts, 2^14. Bounds the receiver's reordering window.
  std::uint32_t max_outstanding = 16384;
  // Swap an EV whose packet came back CE-marked (congestion steers away from the path).
  bool swap_on_ecn = true;
  // hashed: EVs drawn at random (the switches' ECMP hash spreads them, with its collisions);
  // structured: a QP's EVs on a plane are consecutive values from a random start, so that with
  // switch.routing "entropy" they take every uplink of a switch equally (MRC's static SRv6
  // paths); a swap then moves an EV by a whole round of the plane's EVs, keeping its port.
  MrcPaths paths = MrcPaths::kHashed;

  template <class V>
  void visit_params(V& v) {
    v("evs", evs, ParamUnit::kCount, "entropy values (paths) per queue pair, spread over planes");
    v("rto", rto, ParamUnit::kTime, "retransmit timer of an unacknowledged packet");
    v("probe_after", probe_after, ParamUnit::kTime,
      "how long a retired EV (a lost packet) waits before a probe packet tries it again");
    v("max_outstanding", max_outstanding, ParamUnit::kCount,
      "most packets of a queue pair sent and not yet acknowledged");
    v("swap_on_ecn", swap_on_ecn, ParamUnit::kFlag,
      "replace an EV by a fresh one when its packet arrives CE-marked");
    v("paths", paths,
      sim::Choices<MrcPaths>{{"hashed", MrcPaths::kHashed}, {"structured", MrcPaths::kStructured}},
      "EVs drawn at random (hashed by ECMP) or consecutive per plane (structured: with "
      "switch.routing entropy, every uplink equally)");
  }
};
// How a receiver reports CE marks to the sender: a CNP packet, paced per QP (the ConnectX
// notification point), or a flag on the ACK/NACK of each marked packet (ns-3 HPCC).
enum class CeEcho { kCnp, kAck };

struct NicParams {
  NicTransport transport = NicTransport::kRoce;
  std::uint32_t ack_every = 1;
  // The RC local ACK timeout, 4.096 us x 2^ack_timeout (InfiniBand Architecture Specification,
  // ibv_modify_qp(3) `timeout`; 0 = infinite), and the retries before the QP goes to the error
  // state (`retry_cnt`, 0..7). Defaults: what NCCL sets on every QP it makes, NCCL_IB_TIMEOUT 20
  // (4.29 s) and NCCL_IB_RETRY_CNT 7 (NVIDIA/nccl src/transport/net_ib; models/nic/README.md).
  std::uint32_t ack_timeout = 20;
  std::uint32_t retry_count = 7;
  sim::Time rto = sim::Time::zero();  // 0 = auto: 4.096 us x 2^ack_timeout
  // ConnectX notification point: min_time_between_cnps, 4 us in the firmware defaults
  // (models/cc/sources.md 1.2). The DCQCN paper's NP sends one per 50 us (preset "paper").
  sim::Time cnp_interval = sim::Time::us(4);
  CeEcho ce_echo = CeEcho::kCnp;
  std::uint32_t header_bytes = 62;  // Ethernet 14 + FCS 4 + IPv4 20 + UDP 8 + BTH 12 + ICRC 4
  std::uint32_t ack_bytes = 64;
  std::uint32_t data_priority = 1;  // ACK, NACK and CNP always use class 0
  CcParams cc;                      // congestion control of every QP (models/cc/)
  MrcParams mrc;                    // transport "mrc" only

  // The retransmission timeout in force: `rto`, or 4.096 us x 2^ack_timeout; max() = never.
  sim::Time effective_rto() const {
    if (rto > sim::Time::zero()) return rto;
    if (ack_timeout == 0 || ack_timeout > 31) return sim::Time::max();
    return sim::Time::ns(4096) * (std::int64_t{1} << ack_timeout);
  }

  template <class V>
  void visit_params(V& v) {
    v("transport", transport,
      sim::Choices<NicTransport>{{"roce", NicTransport::kRoce},
                                 {"infiniband", NicTransport::kInfiniband},
                                 {"mrc", NicTransport::kMrc}},
      "RoCEv2 over lossless Ethernet, native InfiniBand, or MRC (multipath: per-packet "
      "spraying over planes, selective retransmission)");
    v("ack_every", ack_every, ParamUnit::kCount, "data packets per ACK (coalescing)");
    v("ack_timeout", ack_timeout, ParamUnit::kCount,
      "RC local ACK timeout exponent: 4.096 us x 2^value (0 = infinite; at most 31)");
    v("retry_count", retry_count, ParamUnit::kCount,
      "timeouts in a row without progress a QP survives; one more puts it in the error state "
      "(at most 7)");
    v("rto", rto, ParamUnit::kTime,
      "retransmission timeout; 0 = auto: the ack_timeout's 4.096 us x 2^ack_timeout");
    v("cnp_interval", cnp_interval, ParamUnit::kTime,
      "at most one CNP per queue pair per interval (notification point)");
    v("ce_echo", ce_echo, sim::Choices<CeEcho>{{"cnp", CeEcho::kCnp}, {"ack", CeEcho::kAck}},
      "how CE marks reach the sender: cnp (a CNP packet, at most one per cnp_interval and QP) "
      "or ack (a flag on the ACK or NACK of each marked packet, ns-3 HPCC)");
    v("header_bytes", header_bytes, ParamUnit::kBytes, "per-packet header and trailer bytes");
    v("ack_bytes", ack_bytes, ParamUnit::kBytes, "wire size of ACK, NACK and CNP packets");
    v("data_priority", data_priority, ParamUnit::kCount,
      "traffic class of data packets (ACK, NACK and CNP use class 0)");
    v.nested("cc", cc, "congestion control of each queue pair (reaction point)");
    v.nested("mrc", mrc, "multipath reliable connection (transport mrc)");
  }
};

// The GPU-side collective model of one GPU generation (workloads/nccl/ and the sim transport):
// how far NCCL's kernels get below the links' line rates. The defaults are the ideal model
// (every link at its line rate, in-switch reduction everywhere); the hardware presets
// (configs/hardware/) set measured values, each with its source.
enum class DefaultProtocol : std::uint8_t { kIdeal, kAuto };

struct NcclParams {
  // What a collective that names no protocol gets: the ideal model, or NCCL's protocols and
  // tuner (the hardware presets' choice).
  DefaultProtocol protocol = DefaultProtocol::kIdeal;
  // Compute capability x 10 (80 A100, 90 H100/H200, 100 B200/GB200): selects NCCL's per-arch
  // bandwidth tables (src/graph/tuning.cc) in the tuner.
  std::uint32_t arch = 90;
  double nvlink_efficiency = 1.0;  // a p2p copy's share of the NVLink line rate
  bool nvls = true;                // NVLink SHARP (multimem) in the NVSwitches
  double nvls_efficiency = 1.0;    // share of the NVLS data-path bound B n / (n + 1) reached
  // Network throughput a GPU's proxy path (GPUDirect RDMA over PCIe) delivers, as a share of
  // its NIC's line rate.
  double net_efficiency = 1.0;
  std::uint32_t max_channels = 0;  // channels of the tuner's choice (0: NCCL's per-arch rule)

  template <class V>
  void visit_params(V& v) {
    v("protocol", protocol,
      sim::Choices<DefaultProtocol>{{"ideal", DefaultProtocol::kIdeal},
                                    {"auto", DefaultProtocol::kAuto}},
      "protocol of a collective that names none: ideal (no GPU-side costs) or auto (NCCL's "
      "protocols, algorithm and channels by its tuner)");
    v("arch", arch, ParamUnit::kCount,
      "compute capability x 10 (80, 90, 100): NCCL's per-arch tuning tables");
    v("nvlink_efficiency", nvlink_efficiency, ParamUnit::kReal,
      "share of the NVLink line rate a GPU-to-GPU copy reaches (0 < e <= 1)");
    v("nvls", nvls, ParamUnit::kFlag, "NVLink SHARP (in-switch reduction) available");
    v("nvls_efficiency", nvls_efficiency, ParamUnit::kReal,
      "share of the NVLS all-reduce bound B n / (n + 1) reached (0 < e <= 1)");
    v("net_efficiency", net_efficiency, ParamUnit::kReal,
      "share of the NIC line rate the GPU's proxy path delivers (0 < e <= 1)");
    v("max_channels", max_channels, ParamUnit::kCount,
      "channels the tuner uses (0: NCCL's rule for the architecture)");
  }
};

// The GPU endpoint (models/gpu/): its PCIe link to its NIC, and the compute figures the
// collective transport uses (reduction throughput, per-operation launch latency).
struct GpuParams {
  std::uint64_t reduce_bandwidth_bps = 12'000'000'000'000ULL;  // 1500 GB/s
  std::uint64_t copy_bandwidth_bps = 12'000'000'000'000ULL;    // 1500 GB/s
  sim::Time launch_latency = sim::Time::us(5);
  sim::Time step_latency = sim::Time::zero();
  std::uint64_t pcie_rate_bps = 0;  // 0 = none: the NIC reads and writes GPU memory at line rate
  sim::Time pcie_delay = sim::Time::ns(500);
  std::uint64_t pcie_buffer_bytes = 256 * 1024;
  NcclParams nccl;

  template <class V>
  void visit_params(V& v) {
    v("reduce_bandwidth", reduce_bandwidth_bps, ParamUnit::kRate,
      "throughput of a local reduction (bytes of each input per second)");
    v("copy_bandwidth", copy_bandwidth_bps, ParamUnit::kRate,
      "throughput of a local copy between a GPU's buffers");
    v("launch_latency", launch_latency, ParamUnit::kTime,
      "kernel launch: paid once per collective (each iteration) and rank before its first step");
    v("step_latency", step_latency, ParamUnit::kTime,
      "per-step overhead: paid by every send, reduction and copy a collective posts");
    v("pcie_rate", pcie_rate_bps, ParamUnit::kRate,
      "PCIe rate per direction between the GPU and its NIC, e.g. 64GBps for Gen5 x16 (0 = auto: "
      "no PCIe hop modelled)");
    v("pcie_delay", pcie_delay, ParamUnit::kTime, "one-way PCIe latency (DMA) between GPU and NIC");
    v("pcie_buffer", pcie_buffer_bytes, ParamUnit::kBytes,
      "NIC buffer per direction and lane between PCIe and the network, advertised as credits");
    v.nested("nccl", nccl, "the GPU-side collective model of this GPU generation");
  }
};

// One NVLink scale-up domain (models/nvlink/): `gpus` GPUs, each with `links` NVLink links
// spread round-robin over `switches` NVSwitch chips (link i of every GPU goes to chip
// i % switches). Per-GPU bandwidth per direction = links x link.rate. Lossless by credits.
struct NvlinkParams {
  std::uint32_t links = 18;
  std::uint32_t switches = 4;
  LinkParams link = [] {
    LinkParams l;
    l.type = LinkType::kNvlink;
    l.rate_bps = 200'000'000'000ULL;  // 25 GB/s per link and direction (NVLink 4)
    l.delay = sim::Time::ns(50);
    l.mtu_bytes = 4096;
    return l;
  }();
  sim::Time switch_latency = sim::Time::ns(50);  // NVSwitch pipeline (cut-through)
  std::uint32_t header_bytes = 16;
  std::uint64_t credit_buffer_bytes = 64 * 1024;  // NVSwitch ingress per port and lane
};

}  // namespace fabricsim::models
