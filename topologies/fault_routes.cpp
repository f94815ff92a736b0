// Routes around failed links, per link-state epoch (see fault_routes.hpp).
#include "topologies/fault_routes.hpp"

#include <algorithm>
#include <stdexcept>

namespace fabricsim::topologies {

FaultRoutes::FaultRoutes(const NetworkGraph& graph, const Routes& base,
                         std::vector<std::vector<std::uint32_t>> down_ports)
    : graph_(graph), base_(base), down_ports_(std::move(down_ports)) {
  for (const auto& epoch : down_ports_) {
    for (const std::uint32_t p : epoch) {
      if (p >= graph_.port_count()) throw std::out_of_range("FaultRoutes: no such port");
    }
  }
}

std::shared_ptr<const Routes> FaultRoutes::routes_of(std::uint32_t epoch) {
  const std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [e, routes] : cache_) {
    if (e == epoch) return routes;
  }
  std::vector<std::uint8_t> down(graph_.port_count(), 0);
  for (const std::uint32_t p : down_ports_.at(epoch)) {
    down[p] = 1;
    down[graph_.peer_port[p]] = 1;
  }
  auto routes = std::make_shared<const Routes>(compute_routes(graph_, down));
  ++computations_;
  if (cache_.size() == kKept) cache_.erase(cache_.begin());
  cache_.emplace_back(epoch, routes);
  return routes;
}

void FaultRoutes::install(models::Fabric& fabric, std::uint32_t switch_index, std::uint32_t epoch) {
  if (epoch == 0) {
    fabric.set_routes(switch_index, base_.switch_group_of_edge(switch_index),
                      base_.switch_groups(switch_index));
    return;
  }
  const auto routes = routes_of(epoch);
  fabric.set_routes(switch_index, routes->switch_group_of_edge(switch_index),
                    routes->switch_groups(switch_index));
}

std::uint64_t FaultRoutes::computations() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return computations_;
}

}  // namespace fabricsim::topologies
