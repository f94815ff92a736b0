// The simulator's prediction for a measured row: the same collective (op, algorithm, size,
// dtype, channels, slice) on N hosts behind one switch whose links have the rate and latency
// the user measured, built as a scenario document and run through the scenario layer, as
// `fabricsim run` would.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "apps/fabricsim-hw/options.hpp"

namespace fabricsim::hw_app {

struct Prediction {
  double time_us = 0;
  double algbw_GBps = 0;
  double busbw_GBps = 0;
};

// The scenario document (topology inline) for `bytes` on `nranks` hosts, overrides applied.
nlohmann::json prediction_scenario(const HwOptions& options, std::int32_t nranks,
                                   std::uint64_t bytes);

// Runs it. Throws topologies::ConfigError for a bad override or rate.
Prediction predict(const HwOptions& options, std::int32_t nranks, std::uint64_t bytes);

}  // namespace fabricsim::hw_app
