// Plans a scenario's faults on the built topology: resolves every event's link or switch
// (random ones drawn with the fault seed), expands flap processes into events, merges what
// overlaps on one link, and lays out the fabric's reaction (each end's detection, local ECMP
// repair, routing convergence after the control-plane delay) as a models::FaultPlan. A bad
// reference (a switch or port that does not exist) is a ConfigError at its JSON path.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "models/faults/fault_plan.hpp"
#include "scenario/fault_spec.hpp"
#include "topologies/network_graph.hpp"

namespace fabricsim::scenario {

struct FaultSetup {
  std::shared_ptr<const models::FaultPlan> plan;
  // Per plan link: the graph port of its end a (both ports of a link fail together).
  std::vector<std::uint32_t> link_port;
};

// Flap processes may plan at most this many flaps (beyond it: a ConfigError).
inline constexpr std::size_t kMaxPlannedFlaps = 1'000'000;

// `stop_at` bounds flap processes without an `until` (one of them is needed).
FaultSetup plan_faults(const FaultSpec& spec, const topologies::NetworkGraph& g,
                       std::uint64_t scenario_seed, sim::Time stop_at);

// "switch 3 port 5 - switch 17 port 0", "gpu 12 - switch 0 port 12".
std::string link_name(const topologies::NetworkGraph& g, std::uint32_t port);

}  // namespace fabricsim::scenario
