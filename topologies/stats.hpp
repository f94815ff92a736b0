// Summary figures of a built topology (counts, bisection bandwidth, diameter,
// oversubscription) as a struct, as JSON and as text, plus Graphviz DOT output for small
// fabrics. Used by `fabricsim topo` and by results.json's "topology" block.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"
#include "topologies/spec.hpp"

namespace fabricsim::topologies {

struct TopologyStats {
  std::string name;
  std::string kind;
  std::uint64_t gpus = 0;
  std::uint64_t hosts = 0;
  std::uint64_t nics = 0;
  std::uint64_t nic_ports = 0;  // NICs x planes
  std::uint64_t switches = 0;
  std::vector<std::uint64_t> switches_per_tier;
  std::uint64_t links = 0;         // all bidirectional links
  std::uint64_t host_links = 0;    // NIC-switch
  std::uint64_t switch_links = 0;  // switch-switch
  std::uint64_t switch_ports = 0;
  // One-direction capacity across the canonical bisection (see README: per kind), bits/s; 0
  // when not computed (explicit topologies).
  double bisection_bps = 0;
  std::string bisection_method;
  std::uint32_t diameter_switch_hops = 0;  // max link hops between two edge switches
  std::uint32_t diameter_links = 0;        // max link hops between two NICs
  bool all_reachable = true;
  // Per switch tier that has uplinks: aggregate down capacity / aggregate up capacity.
  std::vector<double> oversubscription;
};

TopologyStats compute_stats(const TopologySpec& spec, const NetworkGraph& g, const Routes& r);
nlohmann::json stats_to_json(const TopologyStats& s);
std::string stats_to_text(const TopologyStats& s);

// Graphviz (undirected) of the switches and NICs; throws ConfigError above max_nodes nodes.
std::string to_dot(const NetworkGraph& g, std::uint32_t max_nodes = 4096);

}  // namespace fabricsim::topologies
