// Turns a traffic pattern into a list of flows, deterministically from the scenario seed.
#pragma once

#include <cstdint>
#include <vector>

#include "scenario/scenario.hpp"
#include "sim/rng.hpp"

namespace fabricsim::scenario {

// The most flows a traffic pattern may generate (they are held in memory).
inline constexpr std::uint64_t kMaxFlows = 50'000'000;

// How many flows `traffic` makes on `endpoints` NICs (before the limits are checked).
std::uint64_t flow_count(const TrafficSpec& traffic, std::uint32_t endpoints);

// `endpoints` NICs numbered 0..n-1. Throws ConfigError when the pattern does not fit (an incast
// larger than the fabric, a receiver out of range).
// `host_rate_bps` (the NIC link rate) turns the uniform pattern's load into arrival gaps.
std::vector<FlowSpec> generate_flows(const TrafficSpec& traffic, std::uint32_t endpoints,
                                     std::uint64_t host_rate_bps, sim::Rng& rng,
                                     const std::string& source);

}  // namespace fabricsim::scenario
