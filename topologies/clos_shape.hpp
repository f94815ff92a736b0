// The switch counts of one plane of a folded Clos, shared by the builder (build_clos.cpp) and
// the resource estimate (estimate.cpp) so that the two cannot disagree. 64-bit throughout: the
// estimate evaluates shapes whose counts do not fit the graph's 32-bit indexes, to refuse them.
#pragma once

#include <cstdint>

#include "topologies/spec.hpp"

namespace fabricsim::topologies {

inline std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

// Smallest divisor of `up` that is >= need (so each lower switch spreads its `up` uplinks as
// up/divisor parallel links over `divisor` upper switches).
inline std::uint32_t spread(std::uint64_t need, std::uint32_t up) {
  for (std::uint64_t n = need < 1 ? 1 : need; n < up; ++n) {
    if (up % n == 0) return static_cast<std::uint32_t>(n);
  }
  return up;
}

struct PlaneShape {
  std::uint64_t leaves = 0;
  std::uint64_t pods = 1;
  std::uint64_t spines_per_pod = 0;
  std::uint64_t leaves_per_pod = 0;
  std::uint64_t core_groups = 0;  // = spines_per_pod when 3 tiers
  std::uint64_t cores_per_group = 0;
  std::uint64_t switches() const {
    return leaves + pods * spines_per_pod + core_groups * cores_per_group;
  }
  // Switch-to-switch links of the plane: every leaf's and every spine's uplinks.
  std::uint64_t switch_links(const ClosSpec& c) const {
    return leaves * c.leaf_up + (core_groups > 0 ? pods * spines_per_pod * c.spine_up : 0);
  }
};

inline PlaneShape shape_of(const ClosSpec& c, std::uint64_t leaves) {
  PlaneShape s;
  s.leaves = leaves;
  if (c.tiers == 2) {
    s.leaves_per_pod = leaves;
    s.spines_per_pod = spread(ceil_div(leaves * c.leaf_up, c.radix), c.leaf_up);
  } else {
    s.leaves_per_pod = c.spine_down;
    s.pods = ceil_div(leaves, c.spine_down);
    s.spines_per_pod = c.leaf_up;
    s.core_groups = c.leaf_up;
    s.cores_per_group = spread(ceil_div(s.pods * c.spine_up, c.radix), c.spine_up);
  }
  return s;
}

// Leaves of one plane: rail-optimized clusters put `rails` leaves in each group of nodes.
inline std::uint64_t clos_leaves(const TopologySpec& spec) {
  if (spec.kind == TopologyKind::kRailOptimized) {
    const std::uint64_t nodes_per_group =
        spec.clos.leaf_down / (spec.rail.gpus_per_node / spec.rail.rails);
    return ceil_div(spec.rail.nodes, nodes_per_group) * spec.rail.rails;
  }
  return ceil_div(spec.gpu_count(), spec.clos.leaf_down);
}

}  // namespace fabricsim::topologies
