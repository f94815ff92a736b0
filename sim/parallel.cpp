// The window loop of the conservative parallel engine (see parallel.hpp).
#include "sim/parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <barrier>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>

namespace fabricsim::sim {

// The barrier's completion step runs once per phase, before any thread is released: it fixes
// whether the run halts, so that every thread takes the same decision (a failure flagged
// while some threads are already past the barrier waits for the next one).
struct ParallelEngine::BarrierImpl {
  struct Completion {
    ParallelEngine* engine;
    void operator()() noexcept { engine->halt_ = engine->failed_ || engine->interrupted_; }
  };
  BarrierImpl(std::ptrdiff_t n, ParallelEngine* engine) : barrier(n, Completion{engine}) {}
  std::barrier<Completion> barrier;
};

ParallelEngine::ParallelEngine(std::size_t partitions, std::uint64_t seed, bool registry)
    : done_(partitions, 0),
      done_time_(partitions),
      done_tie_(partitions, 0),
      next_(partitions, Time::max()) {
  if (partitions == 0) throw std::invalid_argument("a parallel run needs at least 1 partition");
  for (std::size_t i = 0; i < partitions; ++i) {
    parts_.push_back(std::make_unique<Partition>(seed, partitions));
    if (i == 0 && registry) parts_[0]->sim.enable_component_registry();
    if (i > 0) parts_[i]->sim.share_component_ids(parts_[0]->sim);
  }
}

ParallelEngine::~ParallelEngine() = default;

void ParallelEngine::set_lookahead(Time lookahead) {
  if (lookahead <= Time::zero()) {
    throw std::invalid_argument(fmt::format(
        "parallel run: lookahead {} ps: a link crossing partitions needs a positive delay",
        lookahead.picoseconds()));
  }
  lookahead_ = lookahead;
}

void ParallelEngine::fail(std::exception_ptr error) {
  static std::mutex lock;
  const std::lock_guard<std::mutex> hold(lock);
  if (!error_) error_ = std::move(error);
  failed_ = true;
}

// Delivers what the other partitions sent to partition p during the window that ended at
// `window_end`; nothing may arrive before it (the lookahead guarantees that).
void ParallelEngine::drain(std::size_t p, Time window_end) {
  Partition& me = *parts_[p];
  for (std::size_t q = 0; q < parts_.size(); ++q) {
    if (q == p) continue;
    Outbox& in = parts_[q]->outboxes[p];
    for (RemoteEvent& r : in) {
      check_due(q, p, r.event.at, window_end);
      const std::uint64_t arg = r.has_payload ? me.adopter->adopt(r.payload) : r.event.arg;
      me.sim.push(r.event.at, r.event.tie, *r.event.target, arg);
    }
    in.clear();
  }
}

void ParallelEngine::check_due(std::size_t from, std::size_t to, Time at, Time window_end) const {
  if (at < window_end) {
    throw std::logic_error(fmt::format(
        "parallel run: an event from partition {} to {} at {} ps is inside the window "
        "ending at {} ps (a cross-partition delay below the lookahead of {} ps)",
        from, to, at.picoseconds(), window_end.picoseconds(), lookahead_.picoseconds()));
  }
}

// A window of a run whose completion a control plane decides:
//  1. partitions with work in flight run the window, or stop where their last part finished
//     (none of them may run past the event that completes the workload);
//  2. the control plane settles what was reported, on one thread;
//  3. complete: every partition runs up to the completing event; otherwise the partitions that
//     did not run the whole window in step 1 run it now (what the control plane started
//     begins after the window, so nothing they run reports).
template <class Guarded>
bool ParallelEngine::controlled_window(std::size_t p, Time upto, std::uint64_t upto_tie,
                                       Guarded& guarded) {
  Simulator& sim = parts_[p]->sim;
  auto& barrier = barrier_->barrier;
  guarded([&] {
    reached_[p] = 0;
    if (!control_->busy(p)) return;
    reached_[p] = sim.run_through(upto, upto_tie) == StopReason::kStopRequested ? 0 : 1;
  });
  barrier.arrive_and_wait();
  if (halt_) return true;
  if (p == 0) guarded([&] { control_finished_ = control_->settle(upto, upto_tie); });
  barrier.arrive_and_wait();
  if (halt_) return true;
  if (control_finished_) {
    const EventId last = control_->end();
    guarded([&] {
      while (sim.run_through(last.at, last.tie) == StopReason::kStopRequested) {
      }
    });
    if (p == 0) {
      ended_by_done_ = true;
      done_at_ = last.at;
    }
    barrier.arrive_and_wait();
    return true;
  }
  guarded([&] {
    if (reached_[p] != 0) return;
    if (sim.run_through(upto, upto_tie) == StopReason::kStopRequested) {
      throw std::logic_error(fmt::format(
          "parallel run: partition {} reported work finished at {} ps that was not in flight", p,
          sim.now().picoseconds()));
    }
  });
  barrier.arrive_and_wait();
  return halt_;
}

void ParallelEngine::worker(std::size_t p, Time stop_at, const std::function<bool()>* interrupt) {
  Partition& me = *parts_[p];
  auto& barrier = barrier_->barrier;
  const std::size_t n = parts_.size();
  auto global_next = [this] {
    Time next = *std::min_element(next_.begin(), next_.end());
    if (global_ != nullptr) next = std::min(next, global_->next_at());
    if (control_ != nullptr) next = std::min(next, control_->next_at());
    return next;
  };
  Time start = global_next();
  std::uint64_t window = 0;
  bool failed_here = false;
  // Runs fn unless this run failed already; a throw marks the run failed (every thread then
  // leaves the loop at the next barrier, together).
  auto guarded = [&](auto&& fn) {
    if (failed_here) return;
    try {
      fn();
    } catch (...) {
      failed_here = true;
      fail(std::current_exception());
    }
  };
  while (start != Time::max() && start <= stop_at) {
    const Window bounds = window_from(start, stop_at);
    if (control_ != nullptr) {
      if (controlled_window(p, bounds.upto, bounds.upto_tie, guarded)) break;
    } else {
      // Step 1: partitions whose workload part is not complete run the window (or up to the
      // event that completes it).
      guarded([&] {
        if (done_[p]) return;
        while (me.sim.run_through(bounds.upto, bounds.upto_tie) == StopReason::kStopRequested) {
          if (stop_on_done_) {
            done_[p] = 1;
            done_time_[p] = me.sim.now();
            done_tie_[p] = me.sim.current_tie();
            break;
          }
        }
      });
      barrier.arrive_and_wait();
      if (halt_) break;
      bool all_done = stop_on_done_;
      bool any_done = false;
      for (std::size_t q = 0; q < n; ++q) {
        all_done = all_done && done_[q] != 0;
        any_done = any_done || done_[q] != 0;
      }
      if (all_done) {
        // The run ends at the last completion; everything ordered before it runs everywhere.
        std::size_t last = 0;
        for (std::size_t q = 1; q < n; ++q) {
          if (done_time_[q] > done_time_[last] ||
              (done_time_[q] == done_time_[last] && done_tie_[q] > done_tie_[last])) {
            last = q;
          }
        }
        guarded([&] {
          while (me.sim.run_through(done_time_[last], done_tie_[last]) ==
                 StopReason::kStopRequested) {
          }
        });
        if (p == 0) {
          ended_by_done_ = true;
          done_at_ = done_time_[last];
        }
        barrier.arrive_and_wait();
        break;
      }
      if (any_done && stop_on_done_) {
        // Step 2: partitions already complete run the window too; they waited so that none of
        // them ran past a last completion that step 1 might have found.
        guarded([&] {
          if (!done_[p]) return;
          while (me.sim.run_through(bounds.upto, bounds.upto_tie) == StopReason::kStopRequested) {
          }
        });
        barrier.arrive_and_wait();
        if (halt_) break;
      }
    }
    guarded([&] {
      drain(p, bounds.end);
      next_[p] = me.sim.next_time();
    });
    ++window;
    if (p == 0 && interrupt != nullptr && *interrupt && window % 256 == 0) {
      guarded([&] {
        if ((*interrupt)()) interrupted_ = true;
      });
    }
    barrier.arrive_and_wait();
    if (halt_) break;
    if (bounds.global) {
      // Every partition has run what is ordered before the global event and holds what comes
      // after it: one thread runs it on the whole model, the others wait.
      if (p == 0) {
        guarded([&] {
          std::size_t pending = control_ != nullptr ? control_->pending() : 0;
          for (const auto& part : parts_) {
            part->sim.advance_to(bounds.upto);
            pending += part->sim.pending();
          }
          global_->fire(pending);
          ++global_events_;
        });
      }
      barrier.arrive_and_wait();
      if (halt_) break;
    }
    start = global_next();
  }
  if (p == 0) windows_ = window;
}

ParallelEngine::Window ParallelEngine::window_from(Time start, Time stop_at) const {
  const Time end = (window_length_ >= Time::max() - start) ? Time::max() : start + window_length_;
  Window w{end == Time::max() ? end : end - Time::ps(1), ~0ULL, Time::max(), false};
  if (stop_at < w.upto) w.upto = stop_at;
  if (global_ != nullptr) {
    const Time g = global_->next_at();
    const std::uint64_t before = global_->next_tie() - 1;
    if (g != Time::max() && g <= stop_at && (g < w.upto || (g == w.upto && before < w.upto_tie))) {
      w.upto = g;
      w.upto_tie = before;
      w.global = true;
    }
  }
  w.end = w.upto == Time::max() ? w.upto : w.upto + Time::ps(1);
  return w;
}

Time ParallelEngine::window_length() const {
  if (control_ == nullptr) return lookahead_;
  if (control_->latency() <= Time::zero()) {
    throw std::invalid_argument("parallel run: the control plane needs a positive latency");
  }
  return std::min(lookahead_, control_->latency());
}

ParallelEngine::Result ParallelEngine::run(Time stop_at, const std::function<bool()>& interrupt) {
  for (std::size_t p = 0; p < parts_.size(); ++p)
    next_[p] = parts_[p]->sim.next_time();
  failed_ = false;
  interrupted_ = false;
  ended_by_done_ = false;
  halt_ = false;
  control_finished_ = false;
  reached_.assign(parts_.size(), 0);
  window_length_ = window_length();
  barrier_ = std::make_unique<BarrierImpl>(static_cast<std::ptrdiff_t>(parts_.size()), this);
  {
    std::vector<std::jthread> threads;
    for (std::size_t p = 1; p < parts_.size(); ++p)
      threads.emplace_back([this, p, stop_at] { worker(p, stop_at, nullptr); });
    worker(0, stop_at, &interrupt);
  }
  barrier_.reset();
  if (error_) std::rethrow_exception(error_);
  Result r;
  r.windows = windows_;
  r.interrupted = interrupted_;
  r.stopped_done = ended_by_done_;
  r.events = global_events_ + (control_ != nullptr ? control_->events() : 0);
  for (const auto& part : parts_)
    r.events += part->sim.events_processed();
  if (ended_by_done_) {
    r.end = done_at_;
  } else if (stop_at != Time::max()) {
    r.end = stop_at;
  } else {
    r.end = Time::zero();
    for (const auto& part : parts_)
      r.end = std::max(r.end, part->sim.now());
  }
  return r;
}

namespace {
// An event on the wire between processes: the target named by its component id.
struct WireEvent {
  std::int64_t at;
  std::uint64_t tie;
  std::uint64_t target;
  std::uint64_t arg;
  std::uint64_t has_payload;
  std::array<std::byte, RemoteEvent::kPayloadBytes> payload;
};
static_assert(std::is_trivially_copyable_v<WireEvent>);
}  // namespace

ParallelEngine::Result ParallelEngine::run_distributed(Time stop_at, Exchange& exchange) {
  const std::size_t n = parts_.size();
  const std::size_t p = exchange.rank();
  if (exchange.size() != n || p >= n) {
    throw std::invalid_argument(
        fmt::format("distributed run: {} processes for {} partitions", exchange.size(), n));
  }
  Simulator& me = parts_[p]->sim;
  if (me.component_count() > 1 && me.component(1) == nullptr) {
    throw std::logic_error("distributed run: the engine was built without a component registry");
  }
  std::vector<std::vector<std::byte>> to(n);
  // The global event and the control plane are replicated: every process knows their times.
  auto global_next = [&] {
    Time next = Time::ps(exchange.min(me.next_time().picoseconds()));
    if (global_ != nullptr) next = std::min(next, global_->next_at());
    return control_ == nullptr ? next : std::min(next, control_->next_at());
  };
  window_length_ = window_length();
  Time start = global_next();
  std::uint64_t windows = 0;
  bool ended_by_done = false;
  Time done_at;
  while (start != Time::max() && start <= stop_at) {
    const Window bounds = window_from(start, stop_at);
    if (control_ != nullptr) {
      // As controlled_window(), every process keeping a copy of the control plane: the reports
      // are shared before it settles.
      bool reached = false;
      if (control_->busy(p)) {
        reached = me.run_through(bounds.upto, bounds.upto_tie) != StopReason::kStopRequested;
      }
      const std::vector<std::uint64_t> words = control_->reports_of(p);
      std::vector<std::byte> bytes(words.size() * sizeof(std::uint64_t));
      std::memcpy(bytes.data(), words.data(), bytes.size());
      const auto from = exchange.all_to_all(std::vector<std::vector<std::byte>>(n, bytes));
      for (std::size_t q = 0; q < n; ++q) {
        if (q == p) continue;
        std::vector<std::uint64_t> theirs(from[q].size() / sizeof(std::uint64_t));
        std::memcpy(theirs.data(), from[q].data(), theirs.size() * sizeof(std::uint64_t));
        control_->add_reports(q, theirs);
      }
      if (control_->settle(bounds.upto, bounds.upto_tie)) {
        const EventId last = control_->end();
        while (me.run_through(last.at, last.tie) == StopReason::kStopRequested) {
        }
        ended_by_done = true;
        done_at = last.at;
        break;
      }
      if (!reached && me.run_through(bounds.upto, bounds.upto_tie) == StopReason::kStopRequested) {
        throw std::logic_error(fmt::format(
            "distributed run: partition {} reported work finished at {} ps that was not in "
            "flight",
            p, me.now().picoseconds()));
      }
    } else {
      if (!done_[p]) {
        while (me.run_through(bounds.upto, bounds.upto_tie) == StopReason::kStopRequested) {
          if (stop_on_done_) {
            done_[p] = 1;
            done_time_[p] = me.now();
            done_tie_[p] = me.current_tie();
            break;
          }
        }
      }
      // Everyone's completion state: (done, time, tie) per process.
      const auto states = exchange.all_gather(
          {done_[p], static_cast<std::uint64_t>(done_time_[p].picoseconds()), done_tie_[p]});
      bool all_done = stop_on_done_;
      bool any_done = false;
      std::size_t last = 0;
      for (std::size_t q = 0; q < n; ++q) {
        done_[q] = static_cast<std::uint8_t>(states[3 * q]);
        done_time_[q] = Time::ps(static_cast<std::int64_t>(states[3 * q + 1]));
        done_tie_[q] = states[3 * q + 2];
        all_done = all_done && done_[q] != 0;
        any_done = any_done || done_[q] != 0;
        if (done_[q] != 0 &&
            (done_time_[q] > done_time_[last] ||
             (done_time_[q] == done_time_[last] && done_tie_[q] > done_tie_[last]) ||
             done_[last] == 0)) {
          last = q;
        }
      }
      if (all_done) {
        while (me.run_through(done_time_[last], done_tie_[last]) == StopReason::kStopRequested) {
        }
        ended_by_done = true;
        done_at = done_time_[last];
        break;
      }
      // Partitions already complete run the window now (see run()); the states above were
      // taken before this, so none of them ran past a last completion found in step 1.
      if (any_done && stop_on_done_ && done_[p] != 0) {
        while (me.run_through(bounds.upto, bounds.upto_tie) == StopReason::kStopRequested) {
        }
      }
    }
    for (std::size_t q = 0; q < n; ++q) {
      to[q].clear();
      if (q == p) continue;
      Outbox& out = parts_[p]->outboxes[q];
      to[q].resize(out.size() * sizeof(WireEvent));
      for (std::size_t i = 0; i < out.size(); ++i) {
        const RemoteEvent& r = out[i];
        const auto* target = dynamic_cast<const Component*>(r.event.target);
        if (target == nullptr) {
          throw std::logic_error("distributed run: an event for another process has no component");
        }
        WireEvent w{r.event.at.picoseconds(), r.event.tie, target->component_id(), r.event.arg,
                    r.has_payload ? 1U : 0U,  r.payload};
        std::memcpy(to[q].data() + i * sizeof(WireEvent), &w, sizeof(WireEvent));
      }
      out.clear();
    }
    const auto from = exchange.all_to_all(to);
    for (std::size_t q = 0; q < n; ++q) {
      const std::size_t count = from[q].size() / sizeof(WireEvent);
      for (std::size_t i = 0; i < count; ++i) {
        WireEvent w;
        std::memcpy(&w, from[q].data() + i * sizeof(WireEvent), sizeof(WireEvent));
        const Time at = Time::ps(w.at);
        check_due(q, p, at, bounds.end);
        Component* target = me.component(static_cast<std::uint32_t>(w.target));
        if (target == nullptr) {
          throw std::logic_error(
              fmt::format("distributed run: no component {} in this process", w.target));
        }
        const std::uint64_t arg = w.has_payload != 0 ? parts_[p]->adopter->adopt(w.payload) : w.arg;
        me.push(at, w.tie, *target, arg);
      }
    }
    ++windows;
    if (bounds.global) {
      // Every process has run what is ordered before the global event; each runs it on its
      // copy of the model (a time-series sample merges the partitions' parts through
      // `exchange`), with the pending events of all partitions.
      for (auto& part : parts_)
        part->sim.advance_to(bounds.upto);
      std::vector<std::uint64_t> pending{me.pending()};
      exchange.sum(pending);
      global_->fire(pending[0] + (control_ != nullptr ? control_->pending() : 0));
      ++global_events_;
    }
    start = global_next();
  }
  Result r;
  r.windows = windows;
  r.stopped_done = ended_by_done;
  std::vector<std::uint64_t> events{me.events_processed()};
  exchange.sum(events);
  // Every process ran the same control plane actions: counted once.
  r.events = events[0] + global_events_ + (control_ != nullptr ? control_->events() : 0);
  if (ended_by_done) {
    r.end = done_at;
  } else if (stop_at != Time::max()) {
    r.end = stop_at;
  } else {
    r.end = Time::ps(exchange.max(me.now().picoseconds()));
  }
  return r;
}

}  // namespace fabricsim::sim
