// Builder of 2D/3D tori (or meshes without wrap-around): router (x, y, z) is switch
// x + X * (y + Y * z); each router links to its +1 neighbour in every dimension.
#include <array>
#include <cstdint>

#include "topologies/network_graph.hpp"

namespace fabricsim::topologies {

NetworkGraph build_torus(const TopologySpec& spec) {
  const TorusSpec& t = spec.torus;
  std::array<std::uint32_t, 3> dims{1, 1, 1};
  for (std::size_t i = 0; i < t.dims.size(); ++i)
    dims[i] = t.dims[i];
  const std::uint32_t routers = dims[0] * dims[1] * dims[2];
  const std::uint32_t nics = routers * t.hosts_per_router;
  NetworkGraph g;
  g.switch_tier.assign(routers, 0);
  g.switch_group.resize(routers);
  g.endpoint_host.resize(nics);
  g.endpoint_rail.assign(nics, 0);
  GraphBuilder b(routers, nics);
  const std::uint16_t host_class = b.link_class(t.level_link[0]);
  const std::uint16_t torus_class = b.link_class(t.level_link[1]);
  for (std::uint32_t e = 0; e < nics; ++e) {
    g.endpoint_host[e] = e;
    b.add_link(b.endpoint_node(e), e / t.hosts_per_router, host_class);
  }
  const std::array<std::uint32_t, 3> stride{1, dims[0], dims[0] * dims[1]};
  for (std::uint32_t r = 0; r < routers; ++r) {
    g.switch_group[r] = r % dims[0];
    for (std::size_t d = 0; d < 3; ++d) {
      const std::uint32_t coord = (r / stride[d]) % dims[d];
      if (coord + 1 < dims[d]) {
        b.add_link(r, r + stride[d], torus_class);
      } else if (t.wrap && dims[d] > 2) {  // with 2 routers the wrap link would duplicate
        b.add_link(r, r - coord * stride[d], torus_class);
      }
    }
  }
  b.finish(g);
  g.host_count = nics;
  return g;
}

}  // namespace fabricsim::topologies
