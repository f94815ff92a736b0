// Routing convergence under faults: the models' RouteSource computed by compute_routes on the
// graph without the links of a link-state epoch. An epoch's routes are computed once, by the
// first switch that asks (partition threads share them under a lock), and kept while the next
// epochs arrive (the few most recent); epoch 0 is the fault-free routing the run started with.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "models/faults/fault_plan.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"

namespace fabricsim::topologies {

class FaultRoutes final : public models::RouteSource {
 public:
  // `graph` and `base` (its fault-free routes) must outlive this. down_ports[k]: the graph ports
  // (one per link) of the links down in epoch k.
  FaultRoutes(const NetworkGraph& graph, const Routes& base,
              std::vector<std::vector<std::uint32_t>> down_ports);

  void install(models::Fabric& fabric, std::uint32_t switch_index, std::uint32_t epoch) override;
  std::uint64_t computations() const;  // route computations so far

 private:
  std::shared_ptr<const Routes> routes_of(std::uint32_t epoch);

  static constexpr std::size_t kKept = 4;
  const NetworkGraph& graph_;
  const Routes& base_;
  std::vector<std::vector<std::uint32_t>> down_ports_;
  mutable std::mutex mutex_;
  std::vector<std::pair<std::uint32_t, std::shared_ptr<const Routes>>> cache_;  // newest last
  std::uint64_t computations_ = 0;
};

}  // namespace fabricsim::topologies
