// The resource estimate of a topology, from its parameters alone (before anything is built):
// node, port and link counts in overflow-checked 64-bit arithmetic and the memory the graph,
// its routes and the simulated fabric will take. build_graph() refuses a topology whose counts
// do not fit the graph's 32-bit indexes or whose estimate exceeds sim::memory_limit_bytes().
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "topologies/spec.hpp"

namespace fabricsim::topologies {

struct BuildEstimate {
  // Counts. Exact for every kind but the dragonfly, whose global links are an upper bound.
  std::uint64_t gpus = 0;  // = NICs
  std::uint64_t nic_ports = 0;
  std::uint64_t switches = 0;
  std::uint64_t edge_switches = 0;  // switches with hosts (one routing-table column each)
  std::uint64_t links = 0;          // bidirectional, host links included
  std::uint64_t switch_ports = 0;
  std::uint64_t ports() const;  // saturating
  // Heap bytes of the whole build (graph, routes, simulated fabric), by what they belong to
  // (saturating: a count too large to multiply gives UINT64_MAX).
  std::uint64_t switch_bytes = 0;  // switches and their ports
  std::uint64_t nic_bytes = 0;     // NICs, their ports and PCIe stages
  std::uint64_t route_bytes = 0;   // the switch x edge-switch routing tables
  std::uint64_t nvlink_bytes = 0;  // simulated NVLink domains (GPU and NVSwitch ports)
  std::uint64_t total_bytes() const;
  // The JSON key the size comes from, for messages ("/radix", "/nodes", "/dims", ...).
  std::string size_key;
};

BuildEstimate estimate_build(const TopologySpec& spec);

// Throws ConfigError "FILE: /KEY: VALUE: ... needs about X to build (...), more than the
// memory limit Y (...)" or, for counts beyond 32-bit indexes, "... more than 2^32-1 ports".
void check_build_fits(const TopologySpec& spec, const BuildEstimate& estimate,
                      std::uint64_t limit_bytes);

nlohmann::json estimate_to_json(const BuildEstimate& e);
std::string estimate_to_text(const BuildEstimate& e);

}  // namespace fabricsim::topologies
