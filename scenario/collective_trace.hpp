// A collective's steps as Chrome trace events (trace.json beside the flows): one process per
// traced rank with a thread per channel and a slice per op of the last iteration, plus a
// process with one slice per iteration.
#pragma once

#include <cstddef>
#include <cstdint>

#include <vector>

#include "scenario/collective_run.hpp"
#include "scenario/results.hpp"
#include "sim/parallel.hpp"
#include "sim/trace.hpp"

namespace fabricsim::scenario {

// The process that holds the iterations; rank r is process kCollectiveTracePid + 1 + r.
inline constexpr std::uint32_t kCollectiveTracePid = 2;
// Ranks beyond this many are not traced (a 1,024-rank ring has two million steps).
inline constexpr std::int32_t kMaxTracedRanks = 64;

// One op of a traced rank that ran in the last iteration, as the trace shows it.
struct TracedOp {
  std::int64_t start_ps = 0;
  std::int64_t end_ps = 0;
  std::int32_t peer = workloads::kNoPeer;         // receive source
  std::int32_t send_target = workloads::kNoPeer;  // send target
  std::uint16_t channel = 0;
  workloads::OpKind kind = workloads::OpKind::kSend;
};
// Per traced rank (the first kMaxTracedRanks), its ops that ran, in program order; empty for a
// rank this process does not run (a distributed run: see share_traced_ops).
using TracedRanks = std::vector<std::vector<TracedOp>>;
TracedRanks traced_ops(const CollectiveRun& run);
// Distributed runs: process 0 gets every process's traced ranks (a collective call).
void share_traced_ops(TracedRanks& ranks, sim::Exchange& x);

// Returns the number of slices written. `ops`: traced_ops(run), or those of every process.
std::size_t write_collective_trace(sim::TraceWriter& trace, const CollectiveRun& run,
                                   const TracedRanks& ops);

// A training step's phases: process "training step", one thread and slice per phase.
std::size_t write_phase_trace(sim::TraceWriter& trace, const std::vector<PhaseResult>& phases);

}  // namespace fabricsim::scenario
