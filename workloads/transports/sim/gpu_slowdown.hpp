// A GPU slower than its peers (a straggler) as the sim transport and the runs above it charge it:
// factors on its kernel launch, reductions and compute phases, and a stall during which it
// starts no work. Plain arithmetic on simulated time, no state.
#pragma once

#include <cmath>
#include <cstdint>

#include "sim/time.hpp"

namespace fabricsim::workloads {

// `t` times `factor` (>= 1), rounded to the nearest picosecond; Time::max() past the range.
inline sim::Time scale_time(sim::Time t, double factor) {
  if (factor == 1.0) return t;
  const long double ps =
      std::round(static_cast<long double>(t.picoseconds()) * static_cast<long double>(factor));
  if (ps >= 9.2e18L) return sim::Time::max();
  return sim::Time::ps(static_cast<std::int64_t>(ps));
}

struct GpuSlowdown {
  double compute_factor = 1.0;  // a training step's compute phases last this much longer
  double launch_factor = 1.0;   // on the collective kernel launch latency (gpu.launch_latency)
  double reduce_factor = 1.0;   // reductions take this much longer (throughput / factor)
  sim::Time stall_at;           // no work starts in [stall_at, stall_at + stall_for)
  sim::Time stall_for;          // zero: no stall
  sim::Time from = sim::Time::zero();  // the factors apply to work starting in [from, until)
  sim::Time until = sim::Time::max();

  bool stalls() const { return stall_for > sim::Time::zero(); }
  sim::Time stall_end() const { return stall_at + stall_for; }
  // Whether the factors apply to work starting at `start`.
  bool slows(sim::Time start) const { return start >= from && start < until; }
  // When work ready at `t` starts: the stall's end when `t` falls in the stall, else `t`.
  sim::Time resume(sim::Time t) const {
    return stalls() && t >= stall_at && t < stall_end() ? stall_end() : t;
  }
  // When a completion due at `t` is heard: at the stall's end when `t` falls inside the stall
  // (work that ends as the stall begins is heard at once).
  sim::Time heard(sim::Time t) const {
    return stalls() && t > stall_at && t < stall_end() ? stall_end() : t;
  }
  // When work of `duration` ready at `ready` ends: it starts at resume(ready), lasts
  // `duration` x `factor` when it starts in [from, until), and makes no progress during a stall
  // that begins while it runs.
  sim::Time end_of(sim::Time ready, sim::Time duration, double factor = 1.0) const {
    const sim::Time start = resume(ready);
    if (slows(start)) duration = scale_time(duration, factor);
    if (duration > sim::Time::max() - start) return sim::Time::max();
    const sim::Time end = start + duration;
    if (!stalls() || start >= stall_at || end <= stall_at) return end;
    return stall_for > sim::Time::max() - end ? sim::Time::max() : end + stall_for;
  }
};

}  // namespace fabricsim::workloads
