// Builder of the dragonfly: groups of routers wired all-to-all inside a group, and global
// links between groups assigned round-robin over group pairs (each pair gets one link per
// round, router slots taken in order: the "consecutive" arrangement).
#include <cstdint>
#include <vector>

#include "topologies/network_graph.hpp"

namespace fabricsim::topologies {

NetworkGraph build_dragonfly(const TopologySpec& spec) {
  const DragonflySpec& d = spec.dragonfly;
  const std::uint32_t routers = d.groups * d.routers_per_group;
  const std::uint32_t nics = routers * d.hosts_per_router;
  NetworkGraph g;
  g.switch_tier.assign(routers, 0);
  g.switch_group.resize(routers);
  g.endpoint_host.resize(nics);
  g.endpoint_rail.assign(nics, 0);
  GraphBuilder b(routers, nics);
  const std::uint16_t host_class = b.link_class(d.level_link[0]);
  const std::uint16_t local_class = b.link_class(d.level_link[1]);
  const std::uint16_t global_class = b.link_class(d.level_link[2]);
  for (std::uint32_t e = 0; e < nics; ++e) {
    g.endpoint_host[e] = e;
    b.add_link(b.endpoint_node(e), e / d.hosts_per_router, host_class);
  }
  for (std::uint32_t grp = 0; grp < d.groups; ++grp) {
    const std::uint32_t base = grp * d.routers_per_group;
    for (std::uint32_t r = 0; r < d.routers_per_group; ++r) {
      g.switch_group[base + r] = grp;
      for (std::uint32_t s = r + 1; s < d.routers_per_group; ++s) {
        b.add_link(base + r, base + s, local_class);
      }
    }
  }
  const std::uint32_t slots = d.routers_per_group * d.global_links_per_router;
  std::vector<std::uint32_t> used(d.groups, 0);
  for (bool progress = true; progress;) {
    progress = false;
    for (std::uint32_t i = 0; i < d.groups; ++i) {
      for (std::uint32_t j = i + 1; j < d.groups; ++j) {
        if (used[i] >= slots || used[j] >= slots) continue;
        const std::uint32_t ri = i * d.routers_per_group + used[i]++ / d.global_links_per_router;
        const std::uint32_t rj = j * d.routers_per_group + used[j]++ / d.global_links_per_router;
        b.add_link(ri, rj, global_class);
        progress = true;
      }
    }
  }
  b.finish(g);
  g.host_count = nics;
  return g;
}

}  // namespace fabricsim::topologies
