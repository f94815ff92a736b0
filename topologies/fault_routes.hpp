// Routing convergence under faults: the models' RouteSource, giving each switch the routes
// compute_routes would compute around the links down at each convergence step, but updated
// incrementally from the step before. A link change touches a destination edge's routes only
// where the link lies on its shortest-path graph; the hop distances to that edge are
// recomputed (one BFS) only when the change can alter them (a switch loses its last way
// closer, or a link joins switches more than one hop apart); otherwise only the group of the
// link's farther end changes. Steps are computed in order, once, by the first switch that
// asks (partition threads share them under a lock); a step's new tables are kept until every
// switch this process runs has installed it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "models/faults/fault_plan.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"

namespace fabricsim::topologies {

class FaultRoutes final : public models::RouteSource {
 public:
  // `graph` must outlive this; `base` is its fault-free routing (copied). down_ports[k]: the
  // graph ports (one per link, either end) of the links down at convergence step k; step 0 is
  // the start (no link down). `installing_switches`: how many switches will install each step
  // (those this process runs).
  FaultRoutes(const NetworkGraph& graph, const Routes& base,
              std::vector<std::vector<std::uint32_t>> down_ports,
              std::uint32_t installing_switches);

  // Step `step` (>= 1), for switch `switch_index`: sets its routes if the step changed them.
  void install(models::Fabric& fabric, std::uint32_t switch_index, std::uint32_t step) override;

  // Testing and benchmarks: the next hops of switch sw towards edge index e after the steps
  // computed so far (local port numbers, ascending), and how many columns needed a BFS.
  std::vector<std::uint16_t> next_hops(std::uint32_t sw, std::uint32_t edge) const;
  void compute_through(std::uint32_t step);
  std::uint64_t recomputed_columns() const { return recomputed_columns_; }

 private:
  struct Step {
    std::unordered_map<std::uint32_t, std::shared_ptr<const models::RouteTable>> tables;
    std::uint32_t installs = 0;
  };
  // Per switch, its groups and (built when its routes first change) their index by hash.
  struct SwitchGroups {
    std::vector<std::vector<std::uint16_t>> groups;
    std::unordered_multimap<std::uint64_t, std::uint16_t> by_hash;
    bool indexed = false;
  };

  void advance();  // computes the next step from the current state
  std::vector<std::uint32_t> links_of_step(std::uint32_t step) const;
  void change_link(std::uint32_t port, bool down);
  void regroup(std::uint32_t sw, std::uint32_t edge);
  void bfs_column(std::uint32_t edge);
  std::uint8_t& dist(std::uint32_t sw, std::uint32_t edge) {
    return distance_[std::size_t{sw} * edges_ + edge];
  }
  std::uint8_t dist(std::uint32_t sw, std::uint32_t edge) const {
    return distance_[std::size_t{sw} * edges_ + edge];
  }
  bool usable(std::uint32_t port) const {
    return down_[port] == 0 && graph_.is_switch(graph_.port_node[graph_.peer_port[port]]);
  }
  std::uint16_t intern(std::uint32_t sw, const std::vector<std::uint16_t>& ports);

  const NetworkGraph& graph_;
  std::uint32_t edges_;
  std::vector<std::uint32_t> edge_switches_;
  std::vector<std::uint8_t> distance_;        // [switch * edges + edge]
  std::vector<std::uint16_t> group_of_edge_;  // [switch * edges + edge], per-switch group ids
  std::vector<SwitchGroups> switch_groups_;
  std::vector<std::uint8_t> down_;  // per graph port
  std::vector<std::vector<std::uint32_t>> down_ports_;
  std::vector<std::uint8_t> dirty_;        // per switch, during a step
  std::vector<std::uint32_t> dirty_list_;  // the switches marked in dirty_
  std::uint32_t installing_;
  mutable std::mutex mutex_;
  std::uint32_t computed_ = 0;  // steps applied to the state
  std::map<std::uint32_t, Step> steps_;
  std::uint64_t recomputed_columns_ = 0;
};

}  // namespace fabricsim::topologies
