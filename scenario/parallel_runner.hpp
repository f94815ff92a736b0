// Parallel and distributed scenario runs (RunOptions::threads > 1 or an MPI exchange): the
// fabric split by topologies::partition_graph, one simulator per partition
// (sim::ParallelEngine), everything the workload observes kept per partition and merged after
// the run in an order that does not depend on the partitioning.
#pragma once

#include "scenario/results.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

namespace fabricsim::scenario {

Results run_parallel(const Scenario& s, const RunOptions& options);

}  // namespace fabricsim::scenario
