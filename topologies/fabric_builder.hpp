// Instantiates a NetworkGraph and its Routes as a simulated models::Fabric: every switch, NIC,
// link and forwarding table, ready to simulate.
#pragma once

#include <memory>

#include "models/fabric.hpp"
#include "sim/simulator.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"

namespace fabricsim::topologies {

// The returned fabric refers to `sim`, which must outlive it. Throws ConfigError for a graph
// the packet models cannot represent (a NIC with more than one port: two planes).
std::unique_ptr<models::Fabric> build_fabric(const NetworkGraph& graph, const Routes& routes,
                                             sim::Simulator& sim);

}  // namespace fabricsim::topologies
