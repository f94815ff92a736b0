// Shared helpers of the topologies tests: loading example configs and an independent
// (non-Boost) BFS used to check the routing tables.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"
#include "topologies/spec.hpp"

namespace fabricsim::topologies::testing {

inline std::string config_path(const std::string& file) {
  return std::string(FABRICSIM_SOURCE_DIR) + "/configs/topologies/" + file;
}

inline TopologySpec parse_text(const std::string& text) {
  return parse_topology(nlohmann::json::parse(text), "test.json");
}

// Hop distances from `from` over switch-switch links, computed without Boost.
inline std::vector<int> bfs_distances(const NetworkGraph& g, std::uint32_t from) {
  std::vector<int> dist(g.switch_count, -1);
  std::deque<std::uint32_t> queue{from};
  dist[from] = 0;
  while (!queue.empty()) {
    const std::uint32_t s = queue.front();
    queue.pop_front();
    for (std::uint32_t p = 0; p < g.degree(s); ++p) {
      const std::uint32_t t = g.neighbor(s, p);
      if (g.is_switch(t) && dist[t] < 0) {
        dist[t] = dist[s] + 1;
        queue.push_back(t);
      }
    }
  }
  return dist;
}

}  // namespace fabricsim::topologies::testing
