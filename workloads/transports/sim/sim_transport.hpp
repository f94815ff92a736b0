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
#pragma once

#include <cstdint>
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
};

// GPUs g and h share a domain when g / gpus_per_domain == h / gpus_per_domain.
struct NvlinkModel {
  std::uint32_t gpus_per_domain = 1;  // 1: no NVLink (every send goes through the NICs)
  std::uint64_t rate_bps = 0;         // per GPU and direction
  sim::Time latency;
};

class SimNetwork final : public sim::Component,
                         public models::MessageObserver,
                         public models::NvlsObserver,
                         public Clock {
 public:
  // Installs itself as the fabric's message and NVLS observer. `fabric` must outlive this object;
  // it must not be destroyed while messages it started are in flight.
  SimNetwork(models::Fabric& fabric, const models::GpuParams& gpu);
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;
  ~SimNetwork() override;

  // Endpoint-level operations (a SimGroup's transports call these with GPU ids).
  void post_send(models::EndpointId src, models::EndpointId dst, std::uint64_t bytes,
                 std::uint64_t tag, CompletionListener& listener, std::uint64_t cookie);
  void post_recv(models::EndpointId dst, models::EndpointId src, std::uint64_t tag,
                 CompletionListener& listener, std::uint64_t cookie);
  // A reduction (or copy) of `bytes` output bytes on `gpu`'s engine.
  void post_compute(models::EndpointId gpu, std::uint64_t bytes, bool reduce,
                    CompletionListener& listener, std::uint64_t cookie);

  // GPU `gpu`'s part of the group reduce over `gpus` (every member's GPU, in member order; the
  // list is read during the call only) named by (group, tag): `bytes` per GPU. Throws
  // std::invalid_argument when the group has no in-switch reduction (group_reduce_problem()).
  void post_group_reduce(models::EndpointId gpu, std::span<const models::EndpointId> gpus,
                         std::uint32_t group, std::uint64_t bytes, std::uint64_t tag,
                         CompletionListener& listener, std::uint64_t cookie);
  // Empty when a group reduce over `gpus` can run here, else why not (for error messages).
  std::string group_reduce_problem(std::span<const models::EndpointId> gpus) const;

  // Sends between GPUs of one domain go over NVLink from now on.
  void set_nvlink(const NvlinkModel& nvlink);

  const models::GpuParams& gpu() const { return gpu_; }
  const SimTransportCounters& counters() const { return counters_; }
  // Receives posted and not yet matched, plus arrived messages not yet received (0 when every
  // collective finished cleanly).
  std::size_t unmatched() const { return unmatched_; }

  // Clock
  std::int64_t now_ps() const override { return now().picoseconds(); }
  // MessageObserver (called by the NICs; messages not started here are ignored)
  void on_message_sent(models::EndpointId src, std::uint64_t cookie, sim::Time t) override;
  void on_message_received(models::EndpointId dst, models::EndpointId src, std::uint64_t cookie,
                           std::uint64_t bytes, sim::Time t) override;
  // NvlsObserver (called by the simulated NVLink domains)
  void on_nvls_allreduce_done(models::EndpointId gpu, std::uint64_t cookie, sim::Time t) override;
  // sim::EventHandler
  void on_event(std::uint64_t arg) override;

 private:
  struct Message {
    models::EndpointId src = 0;
    models::EndpointId dst = 0;
    std::uint64_t tag = 0;
    std::uint64_t bytes = 0;
    CompletionListener* listener = nullptr;  // the sender's
    std::uint64_t cookie = 0;
    bool sent = false;      // acknowledged at the sender
    bool received = false;  // fully arrived at the receiver
  };
  // Messages of one stream, (src, dst, tag without its sequence), arrive in sequence order
  // (one RC queue pair, or one NVLink port, per stream) and its receives are posted in the
  // same order, so matching is two FIFOs: receives posted before their message arrived, and
  // messages that arrived before their receive was posted.
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
    std::uint64_t sequence;
    CompletionListener* listener;
    std::uint64_t cookie;
  };
  struct Stream {
    std::vector<PostedRecv> posted;      // FIFO from posted_head
    std::vector<std::uint64_t> arrived;  // sequences, FIFO from arrived_head
    std::uint32_t posted_head = 0;
    std::uint32_t arrived_head = 0;
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

  void start_group_post(std::uint32_t index);
  void start_fluid_group(std::uint32_t op);
  void start_message(std::uint32_t index);
  void start_nvlink(std::uint32_t index);
  void arrive(std::uint32_t index);
  Stream& stream(models::EndpointId src, models::EndpointId dst, std::uint64_t tag);
  void complete_at(sim::Time at, CompletionListener& listener, std::uint64_t cookie);

  models::Fabric* fabric_;
  models::GpuParams gpu_;
  sim::Slab<Message> messages_;        // indexed by the NIC message cookie's low bits
  sim::Slab<Completion> completions_;  // scheduled completions, by event argument
  std::unordered_map<StreamKey, std::uint32_t, StreamKeyHash> stream_of_;
  std::vector<Stream> streams_;
  std::size_t unmatched_ = 0;
  std::vector<sim::Time> engine_free_at_;  // per GPU: when its compute engine is idle
  NvlinkModel nvlink_;
  std::vector<sim::Time> nvlink_tx_free_at_;  // per GPU, when NVLink is on
  std::vector<sim::Time> nvlink_rx_free_at_;
  std::unordered_map<GroupKey, std::uint32_t, GroupKeyHash> open_groups_;  // -> group_ops_
  std::vector<GroupOp> group_ops_;  // slots, reused (their vectors keep their capacity)
  std::vector<std::uint32_t> free_group_ops_;
  sim::Slab<GroupPost> group_posts_;
  SimTransportCounters counters_;
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
  // The GPUs of `ranks` (in order), in a buffer reused by the next call.
  std::span<const models::EndpointId> gpus_of(std::span<const std::int32_t> ranks);
  // Empty when the ranks of every group of `schedule` have in-switch reduction here, else
  // which group lacks it and why.
  std::string group_reduce_problem(const Schedule& schedule);

 private:
  class RankTransport;
  SimNetwork* network_;
  std::vector<models::EndpointId> endpoints_;
  std::vector<models::EndpointId> member_gpus_;
  std::vector<std::unique_ptr<RankTransport>> transports_;
};

}  // namespace fabricsim::workloads
