// The `sim` transport: runs collective Schedules on the simulated fabric. A send is one RDMA
// WRITE message from the source GPU's NIC (one queue pair per (peer, channel)); a receive
// completes when that message has fully arrived; reductions and copies take bytes / GPU
// throughput on a per-GPU engine that serves them in order; every posted send, reduction and
// copy first pays the GPU's step latency. Completions arrive as simulator events, never from
// inside a post call.
//
// One SimNetwork serves every collective on a Fabric (it is the Fabric's MessageObserver);
// a SimGroup maps a collective's ranks 0..n-1 onto GPUs (fabric endpoints) and hands out one
// Transport per rank. Overlapping collectives must use different Executor tag spaces.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "models/fabric.hpp"
#include "models/gpu_params.hpp"
#include "models/nic/message_observer.hpp"
#include "sim/simulator.hpp"
#include "workloads/clock.hpp"
#include "workloads/transport.hpp"

namespace fabricsim::workloads {

struct SimTransportCounters {
  std::uint64_t messages = 0;  // sends handed to the NICs
  std::uint64_t bytes_sent = 0;
  std::uint64_t reductions = 0;
  std::uint64_t bytes_reduced = 0;  // reduction output bytes
  std::uint64_t copies = 0;
  std::uint64_t unexpected_arrivals = 0;  // messages that arrived before their receive was posted
};

class SimNetwork final : public sim::Component, public models::MessageObserver, public Clock {
 public:
  // Installs itself as the fabric's message observer. `fabric` must outlive this object; it
  // must not be destroyed while messages it started are in flight.
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

  const models::GpuParams& gpu() const { return gpu_; }
  const SimTransportCounters& counters() const { return counters_; }
  // Receives posted and not yet matched, plus arrived messages not yet received (0 when every
  // collective finished cleanly).
  std::size_t unmatched() const { return matching_.size(); }

  // Clock
  std::int64_t now_ps() const override { return now().picoseconds(); }
  // MessageObserver (called by the NICs; messages not started here are ignored)
  void on_message_sent(models::EndpointId src, std::uint64_t cookie, sim::Time t) override;
  void on_message_received(models::EndpointId dst, models::EndpointId src, std::uint64_t cookie,
                           std::uint64_t bytes, sim::Time t) override;
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
  struct MatchKey {
    models::EndpointId src;
    models::EndpointId dst;
    std::uint64_t tag;
    bool operator==(const MatchKey&) const = default;
  };
  struct MatchKeyHash {
    std::size_t operator()(const MatchKey& k) const noexcept;
  };
  struct Match {
    CompletionListener* listener = nullptr;  // null: the message arrived, no receive yet
    std::uint64_t cookie = 0;
  };
  struct Completion {
    CompletionListener* listener = nullptr;
    std::uint64_t cookie = 0;
  };

  std::uint32_t new_message();
  void release_message(std::uint32_t index);
  void start_message(std::uint32_t index);
  void complete_at(sim::Time at, CompletionListener& listener, std::uint64_t cookie);

  models::Fabric* fabric_;
  models::GpuParams gpu_;
  std::vector<Message> messages_;  // slab, indexed by the NIC message cookie's low bits
  std::vector<std::uint32_t> free_messages_;
  std::vector<Completion> completions_;  // slab of scheduled completions
  std::vector<std::uint32_t> free_completions_;
  std::unordered_map<MatchKey, Match, MatchKeyHash> matching_;
  std::vector<sim::Time> engine_free_at_;  // per GPU: when its compute engine is idle
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

 private:
  class RankTransport;
  SimNetwork* network_;
  std::vector<models::EndpointId> endpoints_;
  std::vector<std::unique_ptr<RankTransport>> transports_;
};

}  // namespace fabricsim::workloads
