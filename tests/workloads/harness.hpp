// Test helper: generate a schedule, run it on the local transport and check every byte.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "workloads/algorithms/registry.hpp"
#include "workloads/transports/local/check.hpp"
#include "workloads/transports/local/local_fabric.hpp"

namespace fabricsim::workloads::testing {

inline std::string describe(const CollectiveRequest& r) {
  return std::string(to_string(r.op)) + "/" + r.algorithm + " n=" + std::to_string(r.nranks) +
         " count=" + std::to_string(r.count) + " " + std::string(to_string(r.dtype)) +
         " channels=" + std::to_string(r.channels) + " slice=" + std::to_string(r.slice_bytes) +
         " rpn=" + std::to_string(r.ranks_per_node) + " root=" + std::to_string(r.root);
}

// Runs the schedule in FIFO order and in one seeded random order (results must not depend on
// completion order). Returns an empty string on success, else what went wrong.
inline std::string run_and_check(const CollectiveRequest& request) {
  try {
    const Schedule schedule = generate(request);
    for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{0x5eed} + request.count}) {
      local::LocalFabric fabric(schedule, seed);
      fabric.run();
      const local::CheckResult result =
          local::check_result(schedule, fabric.inputs(), fabric.outputs());
      if (!result.ok) {
        return describe(request) + " seed " + std::to_string(seed) + ": " + result.message;
      }
    }
    return std::string();
  } catch (const std::exception& e) {
    return describe(request) + ": " + e.what();
  }
}

// Ranks-per-node values worth testing for n ranks: 1, 2, 4 and n when they divide n.
inline std::vector<std::int32_t> node_sizes(std::int32_t n) {
  std::vector<std::int32_t> sizes;
  for (std::int32_t l : {1, 2, 4, n}) {
    if (n % l == 0 && std::find(sizes.begin(), sizes.end(), l) == sizes.end()) sizes.push_back(l);
  }
  return sizes;
}

}  // namespace fabricsim::workloads::testing
