// Runs a scenario: builds the topology and fabric, drives the workload, samples time series,
// and returns the results; optionally writes results.json, config.json and CSV files.
#pragma once

#include <string>

#include "scenario/results.hpp"
#include "scenario/scenario.hpp"

namespace fabricsim::scenario {

struct RunOptions {
  std::string out_dir;    // empty: write nothing
  bool progress = false;  // a progress line on stderr (for terminals)
};

Results run_scenario(const Scenario& scenario, const RunOptions& options = {});

// The short human summary printed by `fabricsim run`.
std::string summary_text(const Scenario& scenario, const Results& results);

}  // namespace fabricsim::scenario
