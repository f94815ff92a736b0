// Builder of explicit topologies: switches and hosts in file order, links in file order (so a
// host with several links has a multi-port NIC whose ports follow the file).
#include <cstdint>

#include "topologies/network_graph.hpp"

namespace fabricsim::topologies {

NetworkGraph build_explicit(const TopologySpec& spec) {
  const ExplicitSpec& x = spec.explicit_spec;
  const auto switches = static_cast<std::uint32_t>(x.switches.size());
  const auto nics = static_cast<std::uint32_t>(x.hosts.size());
  NetworkGraph g;
  g.switch_tier.resize(switches);
  g.switch_group.assign(switches, 0);
  for (std::uint32_t s = 0; s < switches; ++s) {
    g.switch_tier[s] = static_cast<std::uint8_t>(x.switches[s].tier);
  }
  g.endpoint_host.resize(nics);
  g.endpoint_rail.assign(nics, 0);
  for (std::uint32_t e = 0; e < nics; ++e)
    g.endpoint_host[e] = e;
  GraphBuilder b(switches, nics);
  for (const auto& l : x.links)
    b.add_link(l.a, l.b, b.link_class(l.params));
  b.finish(g);
  g.host_count = nics;
  return g;
}

}  // namespace fabricsim::topologies
