// The measured (and predicted) table of fabricsim-hw: one row per size, printed in the style of
// nccl-tests on rank 0 and written as JSON (schema fabricsim.hw/1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "apps/fabricsim-hw/options.hpp"

namespace fabricsim::hw_app {

struct Row {
  std::uint64_t bytes = 0;  // nccl-tests size (collective_bytes)
  std::uint64_t count = 0;  // elements in `bytes`
  double time_us = 0;       // per iteration, the slowest rank's average
  double algbw_GBps = 0;
  double busbw_GBps = 0;
  std::optional<std::uint64_t> wrong;  // elements differing from the expected output (--check)
  std::optional<double> predicted_time_us;
  std::optional<double> predicted_algbw_GBps;
  std::optional<double> predicted_busbw_GBps;
};

// The heading lines (starting with '#') and the column header.
std::string table_header(const HwOptions& options, std::int32_t nranks,
                         const std::string& transport, bool predicted);
std::string table_row(const HwOptions& options, const Row& row, bool predicted);

nlohmann::json table_json(const HwOptions& options, std::int32_t nranks,
                          const std::string& transport, const std::vector<Row>& rows);

}  // namespace fabricsim::hw_app
