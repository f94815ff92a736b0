// The window loop of the conservative parallel engine (see parallel.hpp).
#include "sim/parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <barrier>
#include <mutex>
#include <stdexcept>
#include <thread>

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

ParallelEngine::ParallelEngine(std::size_t partitions, std::uint64_t seed)
    : done_(partitions, 0),
      done_time_(partitions),
      done_tie_(partitions, 0),
      next_(partitions, Time::max()) {
  if (partitions == 0) throw std::invalid_argument("a parallel run needs at least 1 partition");
  for (std::size_t i = 0; i < partitions; ++i) {
    parts_.push_back(std::make_unique<Partition>(seed, partitions));
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
      if (r.event.at < window_end) {
        throw std::logic_error(fmt::format(
            "parallel run: an event from partition {} to {} at {} ps is inside the window "
            "ending at {} ps (a cross-partition delay below the lookahead of {} ps)",
            q, p, r.event.at.picoseconds(), window_end.picoseconds(), lookahead_.picoseconds()));
      }
      const std::uint64_t arg = r.has_payload ? me.adopter->adopt(r.payload) : r.event.arg;
      me.sim.push(r.event.at, r.event.tie, *r.event.target, arg);
    }
    in.clear();
  }
}

void ParallelEngine::worker(std::size_t p, Time stop_at, const std::function<bool()>* interrupt) {
  Partition& me = *parts_[p];
  auto& barrier = barrier_->barrier;
  const std::size_t n = parts_.size();
  auto global_next = [this] { return *std::min_element(next_.begin(), next_.end()); };
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
    const Time end = (lookahead_ >= Time::max() - start) ? Time::max() : start + lookahead_;
    const Time window_end = stop_at == Time::max() ? end : std::min(end, stop_at + Time::ps(1));
    // Step 1: partitions whose workload part is not complete run the window (or up to the
    // event that completes it).
    guarded([&] {
      if (done_[p]) return;
      while (me.sim.run_before(window_end) == StopReason::kStopRequested) {
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
        while (me.sim.run_before(window_end) == StopReason::kStopRequested) {
        }
      });
      barrier.arrive_and_wait();
      if (halt_) break;
    }
    guarded([&] {
      drain(p, window_end);
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
    start = global_next();
  }
  if (p == 0) windows_ = window;
}

ParallelEngine::Result ParallelEngine::run(Time stop_at, const std::function<bool()>& interrupt) {
  for (std::size_t p = 0; p < parts_.size(); ++p)
    next_[p] = parts_[p]->sim.next_time();
  failed_ = false;
  interrupted_ = false;
  ended_by_done_ = false;
  halt_ = false;
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

}  // namespace fabricsim::sim
