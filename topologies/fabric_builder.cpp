// NetworkGraph -> models::Fabric: nodes in id order, one connect() per link, attachments in
// an order that makes the Fabric's dense edge indexes equal the routing's.
#include "topologies/fabric_builder.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "topologies/config_error.hpp"

namespace fabricsim::topologies {

namespace {
models::NodeRef ref_of(const NetworkGraph& g, std::uint32_t node) {
  return g.is_switch(node) ? models::NodeRef::sw(node)
                           : models::NodeRef::nic(node - g.switch_count);
}
}  // namespace

models::NvlinkParams nvlink_params(const NvlinkDomain& nvlink) {
  models::NvlinkParams p;
  p.links = nvlink.links;
  p.switches = nvlink.switches;
  // The topology gives the per-GPU bandwidth with both directions summed.
  p.link.rate_bps = nvlink.bandwidth_bps / 2 / std::max<std::uint32_t>(nvlink.links, 1);
  // GPU -> chip -> GPU: two link delays and the chip's pipeline make up the latency.
  p.link.delay = nvlink.latency / 3;
  p.switch_latency = nvlink.latency - p.link.delay * 2;
  return p;
}

namespace {
void build_into(models::Fabric& fabric, const NetworkGraph& g, const Routes& routes);
}  // namespace

sim::Time longest_base_rtt(const NetworkGraph& g, const Routes& routes) {
  std::uint32_t switch_hops = 0;
  for (const std::uint32_t s : routes.edge_switches) {
    for (std::uint32_t e = 0; e < routes.edge_count(); ++e) {
      const std::uint8_t h = routes.hops(s, e);
      if (h != Routes::kUnreachable) switch_hops = std::max<std::uint32_t>(switch_hops, h);
    }
  }
  if (g.endpoint_count == 0) return sim::Time::zero();
  const models::LinkParams& host = g.link_of_port(g.port_begin[g.endpoint_node(0)]);
  const auto links = static_cast<std::int64_t>(switch_hops + 2);  // NIC - edge ... edge - NIC
  const sim::Time packet = sim::serialization_time(
      std::uint64_t{host.mtu_bytes} + g.nic_params.header_bytes, host.rate_bps);
  return (host.delay * 2 + packet) * links;
}

std::unique_ptr<models::Fabric> build_fabric(const NetworkGraph& g, const Routes& routes,
                                             sim::Simulator& sim) {
  auto fabric = std::make_unique<models::Fabric>(sim);
  build_into(*fabric, g, routes);
  return fabric;
}

std::unique_ptr<models::Fabric> build_fabric(const NetworkGraph& g, const Routes& routes,
                                             sim::ParallelEngine& engine,
                                             const Partitioning& parts) {
  if (parts.parts != engine.size()) {
    throw std::invalid_argument("build_fabric: partitioning and engine sizes differ");
  }
  auto fabric = std::make_unique<models::Fabric>(engine.simulator(0));
  fabric->set_partitions(engine, parts.switch_part, parts.nic_part);
  build_into(*fabric, g, routes);
  if (fabric->cut_links() > 0) engine.set_lookahead(fabric->min_cut_delay());
  return fabric;
}

namespace {
void build_into(models::Fabric& fab, const NetworkGraph& g, const Routes& routes) {
  models::Fabric* fabric = &fab;
  for (std::uint32_t e = 0; e < g.endpoint_count; ++e) {
    const std::uint32_t ports = g.nic_port_count(e);
    if (ports == 1) continue;
    if (g.nic_params.transport != models::NicTransport::kMrc) {
      throw ConfigError(
          fmt::format("{}: NIC {} has {} ports (one per plane); a multi-plane fabric needs "
                      "nic.transport \"mrc\" (RoCE and InfiniBand queue pairs use one port)",
                      g.name, e, ports));
    }
    if (g.gpu_params.pcie_rate_bps != 0) {
      throw ConfigError(fmt::format(
          "{}: NIC {} has {} ports; gpu.pcie_rate must be 0 on a multi-plane fabric (the PCIe "
          "stage serves a single-port NIC)",
          g.name, e, ports));
    }
  }
  for (std::uint32_t s = 0; s < g.switch_count; ++s) {
    fabric->add_switch(static_cast<std::uint16_t>(g.degree(s)), g.switch_params, g.switch_tier[s],
                       g.switch_plane.empty() ? 0 : g.switch_plane[s]);
  }
  models::NicParams nic = g.nic_params;
  if (nic.cc.algorithm == models::CcAlgorithm::kHpcc) {
    if (nic.cc.hpcc.base_rtt == sim::Time::zero()) {
      nic.cc.hpcc.base_rtt = longest_base_rtt(g, routes);
    }
    if (nic.cc.hpcc.base_rtt > sim::Time::zero()) {
      fabric->enable_utilization_telemetry(nic.cc.hpcc.base_rtt);
    }
  }
  if (nic.cc.algorithm == models::CcAlgorithm::kNscc && nic.cc.nscc.base_rtt == sim::Time::zero()) {
    nic.cc.nscc.base_rtt = longest_base_rtt(g, routes);  // htsim's network_rtt: the longest path
  }
  for (std::uint32_t e = 0; e < g.endpoint_count; ++e) {
    fabric->add_nic(nic, static_cast<std::uint16_t>(g.nic_port_count(e)));
    fabric->add_pcie(e, g.gpu_params);  // GPU e -> NIC e over PCIe (no-op if pcie_rate is 0)
  }
  for (std::uint32_t p = 0; p < g.port_count(); ++p) {
    const std::uint32_t q = g.peer_port[p];
    if (q < p) continue;
    fabric->connect(ref_of(g, g.port_node[p]), g.local_port(p), ref_of(g, g.port_node[q]),
                    g.local_port(q), g.link_of_port(p));
  }
  // The Fabric numbers edge switches in order of first attachment: attach one endpoint port of
  // each edge switch in routing order first, then the rest (every plane's).
  struct EndpointPort {
    std::uint32_t endpoint = Routes::kNotEdge;
    std::uint32_t plane = 0;
  };
  std::vector<EndpointPort> first_endpoint(routes.edge_count());
  for (std::uint32_t e = g.endpoint_count; e-- > 0;) {
    for (std::uint32_t q = g.nic_port_count(e); q-- > 0;) {
      first_endpoint[routes.edge_index_of_switch[g.attachment(e, q).switch_id]] = {e, q};
    }
  }
  for (const EndpointPort& ep : first_endpoint) {
    const Attachment at = g.attachment(ep.endpoint, ep.plane);
    fabric->set_endpoint_attachment(ep.endpoint, at.switch_id, at.local_port);
  }
  for (std::uint32_t e = 0; e < g.endpoint_count; ++e) {
    for (std::uint32_t q = 0; q < g.nic_port_count(e); ++q) {
      const Attachment at = g.attachment(e, q);
      fabric->set_endpoint_attachment(e, at.switch_id, at.local_port);
    }
  }
  for (std::uint32_t i = 0; i < routes.edge_count(); ++i) {
    if (fabric->edge_index(routes.edge_switches[i]) != i) {
      throw std::logic_error("build_fabric: edge index mismatch between Fabric and Routes");
    }
  }
  for (std::uint32_t s = 0; s < g.switch_count; ++s) {
    fabric->set_routes(s, routes.switch_group_of_edge(s), routes.switch_groups(s));
  }
  if (g.switch_params.routing == models::Routing::kEntropy) {
    // Tier t reads EV digit (ev / divisor[t]) mod its group size: divisor[t] is the product of
    // the numbers of distinct switches above of the tiers below (those of each tier's first
    // switch). A leaf with 2 links to each of 16 spines sends EV r to spine r mod 16 over link
    // r / 16 mod 2, and the spine's choice of its 2 links down, (r / 16) mod 2, is that too.
    std::vector<std::uint32_t> up_ports;
    for (std::uint32_t s = 0; s < g.switch_count; ++s) {
      const std::uint8_t tier = g.switch_tier[s];
      if (tier < up_ports.size()) continue;
      up_ports.resize(tier + 1U, 1);
      std::vector<std::uint32_t> above;
      for (std::uint32_t p = 0; p < g.degree(s); ++p) {
        const std::uint32_t n = g.neighbor(s, p);
        if (g.is_switch(n) && g.switch_tier[n] > tier) above.push_back(n);
      }
      std::sort(above.begin(), above.end());
      above.erase(std::unique(above.begin(), above.end()), above.end());
      up_ports[tier] = std::max<std::uint32_t>(static_cast<std::uint32_t>(above.size()), 1);
    }
    for (std::uint32_t s = 0; s < g.switch_count; ++s) {
      std::uint64_t divisor = 1;
      for (std::uint32_t t = 0; t < g.switch_tier[s] && t < up_ports.size(); ++t)
        divisor = std::min<std::uint64_t>(divisor * up_ports[t], 1U << 16);
      fabric->switch_at(s).set_entropy_divisor(static_cast<std::uint32_t>(divisor));
    }
  }
  if (g.nvlink.switches > 0 && g.nvlink.bandwidth_bps > 0 && g.nvlink.gpus_per_domain > 1) {
    const models::NvlinkParams nv = nvlink_params(g.nvlink);
    const std::uint32_t per = g.nvlink.gpus_per_domain;
    for (std::uint32_t first = 0; first + per <= g.endpoint_count; first += per) {
      std::vector<models::EndpointId> gpus(per);
      for (std::uint32_t i = 0; i < per; ++i)
        gpus[i] = first + i;
      fabric->add_nvlink_domain(nv, std::move(gpus));
    }
  }
}
}  // namespace

}  // namespace fabricsim::topologies
