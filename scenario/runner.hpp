// Runs a scenario: builds the topology and fabric, drives the workload, samples time series,
// and returns the results; optionally writes results.json, config.json and CSV files.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "scenario/results.hpp"
#include "scenario/scenario.hpp"
#include "sim/parallel.hpp"

namespace fabricsim::scenario {

struct RunOptions {
  std::string out_dir;    // empty: write nothing
  bool progress = false;  // a progress line on stderr (for terminals)
  // Polled from the event loop every few hundred thousand events (not per event); returning
  // true stops the run and run_scenario throws RunInterrupted, writing nothing. Used by the
  // Python module for Ctrl-C. Ignored when `progress` is on (one progress hook per simulator).
  std::function<bool()> interrupt;
  // Threads of a parallel run (conservative PDES, one fabric partition per thread; see
  // README "Parallel runs"). Results are identical for every count. 1: the single simulator;
  // 0: the scenario's "threads" (1 when it has none).
  unsigned threads = 0;
  // Distributed runs: this process is one of exchange->size() processes (MPI ranks; see
  // sim/mpi.hpp), each running one partition; every process returns the same Results, and only
  // the one of rank 0 writes out_dir. Not owned; nullptr: not distributed.
  sim::Exchange* distributed = nullptr;
  // Scenarios with faults: first run the same scenario without them, and report this run's
  // completion time (and FCT p99) against it in results.faults (slowdown). Ignored without
  // faults.
  bool compare_fault_free = false;
  // Set by run_scenario for the faulted run of such a comparison: the fault-free results.
  const Results* fault_free = nullptr;
};

// Thrown by run_scenario when RunOptions::interrupt asked the run to stop.
struct RunInterrupted : std::runtime_error {
  RunInterrupted() : std::runtime_error("run interrupted") {}
};

Results run_scenario(const Scenario& scenario, const RunOptions& options = {});

// The short human summary printed by `fabricsim run`.
std::string summary_text(const Scenario& scenario, const Results& results);

}  // namespace fabricsim::scenario
