// A collective's steps as Chrome trace events (trace.json beside the flows): one process per
// traced rank with a thread per channel and a slice per op of the last iteration, plus a
// process with one slice per iteration.
#pragma once

#include <cstddef>
#include <cstdint>

#include <vector>

#include "scenario/collective_run.hpp"
#include "scenario/results.hpp"
#include "sim/trace.hpp"

namespace fabricsim::scenario {

// The process that holds the iterations; rank r is process kCollectiveTracePid + 1 + r.
inline constexpr std::uint32_t kCollectiveTracePid = 2;
// Ranks beyond this many are not traced (a 1,024-rank ring has two million steps).
inline constexpr std::int32_t kMaxTracedRanks = 64;

// Returns the number of slices written.
std::size_t write_collective_trace(sim::TraceWriter& trace, const CollectiveRun& run);

// A training step's phases: process "training step", one thread and slice per phase.
std::size_t write_phase_trace(sim::TraceWriter& trace, const std::vector<PhaseResult>& phases);

}  // namespace fabricsim::scenario
