// Builder of folded Clos fabrics: the k-ary fat-tree (2 or 3 tiers, oversubscribed leaves or
// spines) and the rail-optimized cluster (rail leaves per group of nodes) share, with 1 to 16
// planes, the leaf -> spine -> core wiring below; only the leaf attachment of NICs differs.
#include <cstdint>

#include "topologies/clos_shape.hpp"
#include "topologies/network_graph.hpp"

namespace fabricsim::topologies {

namespace {

// Adds the switch tiers above the leaves of one plane; leaf l of the plane is switch
// leaf_base + l, upper switches are numbered from *next.
// The shape in the graph's 32-bit indexes (estimate_build has refused larger fabrics).
struct Shape32 {
  std::uint32_t leaves, pods, spines_per_pod, leaves_per_pod, core_groups, cores_per_group;
  explicit Shape32(const PlaneShape& p)
      : leaves(static_cast<std::uint32_t>(p.leaves)),
        pods(static_cast<std::uint32_t>(p.pods)),
        spines_per_pod(static_cast<std::uint32_t>(p.spines_per_pod)),
        leaves_per_pod(static_cast<std::uint32_t>(p.leaves_per_pod)),
        core_groups(static_cast<std::uint32_t>(p.core_groups)),
        cores_per_group(static_cast<std::uint32_t>(p.cores_per_group)) {}
};

void wire_plane(const ClosSpec& c, const Shape32& s, std::uint32_t leaf_base, std::uint32_t& next,
                GraphBuilder& b, NetworkGraph& g, std::uint16_t up1, std::uint16_t up2) {
  const std::uint32_t spine_base = next;
  for (std::uint32_t p = 0; p < s.pods; ++p) {
    for (std::uint32_t j = 0; j < s.spines_per_pod; ++j) {
      g.switch_tier[spine_base + p * s.spines_per_pod + j] = 1;
      g.switch_group[spine_base + p * s.spines_per_pod + j] = p;
    }
  }
  next += s.pods * s.spines_per_pod;
  for (std::uint32_t l = 0; l < s.leaves; ++l) {
    const std::uint32_t pod = l / s.leaves_per_pod;
    g.switch_group[leaf_base + l] = pod;
    for (std::uint32_t u = 0; u < c.leaf_up; ++u) {
      b.add_link(leaf_base + l, spine_base + pod * s.spines_per_pod + u % s.spines_per_pod, up1);
    }
  }
  if (c.tiers < 3) return;
  const std::uint32_t core_base = next;
  next += s.core_groups * s.cores_per_group;
  for (std::uint32_t k = 0; k < s.core_groups * s.cores_per_group; ++k) {
    g.switch_tier[core_base + k] = 2;
    g.switch_group[core_base + k] = k / s.cores_per_group;
  }
  for (std::uint32_t p = 0; p < s.pods; ++p) {
    for (std::uint32_t j = 0; j < s.spines_per_pod; ++j) {
      for (std::uint32_t u = 0; u < c.spine_up; ++u) {
        b.add_link(spine_base + p * s.spines_per_pod + j,
                   core_base + j * s.cores_per_group + u % s.cores_per_group, up2);
      }
    }
  }
}

}  // namespace

NetworkGraph build_clos(const TopologySpec& spec) {
  const ClosSpec& c = spec.clos;
  const bool rail = spec.kind == TopologyKind::kRailOptimized;
  const std::uint32_t planes = c.planes;
  const auto nics = static_cast<std::uint32_t>(spec.gpu_count());
  // Leaves of one plane and the leaf (within the plane) of each NIC.
  std::uint32_t leaves = 0;
  std::uint32_t groups = 1;
  std::uint32_t nodes_per_group = 1;
  const std::uint32_t gpn = rail ? spec.rail.gpus_per_node : 1;
  const std::uint32_t rails = rail ? spec.rail.rails : 1;
  if (rail) {
    nodes_per_group = c.leaf_down / (gpn / rails);
    groups = static_cast<std::uint32_t>(ceil_div(spec.rail.nodes, nodes_per_group));
    leaves = groups * rails;
  } else {
    leaves = static_cast<std::uint32_t>(ceil_div(nics, c.leaf_down));
  }
  const PlaneShape plane = shape_of(c, leaves);
  const Shape32 shape(plane);
  const auto plane_switches = static_cast<std::uint32_t>(plane.switches());
  const std::uint32_t switches = planes * plane_switches;

  NetworkGraph g;
  g.switch_tier.assign(switches, 0);
  g.switch_group.assign(switches, 0);
  if (planes > 1) {
    g.switch_plane.resize(switches);
    for (std::uint32_t s = 0; s < switches; ++s)
      g.switch_plane[s] = static_cast<std::uint8_t>(s / plane_switches);
  }
  g.endpoint_host.resize(nics);
  g.endpoint_rail.resize(nics);
  GraphBuilder b(switches, nics);
  const std::uint16_t host_class = b.link_class(c.level_link[0]);
  const std::uint16_t up1 = b.link_class(c.level_link[1]);
  const std::uint16_t up2 = b.link_class(c.level_link[2]);

  // Leaves of plane q are switches [q * plane_switches, + leaves); plane order then
  // rail-major (rail r of group k is leaf r * groups + k) so a pod holds leaves of one rail.
  for (std::uint32_t e = 0; e < nics; ++e) {
    const std::uint32_t node = e / gpn;
    const std::uint32_t r = (e % gpn) % rails;
    g.endpoint_host[e] = node;
    g.endpoint_rail[e] = static_cast<std::uint16_t>(r);
    const std::uint32_t leaf = rail ? r * groups + node / nodes_per_group : e / c.leaf_down;
    for (std::uint32_t q = 0; q < planes; ++q) {
      b.add_link(b.endpoint_node(e), q * plane_switches + leaf, host_class);
    }
  }
  std::uint32_t next = 0;
  for (std::uint32_t q = 0; q < planes; ++q) {
    const std::uint32_t leaf_base = next;
    next += leaves;
    wire_plane(c, shape, leaf_base, next, b, g, up1, up2);
  }
  b.finish(g);
  g.host_count = rail ? spec.rail.nodes : nics;
  if (rail) {
    g.nvlink = {gpn, spec.rail.nvlink.bandwidth_bps, spec.rail.nvlink.links,
                spec.rail.nvlink.latency, spec.rail.nvlink.switches};
  }
  return g;
}

}  // namespace fabricsim::topologies
