// NetworkGraph + Routes -> models::Fabric (see fabric_builder.hpp).
#include "topologies/fabric_builder.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "topologies/config_error.hpp"

namespace fabricsim::topologies {

std::unique_ptr<models::Fabric> build_fabric(const NetworkGraph& g, const Routes& routes,
                                             sim::Simulator& sim) {
  auto fabric = std::make_unique<models::Fabric>(sim);
  for (std::uint32_t s = 0; s < g.switch_count; ++s) {
    if (g.degree(s) > 0xFFFF) throw ConfigError(fmt::format("switch {} has too many ports", s));
    fabric->add_switch(static_cast<std::uint16_t>(g.degree(s)), g.switch_params, g.switch_tier[s]);
  }
  for (std::uint32_t e = 0; e < g.endpoint_count; ++e) {
    if (g.nic_port_count(e) != 1) {
      throw ConfigError(fmt::format(
          "{}: NIC {} has {} ports; the packet models support one port per NIC (planes: 1)", g.name,
          e, g.nic_port_count(e)));
    }
    fabric->add_nic(g.nic_params);
  }
  auto ref = [&g](std::uint32_t node) {
    return g.is_switch(node) ? models::NodeRef::sw(node)
                             : models::NodeRef::nic(node - g.switch_count);
  };
  // Each link once, from its lower-numbered port.
  for (std::uint32_t p = 0; p < g.port_count(); ++p) {
    const std::uint32_t q = g.peer_port[p];
    if (q < p) continue;
    fabric->connect(ref(g.port_node[p]), g.local_port(p), ref(g.port_node[q]), g.local_port(q),
                    g.link_of_port(p));
  }
  // Attach endpoints edge by edge in the routes' edge order, so that the fabric's dense edge
  // indexes equal the routes' ones.
  for (const std::uint32_t sw : routes.edge_switches) {
    for (std::uint32_t local = 0; local < g.degree(sw); ++local) {
      const std::uint32_t peer = g.neighbor(sw, local);
      if (!g.is_switch(peer)) {
        fabric->set_endpoint_attachment(peer - g.switch_count, sw,
                                        static_cast<std::uint16_t>(local));
      }
    }
  }
  for (std::uint32_t sw = 0; sw < g.switch_count; ++sw) {
    if (routes.edge_index_of_switch[sw] != Routes::kNotEdge &&
        fabric->edge_index(sw) != routes.edge_index_of_switch[sw]) {
      throw std::logic_error("build_fabric: edge numbering of fabric and routes differ");
    }
    fabric->set_routes(sw, routes.switch_group_of_edge(sw), routes.switch_groups(sw));
  }
  return fabric;
}

}  // namespace fabricsim::topologies
