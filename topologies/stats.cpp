// Counts from the graph, diameter from the routing distances, bisection per kind (Clos: the
// narrowest level of aggregate capacity halved; dragonfly: global links between the two
// halves of the groups; torus: links cut by halving the longest dimension).
#include "topologies/stats.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/units.hpp"
#include "topologies/config_error.hpp"

namespace fabricsim::topologies {

namespace {

double rate_of(const NetworkGraph& g, std::uint32_t port) {
  return static_cast<double>(g.link_of_port(port).rate_bps);
}

// Clos: aggregate one-direction capacity per level (0 host-leaf, 1 leaf-spine, 2 spine-core).
double clos_bisection(const NetworkGraph& g, std::uint32_t tiers) {
  std::vector<double> level(tiers, 0.0);
  for (std::uint32_t p = 0; p < g.port_count(); ++p) {
    const std::uint32_t a = g.port_node[p];
    const std::uint32_t b = g.port_node[g.peer_port[p]];
    if (!g.is_switch(a)) {
      level[0] += rate_of(g, p);
    } else if (g.is_switch(b) && g.switch_tier[b] > g.switch_tier[a]) {
      level[g.switch_tier[b]] += rate_of(g, p);
    }
  }
  return *std::min_element(level.begin(), level.end()) / 2.0;
}

double host_capacity(const NetworkGraph& g) {
  double total = 0;
  for (std::uint32_t p = g.port_begin[g.switch_count]; p < g.port_count(); ++p) {
    total += rate_of(g, p);
  }
  return total;
}

}  // namespace

TopologyStats compute_stats(const TopologySpec& spec, const NetworkGraph& g, const Routes& r) {
  TopologyStats s;
  s.name = g.name;
  s.kind = kind_name(g.kind);
  s.gpus = g.endpoint_count;
  s.nics = g.endpoint_count;
  s.hosts = g.host_count;
  s.switches = g.switch_count;
  for (std::uint32_t sw = 0; sw < g.switch_count; ++sw) {
    const std::uint8_t t = g.switch_tier[sw];
    if (s.switches_per_tier.size() <= t) s.switches_per_tier.resize(t + 1U, 0);
    ++s.switches_per_tier[t];
  }
  s.links = g.link_count();
  s.switch_ports = g.port_begin[g.switch_count];
  s.nic_ports = g.port_count() - s.switch_ports;
  s.host_links = s.nic_ports;
  s.switch_links = s.links - s.host_links;

  const std::uint32_t edges = r.edge_count();
  // Planes are disjoint by design: edge switches of different planes need not reach each other.
  const auto plane_of = [&g](std::uint32_t sw) {
    return g.switch_plane.empty() ? std::uint8_t{0} : g.switch_plane[sw];
  };
  for (std::uint32_t i = 0; i < edges; ++i) {
    const std::uint32_t sw = r.edge_switches[i];
    for (std::uint32_t e = 0; e < edges; ++e) {
      if (plane_of(r.edge_switches[e]) != plane_of(sw)) continue;
      const std::uint8_t d = r.hops(sw, e);
      if (d == Routes::kUnreachable) {
        s.all_reachable = false;
      } else {
        s.diameter_switch_hops = std::max<std::uint32_t>(s.diameter_switch_hops, d);
      }
    }
  }
  s.diameter_links = s.diameter_switch_hops + 2;

  // Oversubscription: per tier with uplinks, down capacity over up capacity.
  const std::size_t tiers = s.switches_per_tier.size();
  std::vector<double> down(tiers, 0.0);
  std::vector<double> up(tiers, 0.0);
  for (std::uint32_t p = 0; p < s.switch_ports; ++p) {
    const std::uint32_t a = g.port_node[p];
    const std::uint32_t b = g.port_node[g.peer_port[p]];
    const std::uint8_t ta = g.switch_tier[a];
    if (!g.is_switch(b) || g.switch_tier[b] < ta) {
      down[ta] += rate_of(g, p);
    } else if (g.switch_tier[b] > ta) {
      up[ta] += rate_of(g, p);
    }
  }
  for (std::size_t t = 0; t < tiers && up[t] > 0; ++t)
    s.oversubscription.push_back(down[t] / up[t]);

  switch (spec.kind) {
    case TopologyKind::kFatTree:
    case TopologyKind::kRailOptimized:
      s.bisection_bps = clos_bisection(g, spec.clos.tiers);
      s.bisection_method =
          "Clos: half the narrowest level's aggregate capacity (host, leaf-up, "
          "spine-up), summed over planes";
      break;
    case TopologyKind::kDragonfly: {
      const std::uint32_t half = spec.dragonfly.groups / 2;
      double crossing = 0;
      for (std::uint32_t p = 0; p < s.switch_ports; ++p) {
        const std::uint32_t b = g.port_node[g.peer_port[p]];
        if (g.is_switch(b) && g.switch_group[g.port_node[p]] < half && g.switch_group[b] >= half) {
          crossing += rate_of(g, p);
        }
      }
      s.bisection_bps = std::min(crossing, host_capacity(g) / 2.0);
      s.bisection_method = "dragonfly: global links between groups [0, G/2) and [G/2, G)";
      break;
    }
    case TopologyKind::kTorus: {
      const auto& dims = spec.torus.dims;
      const auto longest =
          static_cast<std::size_t>(std::max_element(dims.begin(), dims.end()) - dims.begin());
      const std::uint32_t n = dims[longest];
      double per_link = static_cast<double>(spec.torus.level_link[1].rate_bps);
      std::uint64_t routers = 1;
      for (const auto d : dims)
        routers *= d;
      const std::uint64_t cut = n < 2 ? 0 : (routers / n) * ((spec.torus.wrap && n > 2) ? 2 : 1);
      s.bisection_bps = std::min(static_cast<double>(cut) * per_link, host_capacity(g) / 2.0);
      s.bisection_method = "torus: links cut by halving the longest dimension";
      break;
    }
    case TopologyKind::kExplicit:
      s.bisection_method = "not computed for explicit topologies";
      break;
  }
  return s;
}

nlohmann::json stats_to_json(const TopologyStats& s) {
  return {{"name", s.name},
          {"kind", s.kind},
          {"gpus", s.gpus},
          {"hosts", s.hosts},
          {"nics", s.nics},
          {"nic_ports", s.nic_ports},
          {"switches", s.switches},
          {"switches_per_tier", s.switches_per_tier},
          {"links", s.links},
          {"host_links", s.host_links},
          {"switch_links", s.switch_links},
          {"switch_ports", s.switch_ports},
          {"bisection_bps", s.bisection_bps},
          {"bisection_method", s.bisection_method},
          {"diameter_switch_hops", s.diameter_switch_hops},
          {"diameter_links", s.diameter_links},
          {"all_reachable", s.all_reachable},
          {"oversubscription", s.oversubscription}};
}

std::string stats_to_text(const TopologyStats& s) {
  std::string out = fmt::format("{} ({})\n", s.name, s.kind);
  out += fmt::format("  GPUs {}  hosts {}  NICs {} ({} ports)\n", s.gpus, s.hosts, s.nics,
                     s.nic_ports);
  out += fmt::format("  switches {}:", s.switches);
  for (std::size_t t = 0; t < s.switches_per_tier.size(); ++t) {
    out += fmt::format(" tier{} {}", t, s.switches_per_tier[t]);
  }
  out += fmt::format("\n  links {} ({} host, {} switch)\n", s.links, s.host_links, s.switch_links);
  if (s.bisection_bps > 0) {
    const std::string rate = s.bisection_bps >= 1e12
                                 ? fmt::format("{:.1f} Tbps", s.bisection_bps / 1e12)
                                 : fmt::format("{:.1f} Gbps", s.bisection_bps / 1e9);
    out += fmt::format("  bisection {} ({})\n", rate, s.bisection_method);
  } else {
    out += fmt::format("  bisection: {}\n", s.bisection_method);
  }
  out += fmt::format("  diameter {} switch hops ({} links NIC to NIC){}\n", s.diameter_switch_hops,
                     s.diameter_links, s.all_reachable ? "" : ", NOT all pairs reachable");
  for (std::size_t t = 0; t < s.oversubscription.size(); ++t) {
    out += fmt::format("  oversubscription tier{} {:.3g}:1\n", t, s.oversubscription[t]);
  }
  return out;
}

std::string to_dot(const NetworkGraph& g, std::uint32_t max_nodes) {
  if (g.node_count() > max_nodes) {
    throw ConfigError(fmt::format("{}: {} nodes: DOT output is limited to {} nodes", g.name,
                                  g.node_count(), max_nodes));
  }
  std::string out = "graph fabric {\n  node [fontsize=10];\n";
  const auto node_name = [&](std::uint32_t n) {
    return g.is_switch(n) ? fmt::format("s{}", n) : fmt::format("n{}", n - g.switch_count);
  };
  for (std::uint32_t s = 0; s < g.switch_count; ++s) {
    out += fmt::format("  s{} [shape=box,label=\"t{} s{}\"];\n", s, g.switch_tier[s], s);
  }
  for (std::uint32_t e = 0; e < g.endpoint_count; ++e) {
    out += fmt::format("  n{} [shape=ellipse,label=\"gpu{}\"];\n", e, e);
  }
  for (std::uint32_t p = 0; p < g.port_count(); ++p) {
    if (p > g.peer_port[p]) continue;
    out += fmt::format("  {} -- {} [label=\"{}\"];\n", node_name(g.port_node[p]),
                       node_name(g.port_node[g.peer_port[p]]),
                       sim::format_rate(g.link_of_port(p).rate_bps));
  }
  out += "}\n";
  return out;
}

}  // namespace fabricsim::topologies
