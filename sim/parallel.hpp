// Conservative parallel simulation: one Simulator per partition, each on its own thread, run in
// windows [T, T + lookahead) between barriers; events for another partition go to its inbox and
// are delivered at the barrier. Event order is (time, tie) in every partition, so a run gives the
// same events, in the same order per component, for every partition count.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "sim/event.hpp"
#include "sim/simulator.hpp"
#include "sim/time.hpp"

namespace fabricsim::sim {

// An event for a component of another partition, with an optional payload of up to 64 bytes
// (a packet header) that the target partition copies into its own memory on delivery.
struct RemoteEvent {
  static constexpr std::size_t kPayloadBytes = 64;
  Event event;
  bool has_payload = false;
  alignas(8) std::array<std::byte, kPayloadBytes> payload{};
};
// Events one partition sends to one other partition during a window. Written only by the
// sending partition's thread during a window, read and cleared only by the target's thread
// between barriers.
using Outbox = std::vector<RemoteEvent>;

// Turns a delivered payload into the event argument (e.g. copies a packet header into the
// target partition's packet pool and returns the new packet's address).
class PayloadAdopter {
 public:
  virtual ~PayloadAdopter() = default;
  virtual std::uint64_t adopt(const std::array<std::byte, RemoteEvent::kPayloadBytes>& bytes) = 0;
};

// How the processes of a distributed run (one partition each, sim/mpi.hpp) meet between
// windows: every call is collective (all processes make it, in the same order).
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual std::size_t rank() const = 0;  // = the partition this process runs
  virtual std::size_t size() const = 0;
  virtual std::int64_t min(std::int64_t local) = 0;
  virtual std::int64_t max(std::int64_t local) = 0;
  // Element-wise sums / maxima over all processes, in place.
  virtual void sum(std::vector<std::uint64_t>& values) = 0;
  virtual void max(std::vector<std::uint64_t>& values) = 0;
  // Every process's `mine`, in rank order, to every process.
  virtual std::vector<std::uint64_t> all_gather(const std::vector<std::uint64_t>& mine) = 0;
  // to[q] goes to process q; returns what each process sent to this one, in rank order.
  virtual std::vector<std::vector<std::byte>> all_to_all(
      const std::vector<std::vector<std::byte>>& to) = 0;
};

// An event that needs the whole model at one instant (a time-series sample reading every
// partition): the engine ends a window just before it, and runs it on one thread while every
// partition waits, all clocks set to its time. Not owned by the engine.
class GlobalEvent {
 public:
  virtual ~GlobalEvent() = default;
  virtual Time next_at() const = 0;  // Time::max(): none
  // Its tie key at that time: partitions run their events ordered before it first.
  virtual std::uint64_t next_tie() const = 0;
  // `pending`: the events pending in all partitions (as Simulator::pending() of one simulator).
  virtual void fire(std::size_t pending) = 0;
};

// A workload's control plane (a training step's phase graph): partitions tell it, from their
// own threads, that their part of the work in flight is finished; between windows it acts on
// that on one thread, and what it starts begins no sooner than latency() after the instant it
// acts for, so windows no longer than that never start anything in a partition's past. It
// also keeps actions of its own (events that touch no partition). Not owned by the engine.
class ControlPlane {
 public:
  virtual ~ControlPlane() = default;
  virtual Time latency() const = 0;  // > 0
  // Whether partition p has work in flight to finish. Such a partition stops its simulator at
  // the event that finishes its last part (it then has nothing to report until more starts).
  virtual bool busy(std::size_t p) const = 0;
  virtual Time next_at() const = 0;  // its own earliest pending action (Time::max(): none)
  virtual std::size_t pending() const = 0;
  // Every partition has run its events ordered at or before (upto, upto_tie), or stopped where
  // its work was finished: acts on everything ordered up to there, in event order. Returns
  // true when the workload is complete; end() then names the event that completed it.
  virtual bool settle(Time upto, std::uint64_t upto_tie) = 0;
  virtual EventId end() const = 0;
  virtual std::uint64_t events() const = 0;  // own actions run, each counted as an event
  // Distributed runs (every process keeps a copy; one partition each): partition p's reports
  // since the last settle(), as words, and the adoption of those another process sent.
  virtual std::vector<std::uint64_t> reports_of(std::size_t p) const = 0;
  virtual void add_reports(std::size_t p, const std::vector<std::uint64_t>& words) = 0;
};

// One partition: its simulator and its outboxes, one per target partition. Owned by the engine.
struct Partition {
  Partition(std::uint64_t seed, std::size_t partitions) : sim(seed), outboxes(partitions) {}
  Simulator sim;
  std::vector<Outbox> outboxes;
  PayloadAdopter* adopter = nullptr;  // not owned; needed when payloads arrive here
};

class ParallelEngine {
 public:
  // `partitions` simulators with one seed; partitions 1.. share partition 0's component ids.
  ParallelEngine(std::size_t partitions, std::uint64_t seed, bool registry = false);
  ParallelEngine(const ParallelEngine&) = delete;
  ParallelEngine& operator=(const ParallelEngine&) = delete;
  ~ParallelEngine();

  std::size_t size() const { return parts_.size(); }
  Partition& partition(std::size_t i) { return *parts_[i]; }
  Simulator& simulator(std::size_t i) { return parts_[i]->sim; }

  // The smallest delay of any event sent across partitions (> 0; Time::max() when none is).
  void set_lookahead(Time lookahead);
  Time lookahead() const { return lookahead_; }

  // Stop on completion: a partition that calls stop() on its simulator declares its part of
  // the workload complete at that event; partitions marked done here have none. When every
  // partition is done, the run ends at the latest of those events (in (time, tie) order),
  // exactly where a single simulator would have stopped. Without it, stop() is ignored.
  void stop_when_all_done(bool on) { stop_on_done_ = on; }
  void mark_done(std::size_t partition) { done_[partition] = 1; }
  // Before another run() that stops on completion (the next iteration of a workload): no
  // partition is done.
  void reset_done() { std::fill(done_.begin(), done_.end(), std::uint8_t{0}); }
  // At most one (counted in Result::events as one event per firing). In run_distributed()
  // every process fires its own copy at the same instants, each after running its partition's
  // events ordered before it.
  void set_global_event(GlobalEvent* event) { global_ = event; }
  // Completion decided by a control plane instead of stop_when_all_done; windows are then no
  // longer than its latency.
  void set_control_plane(ControlPlane* control) { control_ = control; }

  struct Result {
    Time end;                   // the clock at the end, as a single simulator would show it
    bool stopped_done = false;  // ended by stop_when_all_done
    bool interrupted = false;
    std::uint64_t events = 0;  // over all partitions, since the engine was made
    std::uint64_t windows = 0;
  };
  // Runs events up to and including time `stop_at` (Time::max(): until none is left), one
  // thread per partition. `interrupt`, when set, is polled between windows every few
  // hundred windows on the calling thread's partition; true ends the run (Result::interrupted).
  // An exception thrown by a component ends the run and is rethrown here.
  Result run(Time stop_at, const std::function<bool()>& interrupt = {});
  // The same window loop as one process of a distributed run: this process runs partition
  // exchange.rank() (the others' simulators stay idle here) and meets the other processes
  // through `exchange` at each window's end. Needs the component registry (built with
  // `registry` = true), since events name their targets by component id between processes.
  Result run_distributed(Time stop_at, Exchange& exchange);

 private:
  void worker(std::size_t p, Time stop_at, const std::function<bool()>* interrupt);
  // The lookahead, or the control plane's latency when shorter.
  Time window_length() const;
  // The window from `start`: every event ordered at or before (upto, upto_tie) runs in it
  // (all before `end`): window_length_ long, or up to stop_at, or up to just before the global
  // event (`global`).
  struct Window {
    Time upto;
    std::uint64_t upto_tie;
    Time end;
    bool global;
  };
  Window window_from(Time start, Time stop_at) const;
  // Partition p's part of a window of a run with a control plane; true: the run is over.
  // `guarded` runs a step unless the run failed (see worker()).
  template <class Guarded>
  bool controlled_window(std::size_t p, Time upto, std::uint64_t upto_tie, Guarded& guarded);
  void drain(std::size_t p, Time window_end);
  void check_due(std::size_t from, std::size_t to, Time at, Time window_end) const;
  void fail(std::exception_ptr error);

  std::vector<std::unique_ptr<Partition>> parts_;
  Time lookahead_ = Time::max();
  bool stop_on_done_ = false;
  std::vector<std::uint8_t> done_;  // per partition; written by its thread in a window
  std::vector<Time> done_time_;     // the event at which it became done
  std::vector<std::uint64_t> done_tie_;
  std::vector<Time> next_;  // per partition: earliest pending event after delivery
  std::atomic<bool> failed_{false};
  std::atomic<bool> interrupted_{false};
  bool halt_ = false;  // set by the barrier's completion step only
  std::exception_ptr error_;
  std::atomic<std::uint64_t> windows_{0};
  GlobalEvent* global_ = nullptr;
  ControlPlane* control_ = nullptr;
  std::vector<std::uint8_t> reached_;  // per partition: ran the whole window in step 1
  bool control_finished_ = false;      // written by partition 0's thread between barriers
  Time window_length_ = Time::max();
  std::uint64_t global_events_ = 0;
  bool ended_by_done_ = false;
  Time done_at_;
  struct BarrierImpl;
  std::unique_ptr<BarrierImpl> barrier_;
};

}  // namespace fabricsim::sim
