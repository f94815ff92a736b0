// GraphBuilder (link list -> CSR ports) and the kind dispatch.
#include "topologies/network_graph.hpp"

#include <fmt/format.h>

#include "sim/memory_limit.hpp"
#include "topologies/config_error.hpp"
#include "topologies/estimate.hpp"

namespace fabricsim::topologies {

namespace {
bool same_link(const models::LinkParams& a, const models::LinkParams& b) {
  return a == b;  // every field: rate, delay, MTU, loss, type, lanes
}
template <class T>
std::size_t bytes_of(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}
}  // namespace

std::size_t NetworkGraph::memory_bytes() const {
  return bytes_of(switch_tier) + bytes_of(endpoint_host) + bytes_of(endpoint_rail) +
         bytes_of(switch_group) + bytes_of(switch_plane) + bytes_of(port_begin) +
         bytes_of(port_node) + bytes_of(peer_port) + bytes_of(port_link_class) +
         bytes_of(link_classes);
}

GraphBuilder::GraphBuilder(std::uint32_t switches, std::uint32_t endpoints)
    : switches_(switches), endpoints_(endpoints) {}

std::uint16_t GraphBuilder::link_class(const models::LinkParams& params) {
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    if (same_link(classes_[i], params)) return static_cast<std::uint16_t>(i);
  }
  classes_.push_back(params);
  return static_cast<std::uint16_t>(classes_.size() - 1);
}

void GraphBuilder::add_link(std::uint32_t a, std::uint32_t b, std::uint16_t link_class) {
  link_a_.push_back(a);
  link_b_.push_back(b);
  link_class_.push_back(link_class);
}

void GraphBuilder::finish(NetworkGraph& g) {
  const std::uint32_t nodes = switches_ + endpoints_;
  g.switch_count = switches_;
  g.endpoint_count = endpoints_;
  g.port_begin.assign(std::size_t{nodes} + 1, 0);
  for (std::size_t i = 0; i < link_a_.size(); ++i) {
    ++g.port_begin[link_a_[i] + 1];
    ++g.port_begin[link_b_[i] + 1];
  }
  for (std::uint32_t n = 0; n < nodes; ++n) {
    const std::uint32_t degree = g.port_begin[n + 1];
    if (degree > 65535) {
      throw ConfigError(
          fmt::format("{}: node {} would have {} ports, more than 65,535", g.name, n, degree));
    }
    g.port_begin[n + 1] += g.port_begin[n];
  }
  const std::uint32_t ports = g.port_begin[nodes];
  g.port_node.resize(ports);
  g.peer_port.resize(ports);
  g.port_link_class.resize(ports);
  std::vector<std::uint32_t> next(g.port_begin.begin(), g.port_begin.end() - 1);
  for (std::size_t i = 0; i < link_a_.size(); ++i) {
    const std::uint32_t pa = next[link_a_[i]]++;
    const std::uint32_t pb = next[link_b_[i]]++;
    g.port_node[pa] = link_a_[i];
    g.port_node[pb] = link_b_[i];
    g.peer_port[pa] = pb;
    g.peer_port[pb] = pa;
    g.port_link_class[pa] = link_class_[i];
    g.port_link_class[pb] = link_class_[i];
  }
  g.link_classes = std::move(classes_);
  std::vector<std::uint32_t>().swap(link_a_);
  std::vector<std::uint32_t>().swap(link_b_);
  std::vector<std::uint16_t>().swap(link_class_);
}

NetworkGraph build_graph(const TopologySpec& spec) {
  check_build_fits(spec, estimate_build(spec), sim::memory_limit_bytes());
  NetworkGraph g;
  switch (spec.kind) {
    case TopologyKind::kFatTree:
    case TopologyKind::kRailOptimized:
      g = build_clos(spec);
      break;
    case TopologyKind::kDragonfly:
      g = build_dragonfly(spec);
      break;
    case TopologyKind::kTorus:
      g = build_torus(spec);
      break;
    case TopologyKind::kExplicit:
      g = build_explicit(spec);
      break;
  }
  g.name = spec.name.empty() ? spec.source : spec.name;
  g.kind = spec.kind;
  g.switch_params = spec.switch_params;
  g.nic_params = spec.nic;
  g.gpu_params = spec.gpu_params;
  return g;
}

std::vector<std::uint32_t> endpoint_components(const NetworkGraph& g) {
  constexpr std::uint32_t kUnseen = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> part(g.node_count(), kUnseen);
  std::vector<std::uint32_t> stack;
  std::uint32_t parts = 0;
  for (std::uint32_t nic = 0; nic < g.endpoint_count; ++nic) {
    const std::uint32_t start = g.endpoint_node(nic);
    if (part[start] != kUnseen) continue;
    part[start] = parts;
    stack.push_back(start);
    while (!stack.empty()) {
      const std::uint32_t node = stack.back();
      stack.pop_back();
      for (std::uint32_t p = 0; p < g.degree(node); ++p) {
        const std::uint32_t next = g.neighbor(node, p);
        if (part[next] == kUnseen) {
          part[next] = parts;
          stack.push_back(next);
        }
      }
    }
    ++parts;
  }
  return {part.begin() + g.switch_count, part.end()};
}

}  // namespace fabricsim::topologies
