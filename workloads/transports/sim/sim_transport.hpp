// The `sim` transport: runs collective Schedules on the simulated fabric. A send is one RDMA
// WRITE message from the source GPU's NIC (one queue pair per (peer, channel)); a receive
// completes when that message has fully arrived; reductions and copies take bytes / GPU
// throughput on a per-GPU engine that serves them in order; every posted send, reduction and
// copy first pays the GPU's step latency. Completions arrive as simulator events, never from
// inside a post call.
//
// Sends go through Fabric::send_gpu_message: over the simulated NVLink domain when the fabric
// has one (packet level, models/nvlink), else through PCIe, the NIC and the network. Without a
// simulated domain, an NVLink domain can be given here instead (set_nvlink): a send inside it
// crosses the NVSwitch as a fluid transfer: it holds the source GPU's NVLink egress and the
// destination's ingress for bytes / per-direction bandwidth (first come, first served), then lands
// after the latency; the NVSwitch itself is non-blocking. Both completions fire when the data has
// landed.
//
// A group reduce (Transport::post_group_reduce) is the in-switch all-reduce of an NVLink
// domain: when the group's GPUs are exactly one simulated domain's, every member's part is
// Fabric::post_nvls_allreduce (packet level, completion from the NvlsObserver); without a
// simulated domain, when they all lie in one set_nvlink() domain (any two or more of its GPUs),
// it is fluid, with the formula of the simulated model (models/nvlink/domain.hpp): once every
// member has posted, it holds every member's NVLink egress and ingress for S / B (each GPU sends
// its S bytes and receives the S-byte sum) and completes on all of them after the latency a:
// T = S/B + a. Any other group is an error (group_reduce_problem() says why), as it is on a
// GPU without NVLink: the collective library's `nvls` algorithms need in-switch reduction.
//
// One SimNetwork serves every collective on a Fabric (it is the Fabric's MessageObserver);
// a SimGroup maps a collective's ranks 0..n-1 onto GPUs (fabric endpoints) and hands out one
// Transport per rank. Overlapping collectives must use different Executor tag spaces.
//
// Stragglers (set_slowdown): a slowed GPU's reductions take reduce_factor x as long, and during
// its stall it starts no send, reduction, copy or group reduce (they start at the stall's end;
// a reduction running when the stall begins pauses for it) and hears of no completion (they are
// delivered at the stall's end); what its NIC already has in flight goes on. Launch and compute
// factors are charged by the runs above (scenario/). Without a slowdown the cost is one empty
// check per post and completion.
//
// Parallel runs (a fabric split into partitions, sim/parallel.hpp): every GPU has its own
// component (its events are ordered by the GPU's component id, whatever the partitioning) in
// the simulator of its NIC's partition, and the state behind it (messages, receive matching,
// group reduces, counters) is kept per partition. A GPU's calls and completions run on its
// partition's thread only; the two ends of a message meet only through the fabric: the NIC
// message cookie names the sender's message and the stream (channel and tag space), so the
// receiver matches it without reading the sender's state. Queue pairs to other partitions
// must exist before such a run: connect() (SimGroup::connect) makes them in schedule order.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/fabric.hpp"
#include "models/nic/message_observer.hpp"
#include "models/nvlink/nvls_observer.hpp"
#include "models/params.hpp"
#include "sim/simulator.hpp"
#include "sim/slab.hpp"
#include "workloads/clock.hpp"
#include "workloads/schedule.hpp"
#include "workloads/transport.hpp"
#include "workloads/transports/sim/gpu_slowdown.hpp"

namespace fabricsim::workloads {

struct SimTransportCounters {
  std::uint64_t messages = 0;  // sends handed to the NICs
  std::uint64_t bytes_sent = 0;
  std::uint64_t reductions = 0;
  std::uint64_t bytes_reduced = 0;  // reduction output bytes
  std::uint64_t copies = 0;
  std::uint64_t nvlink_messages = 0;
  std::uint64_t nvlink_bytes = 0;
  std::uint64_t group_reductions = 0;     // group reduces completed (once per group, not member)
  std::uint64_t group_bytes = 0;          // their sizes per member
  std::uint64_t unexpected_arrivals = 0;  // messages that arrived before their receive was posted

  SimTransportCounters& operator+=(const SimTransportCounters& o) {
    messages += o.messages;
    bytes_sent += o.bytes_sent;
    reductions += o.reductions;
    bytes_reduced += o.bytes_reduced;
    copies += o.copies;
    nvlink_messages += o.nvlink_messages;
    nvlink_bytes += o.nvlink_bytes;
    group_reductions += o.group_reductions;
    group_bytes += o.group_bytes;
    unexpected_arrivals += o.unexpected_arrivals;
    return *this;
  }
};

// What the GPU-side collective model (workloads/nccl/) makes of each send of one collective:
// its protocol carries `wire_factor` wire bytes per payload byte (LL 2, LL128 128/120, Simple 1)
// and a send waits a per-hop latency before it starts, by the path it takes; NVLink and network
// sends also get the GPU generation's efficiencies (models::NcclParams) as extra wire bytes
// (the link is busy 1/e as long). The default is the ideal model: no cost at all.
struct SendCosts {
  double nvlink_factor = 1.0;  // wire bytes per payload byte over NVLink
  double net_factor = 1.0;     // ... and through the NICs
  sim::Time nvlink_latency;    // per send over NVLink
  sim::Time net_latency;       // per send through the NICs
  // An in-switch all-reduce moves S (n + 1) / n per member as NCCL runs it, times this factor
  // (1 / NVLS efficiency); 1 with ideal() costs: S, the ideal in-switch model.
  double nvls_factor = 1.0;
  bool ideal() const {
    return nvlink_factor == 1.0 && net_factor == 1.0 && nvls_factor == 1.0 &&
           nvlink_latency == sim::Time::zero() && net_latency == sim::Time::zero();
  }
};

// GPUs g and h share a domain when g / gpus_per_domain == h / gpus_per_domain.
struct NvlinkModel {
  std::uint32_t gpus_per_domain = 1;  // 1: no NVLink (every send goes through the NICs)
  std::uint64_t rate_bps = 0;         // per GPU and direction
  sim::Time latency;
};

class SimNetwork final : public models::MessageObserver, public models::NvlsObserver {
 public:
  // Installs itself as the fabric's message and NVLS observer. `fabric` must outlive this object;
  // it must not be destroyed while messages it started are in flight. Makes one component per
  // GPU (in GPU order) in the simulator of the GPU's partition.
  SimNetwork(models::Fabric& fabric, const models::GpuParams& gpu);
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;
  ~SimNetwork() override;

  // Endpoint-level operations (a SimGroup's transports call these with GPU ids). Each runs on
  // the partition of the GPU that posts it (src for a send, dst for a receive).
  // `costs` (read during the call only) is the collective's GPU-side model; null: ideal.
  void post_send(models::EndpointId src, models::EndpointId dst, std::uint64_t bytes,
                 std::uint64_t tag, CompletionListener& listener, std::uint64_t cookie,
                 const SendCosts* costs = nullptr);
  void post_recv(models::EndpointId dst, models::EndpointId src, std::uint64_t tag,
                 CompletionListener& listener, std::uint64_t cookie);
  // A reduction (or copy) of `bytes` output bytes on `gpu`'s engine.
  void post_compute(models::EndpointId gpu, std::uint64_t bytes, bool reduce,
                    CompletionListener& listener, std::uint64_t cookie);

  // GPU `gpu`'s part of the group reduce over `gpus` (every member's GPU, in member order; the
  // list is read during the call only) named by (group, tag): `bytes` per GPU. Throws
  // std::invalid_argument when the group has no in-switch reduction (group_reduce_problem()).
  // `nvls_factor` scales the bytes each member moves (SendCosts::nvls_factor).
  void post_group_reduce(models::EndpointId gpu, std::span<const models::EndpointId> gpus,
                         std::uint32_t group, std::uint64_t bytes, std::uint64_t tag,
                         CompletionListener& listener, std::uint64_t cookie,
                         double nvls_factor = 1.0);
  // Empty when a group reduce over `gpus` can run here, else why not (for error messages).
  std::string group_reduce_problem(std::span<const models::EndpointId> gpus) const;

  // Sends between GPUs of one domain go over NVLink from now on.
  void set_nvlink(const NvlinkModel& nvlink);
  // Makes the queue pair a send from `src` to `dst` on `channel` will use, when it goes through
  // the NICs (not over NVLink). Before the run; idempotent.
  void connect(models::EndpointId src, models::EndpointId dst, std::uint32_t channel);

  // GPU `gpu` is a straggler from now on (std::invalid_argument for a GPU the fabric lacks).
  // Before the run.
  void set_slowdown(models::EndpointId gpu, const GpuSlowdown& slowdown);
  // The GPU's slowdown (an identity one for a GPU not slowed); null when no GPU is slowed.
  const GpuSlowdown* slowdown(models::EndpointId gpu) const {
    return slowdowns_.empty() ? nullptr : &slowdowns_[gpu];
  }
  // The GPUs given a slowdown, ascending.
  std::span<const models::EndpointId> slowed_gpus() const { return slowed_; }
  // `listener` hears `cookie` at `at` (>= now) from an event of `gpu` (on its partition's thread;
  // at the end of its stall if `at` falls inside it), as it hears a completion.
  void notify_at(models::EndpointId gpu, sim::Time at, CompletionListener& listener,
                 std::uint64_t cookie) {
    complete_at(gpu, at, listener, cookie);
  }

  const models::GpuParams& gpu() const { return gpu_; }
  // Whether a send from src to dst crosses NVLink (fluid or simulated), not the NICs.
  bool over_nvlink(models::EndpointId src, models::EndpointId dst) const {
    return fluid_nvlink(src, dst) || fabric_->nvlink_path(src, dst);
  }
  // Summed over the partitions (read it between runs, not during one).
  SimTransportCounters counters() const;
  // Receives posted and not yet matched, plus arrived messages not yet received (0 when every
  // collective finished cleanly), over all partitions.
  std::size_t unmatched() const;

  // The partitions (1 without a parallel run), the partition of a GPU, a partition's simulator,
  // and the clock of the GPU's partition (for its Executor).
  std::uint32_t partitions() const { return static_cast<std::uint32_t>(shards_.size()); }
  std::uint32_t partition_of(models::EndpointId gpu) const { return fabric_->nic_partition(gpu); }
  sim::Simulator& simulator() const { return fabric_->simulator(); }  // partition 0's
  sim::Simulator& partition_simulator(std::uint32_t p) const { return *shards_[p]->sim; }
  const Clock& clock_of(models::EndpointId gpu) const { return *shards_[partition_of(gpu)]; }
  // Whether this process runs the GPU's partition (a distributed run's process runs one; see
  // models::Fabric::run_only_partition). A GPU it does not run has no executor here.
  bool runs_gpu(models::EndpointId gpu) const { return fabric_->runs_partition(partition_of(gpu)); }

  // MessageObserver (called by the NICs; messages not started here are ignored)
  void on_message_sent(models::EndpointId src, std::uint64_t cookie, sim::Time t) override;
  void on_message_received(models::EndpointId dst, models::EndpointId src, std::uint64_t cookie,
                           std::uint64_t bytes, sim::Time t) override;
  // NvlsObserver (called by the simulated NVLink domains)
  void on_nvls_allreduce_done(models::EndpointId gpu, std::uint64_t cookie, sim::Time t) override;

 private:
  // The sender's record of a message, until its NIC (or NVLink) reports it sent.
  struct Message {
    models::EndpointId src = 0;
    models::EndpointId dst = 0;
    std::uint64_t tag = 0;
    std::uint64_t bytes = 0;
    CompletionListener* listener = nullptr;  // the sender's
    std::uint64_t cookie = 0;
  };
  // Messages of one stream, (src, dst, tag without its sequence), arrive in sequence order
  // (one RC queue pair, or one NVLink port, per stream) and its receives are posted in the
  // same order, so matching is a FIFO of receives posted before their message arrived and a
  // count of messages that arrived before their receive was posted.
  struct StreamKey {
    models::EndpointId src;
    models::EndpointId dst;
    std::uint64_t tag_high;  // channel and tag space
    bool operator==(const StreamKey&) const = default;
  };
  struct StreamKeyHash {
    std::size_t operator()(const StreamKey& k) const noexcept;
  };
  struct PostedRecv {
    CompletionListener* listener;
    std::uint64_t cookie;
  };
  struct Stream {
    std::vector<PostedRecv> posted;  // FIFO from posted_head
    std::uint32_t posted_head = 0;
    std::uint32_t arrived = 0;        // arrived, receive not posted yet
    std::uint32_t next_sequence = 0;  // of the next receive (a new iteration restarts at 0)
  };
  struct Completion {
    CompletionListener* listener = nullptr;
    std::uint64_t cookie = 0;
  };

  // A group reduce in progress: keyed by (first member's GPU, group, tag) until every member has
  // posted; slot index = the NVLS cookie of the simulated domain.
  struct GroupKey {
    models::EndpointId first;
    std::uint32_t group;
    std::uint64_t tag;
    bool operator==(const GroupKey&) const = default;
  };
  struct GroupKeyHash {
    std::size_t operator()(const GroupKey& k) const noexcept;
  };
  struct GroupOp {
    std::uint64_t bytes = 0;
    std::uint32_t posted = 0;
    std::uint32_t done = 0;
    bool in_switch = false;                // a simulated domain's NVLS (else fluid)
    sim::Time ready;                       // fluid: when the last member's step latency ends
    std::vector<models::EndpointId> gpus;  // fluid: the members
    std::vector<Completion> waiting;       // per member (fluid) or domain-local GPU index
  };
  // A member's NVLS part, after its step latency.
  struct GroupPost {
    models::EndpointId gpu = 0;
    std::uint32_t op = 0;
  };

  // One GPU's component: its events (post delays, completions, NVLink arrivals) run here.
  class GpuAgent;
  // What one partition keeps (touched by its thread only); the Clock of its GPUs.
  struct Shard final : public Clock {
    explicit Shard(sim::Simulator& s) : sim(&s) {}
    std::int64_t now_ps() const override { return sim->now().picoseconds(); }
    sim::Simulator* sim;
    sim::Slab<Message> messages;        // by the NIC message cookie's low 32 bits
    sim::Slab<Completion> completions;  // scheduled completions, by event argument
    std::unordered_map<StreamKey, std::uint32_t, StreamKeyHash> stream_of;
    std::vector<Stream> streams;
    std::size_t unmatched = 0;
    std::unordered_map<GroupKey, std::uint32_t, GroupKeyHash> open_groups;  // -> group_ops
    std::vector<GroupOp> group_ops;  // slots, reused (their vectors keep their capacity)
    std::vector<std::uint32_t> free_group_ops;
    sim::Slab<GroupPost> group_posts;
    SimTransportCounters counters;
  };

  Shard& shard_of(models::EndpointId gpu) { return *shards_[partition_of(gpu)]; }
  void on_gpu_event(GpuAgent& agent, std::uint64_t arg);
  // Whether a send from src to dst takes the fluid NVLink model (set_nvlink).
  bool fluid_nvlink(models::EndpointId src, models::EndpointId dst) const;
  void start_group_post(Shard& shard, std::uint32_t index);
  void start_fluid_group(Shard& shard, std::uint32_t op);
  void start_message(Shard& shard, std::uint32_t index);
  void start_nvlink(Shard& shard, std::uint32_t index);
  void arrive(Shard& shard, models::EndpointId src, models::EndpointId dst, std::uint64_t tag_high);
  void sent(Shard& shard, std::uint32_t index);
  Stream& stream(Shard& shard, models::EndpointId src, models::EndpointId dst,
                 std::uint64_t tag_high);
  void complete_at(models::EndpointId gpu, sim::Time at, CompletionListener& listener,
                   std::uint64_t cookie);
  // Tells `listener` now, or at the end of the GPU's stall when it is stalled now.
  void deliver(Shard& shard, models::EndpointId gpu, CompletionListener& listener,
               std::uint64_t cookie);

  models::Fabric* fabric_;
  models::GpuParams gpu_;
  std::vector<std::unique_ptr<Shard>> shards_;  // per partition
  std::deque<GpuAgent> agents_;                 // per GPU
  std::vector<sim::Time> engine_free_at_;       // per GPU: when its compute engine is idle
  NvlinkModel nvlink_;
  std::vector<sim::Time> nvlink_tx_free_at_;  // per GPU, when NVLink is on
  std::vector<sim::Time> nvlink_rx_free_at_;
  std::vector<GpuSlowdown> slowdowns_;  // per GPU; empty: no straggler (read-only in runs)
  std::vector<models::EndpointId> slowed_;
};

// The ranks of one collective placed on GPUs: rank r is GPU endpoints[r].
class SimGroup {
 public:
  SimGroup(SimNetwork& network, std::vector<models::EndpointId> endpoints);
  SimGroup(const SimGroup&) = delete;
  SimGroup& operator=(const SimGroup&) = delete;
  ~SimGroup();

  std::int32_t size() const { return static_cast<std::int32_t>(endpoints_.size()); }
  Transport& transport(std::int32_t rank);
  models::EndpointId endpoint(std::int32_t rank) const {
    return endpoints_[static_cast<std::size_t>(rank)];
  }
  SimNetwork& network() const { return *network_; }
  // The GPU-side model of this collective's sends (default: ideal). Before the run.
  void set_send_costs(const SendCosts& costs) {
    costs_ = costs;
    has_costs_ = !costs.ideal();
  }
  const SendCosts* send_costs() const { return has_costs_ ? &costs_ : nullptr; }
  // The GPUs of `ranks` (in order), written to `out` (reused).
  void gpus_of(std::span<const std::int32_t> ranks, std::vector<models::EndpointId>& out) const;
  // Empty when the ranks of every group of `schedule` have in-switch reduction here, else
  // which group lacks it and why.
  std::string group_reduce_problem(const Schedule& schedule) const;
  // Makes the queue pairs of every send of `schedule` (SimNetwork::connect) in rank order, then
  // program order: the same order for every partitioning. Before the run.
  void connect(const Schedule& schedule);

 private:
  class RankTransport;
  SimNetwork* network_;
  std::vector<models::EndpointId> endpoints_;
  std::vector<std::unique_ptr<RankTransport>> transports_;
  SendCosts costs_;
  bool has_costs_ = false;
};

}  // namespace fabricsim::workloads
