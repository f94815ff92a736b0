// The discrete-event kernel: owns the clock and the pending events and runs them in
// (time, scheduling component, sequence) order. An ordinary object: several may coexist.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_set>
#include <vector>

#include "sim/event.hpp"
#include "sim/event_queue.hpp"
#include "sim/rng.hpp"
#include "sim/time.hpp"

namespace fabricsim::sim {

// Identifies a scheduled event for cancel(). Cheap to copy.
struct EventId {
  Time at;
  std::uint64_t tie = 0;
};

class Component;

enum class StopReason { kEmpty, kTimeLimit, kPredicate, kStopRequested };

class Simulator {
 public:
  explicit Simulator(std::uint64_t seed = 1) : seed_(seed) {}
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  Time now() const { return now_; }
  std::uint64_t seed() const { return seed_; }
  std::uint64_t events_processed() const { return events_; }
  std::size_t pending() const { return queue_.size() - cancelled_.size(); }

  // Component ids are handed out in construction order, which depends only on the scenario,
  // never on how the fabric may later be partitioned. Id 0 is the simulator itself.
  std::uint32_t register_component();
  std::uint32_t component_count() const { return *next_component_; }
  // Partitions of one parallel run draw component ids from one counter (the first
  // partition's), so every id equals the one a single simulator would have handed out.
  // Call before any component is registered here; `root` must outlive this simulator.
  void share_component_ids(Simulator& root) {
    next_component_ = root.next_component_;
    registry_ = root.registry_;
  }
  // Distributed runs: records every component by id (for events that name their target by id
  // between processes). Call on the root before any component is registered and before
  // share_component_ids.
  void enable_component_registry() {
    if (registry_ == nullptr) {
      own_registry_ = std::make_unique<std::vector<Component*>>();
      registry_ = own_registry_.get();
    }
  }
  // The component with id `id` (registry enabled), or nullptr.
  Component* component(std::uint32_t id) const {
    return registry_ != nullptr && id < registry_->size() ? (*registry_)[id] : nullptr;
  }
  void note_component(std::uint32_t id, Component* c) {
    if (registry_ == nullptr) return;
    if (registry_->size() <= id) registry_->resize(id + 1, nullptr);
    (*registry_)[id] = c;
  }

  // Schedules `target->on_event(arg)` at absolute time `at` (>= now) on behalf of the
  // simulator itself (component 0). Components use Component::schedule_* instead.
  EventId schedule(Time at, EventHandler& target, std::uint64_t arg = 0) {
    return push(at, TieKey::make(0, own_seq_++), target, arg);
  }
  EventId schedule_in(Time delay, EventHandler& target, std::uint64_t arg = 0) {
    return schedule(now_ + delay, target, arg);
  }
  // Low-level: schedule with a tie key already made by the scheduling component.
  EventId push(Time at, std::uint64_t tie, EventHandler& target, std::uint64_t arg) {
    if (at < now_) [[unlikely]]
      throw_past(at);
    queue_.push(Event{at, tie, &target, arg});
    return EventId{at, tie};
  }
  // Cancels a pending event; returns false if it has already run or was cancelled before.
  // (At the current instant, an event whose tie is below the one running counts as run.)
  bool cancel(EventId id);

  // Runs until no event is left or stop() is called.
  StopReason run() {
    return run_loop(Time::max(), [] { return false; });
  }
  // Runs every event with time <= t, then sets the clock to t (unless stopped early).
  StopReason run_until(Time t);
  // Runs every event with time < end (the clock stays at the last event run). Returns
  // kStopRequested when stop() was called, else kTimeLimit or kEmpty (for parallel windows).
  StopReason run_before(Time end) {
    return run_loop(end - Time::ps(1), [] { return false; });
  }
  // Runs every event ordered at or before (t, tie) (the clock stays at the last event run).
  StopReason run_through(Time t, std::uint64_t tie);
  // The time of the earliest pending event (cancelled ones included), or Time::max().
  Time next_time() { return queue_.empty() ? Time::max() : queue_.top_time(); }
  // Parallel runs: moves an idle clock forward to `t` (no event before it may be pending).
  void advance_to(Time t) {
    if (t > now_) {
      now_ = t;
      last_tie_ = 0;
    }
  }
  // The tie key of the event running now (of the last one run between events).
  std::uint64_t current_tie() const { return last_tie_; }
  // Uncounts the event running now: for a component replicated in every partition of a
  // parallel run, whose replicas' events stand for one event of a single simulator.
  void discount_event() { --events_; }
  // Runs until `done()` holds (checked before each event), the queue empties or stop().
  template <class Predicate>
  StopReason run_until_condition(Predicate done) {
    return run_loop(Time::max(), done);
  }
  // Asks the running loop to return after the current event.
  void stop() { stop_requested_ = true; }

  // An independent random stream for a component, reproducible from (seed, stream_id).
  Rng make_rng(std::uint64_t stream_id) const { return Rng(seed_, stream_id); }

  // When enabled, every processed event's (time, tie) is folded into a hash: two runs of the
  // same scenario must give the same fingerprint (the determinism test).
  void enable_fingerprint(bool on) { fingerprint_enabled_ = on; }
  std::uint64_t fingerprint() const { return fingerprint_; }

  // Calls `callback` roughly every `every_events` events (for progress lines); not per event.
  void set_progress(std::uint64_t every_events, std::function<void(const Simulator&)> callback);

 private:
  template <class Predicate>
  StopReason run_loop(Time limit, Predicate done) {
    stop_requested_ = false;
    while (!queue_.empty()) {
      if (queue_.top_time() > limit) return StopReason::kTimeLimit;
      if (done()) return StopReason::kPredicate;
      const Event e = queue_.pop();
      if (!cancelled_.empty() && cancelled_.erase(e.tie) != 0) continue;
      now_ = e.at;
      last_tie_ = e.tie;
      ++events_;
      if (fingerprint_enabled_) fold_fingerprint(e);
      if (--progress_countdown_ == 0) fire_progress();
      e.target->on_event(e.arg);
      if (stop_requested_) return StopReason::kStopRequested;
    }
    return done() ? StopReason::kPredicate : StopReason::kEmpty;
  }
  void fold_fingerprint(const Event& e) {
    std::uint64_t h = fingerprint_ ^ static_cast<std::uint64_t>(e.at.picoseconds());
    h *= 0x100000001B3ULL;
    h ^= e.tie;
    h *= 0x100000001B3ULL;
    fingerprint_ = h ^ (h >> 29);
  }
  void fire_progress();
  [[noreturn]] void throw_past(Time at) const;

  EventQueue queue_;
  std::unordered_set<std::uint64_t> cancelled_;
  Time now_;
  std::uint64_t last_tie_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t own_seq_ = 0;
  std::uint64_t seed_;
  std::uint32_t own_next_component_ = 1;
  std::uint32_t* next_component_ = &own_next_component_;
  std::unique_ptr<std::vector<Component*>> own_registry_;
  std::vector<Component*>* registry_ = nullptr;
  bool stop_requested_ = false;
  bool fingerprint_enabled_ = false;
  std::uint64_t fingerprint_ = 0xCBF29CE484222325ULL;
  std::uint64_t progress_every_ = 0;
  std::uint64_t progress_countdown_ = ~0ULL;
  std::function<void(const Simulator&)> progress_;
};

// Base of every simulated component: it knows its simulator, has a partition-independent
// id, and stamps the events it schedules with (id, own sequence number).
class Component : public EventHandler {
 public:
  explicit Component(Simulator& sim) : sim_(&sim), id_(sim.register_component()) {
    sim.note_component(id_, this);
  }
  // A replica, in another partition's simulator, of the component with id `id`: one logical
  // component acting on each partition's part of the model (it schedules the same events in
  // every partition; all but one replica call Simulator::discount_event in its handler).
  Component(Simulator& sim, std::uint32_t id) : sim_(&sim), id_(id) {}
  std::uint32_t component_id() const { return id_; }
  Simulator& simulator() const { return *sim_; }
  Time now() const { return sim_->now(); }

 protected:
  EventId schedule_at(Time at, EventHandler& target, std::uint64_t arg) {
    return sim_->push(at, TieKey::make(id_, seq_++), target, arg);
  }
  EventId schedule_in(Time delay, EventHandler& target, std::uint64_t arg) {
    return schedule_at(sim_->now() + delay, target, arg);
  }
  EventId schedule_self_in(Time delay, std::uint64_t arg) { return schedule_in(delay, *this, arg); }
  // The tie key of the next event this component schedules, for an event it hands to another
  // partition instead of its own simulator.
  std::uint64_t take_tie() { return TieKey::make(id_, seq_++); }

 private:
  Simulator* sim_;
  std::uint32_t id_;
  std::uint64_t seq_ = 0;
};

}  // namespace fabricsim::sim
