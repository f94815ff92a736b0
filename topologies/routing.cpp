// BFS per edge switch with Boost.Graph's compressed_sparse_row_graph, then per-switch group
// extraction and de-duplication by a hash of the port set.
#include "topologies/routing.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>

#include "topologies/config_error.hpp"

namespace fabricsim::topologies {

namespace {

using SwitchGraph = boost::compressed_sparse_row_graph<boost::directedS>;
using Vertex = boost::graph_traits<SwitchGraph>::vertex_descriptor;

// Records BFS depth: a tree edge's target is one hop further than its source.
class DepthRecorder : public boost::default_bfs_visitor {
 public:
  explicit DepthRecorder(std::uint8_t* depth) : depth_(depth) {}
  template <class Edge, class Graph>
  void tree_edge(Edge e, const Graph& graph) const {
    const auto d = depth_[boost::source(e, graph)];
    depth_[boost::target(e, graph)] = static_cast<std::uint8_t>(d + 1);
  }

 private:
  std::uint8_t* depth_;
};

bool link_is_down(const NetworkGraph& g, std::span<const std::uint8_t> down, std::uint32_t port) {
  return !down.empty() && (down[port] != 0 || down[g.peer_port[port]] != 0);
}

// The switch-to-switch adjacency of g (one directed edge per port whose peer is a switch).
SwitchGraph switch_graph(const NetworkGraph& g, std::span<const std::uint8_t> down) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  for (std::uint32_t s = 0; s < g.switch_count; ++s) {
    for (std::uint32_t p = g.port_begin[s]; p < g.port_begin[s + 1]; ++p) {
      if (link_is_down(g, down, p)) continue;
      const std::uint32_t t = g.port_node[g.peer_port[p]];
      if (g.is_switch(t)) edges.emplace_back(s, t);
    }
  }
  return SwitchGraph(boost::edges_are_sorted, edges.begin(), edges.end(), g.switch_count);
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

// The distinct groups of one switch while they are being discovered.
struct GroupSet {
  std::vector<std::uint32_t> begin{0};
  std::vector<std::uint16_t> ports;
  std::unordered_multimap<std::uint64_t, std::uint16_t> by_hash;

  std::uint16_t intern(const std::vector<std::uint16_t>& set, std::uint64_t hash,
                       std::uint32_t sw) {
    const auto range = by_hash.equal_range(hash);
    for (auto it = range.first; it != range.second; ++it) {
      const std::uint32_t b = begin[it->second];
      const std::uint32_t n = begin[it->second + 1U] - b;
      if (n == set.size() && std::equal(set.begin(), set.end(), ports.begin() + b)) {
        return it->second;
      }
    }
    const std::size_t id = begin.size() - 1;
    if (id >= Routes::kNoGroup) {
      throw ConfigError(fmt::format("switch {} needs more than 65,534 distinct ECMP groups", sw));
    }
    ports.insert(ports.end(), set.begin(), set.end());
    begin.push_back(static_cast<std::uint32_t>(ports.size()));
    by_hash.emplace(hash, static_cast<std::uint16_t>(id));
    return static_cast<std::uint16_t>(id);
  }
};

// Runs body(first, last) over [0, count) split into `threads` contiguous ranges.
template <class Body>
void run_split(std::size_t count, unsigned threads, const Body& body) {
  if (threads <= 1 || count < 2 * threads) {
    body(std::size_t{0}, count);
    return;
  }
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < threads; ++i) {
    const std::size_t first = count * i / threads;
    const std::size_t last = count * (i + 1) / threads;
    workers.emplace_back([&body, first, last] { body(first, last); });
  }
  for (auto& w : workers)
    w.join();
}

}  // namespace

std::vector<std::uint16_t> Routes::switch_group_of_edge(std::uint32_t sw) const {
  const auto first =
      group_of_edge.begin() + static_cast<std::ptrdiff_t>(std::size_t{sw} * edge_count());
  return {first, first + edge_count()};
}

std::vector<std::vector<std::uint16_t>> Routes::switch_groups(std::uint32_t sw) const {
  std::vector<std::vector<std::uint16_t>> out;
  for (std::uint32_t k = 0; k < group_count(sw); ++k) {
    const auto ports = group_ports_of(sw, static_cast<std::uint16_t>(k));
    out.emplace_back(ports.begin(), ports.end());
  }
  return out;
}

std::size_t Routes::memory_bytes() const {
  return edge_switches.capacity() * 4 + edge_index_of_switch.capacity() * 4 +
         group_of_edge.capacity() * 2 + distance.capacity() + group_begin.capacity() * 4 +
         group_port_begin.capacity() * 4 + group_ports.capacity() * 2;
}

Routes compute_routes(const NetworkGraph& g, std::span<const std::uint8_t> link_down) {
  if (!link_down.empty() && link_down.size() != g.port_count()) {
    throw std::invalid_argument("compute_routes: link_down must have one entry per port");
  }
  Routes r;
  const std::uint32_t n = g.switch_count;
  r.switch_count = n;
  r.edge_index_of_switch.assign(n, Routes::kNotEdge);
  for (std::uint32_t e = 0; e < g.endpoint_count; ++e) {
    const std::uint32_t node = g.endpoint_node(e);
    for (std::uint32_t p = g.port_begin[node]; p < g.port_begin[node + 1]; ++p) {
      r.edge_index_of_switch[g.port_node[g.peer_port[p]]] = 0;
    }
  }
  for (std::uint32_t s = 0; s < n; ++s) {
    if (r.edge_index_of_switch[s] == Routes::kNotEdge) continue;
    r.edge_index_of_switch[s] = static_cast<std::uint32_t>(r.edge_switches.size());
    r.edge_switches.push_back(s);
  }
  const std::size_t edges = r.edge_switches.size();
  r.group_of_edge.assign(n * edges, Routes::kNoGroup);
  r.distance.assign(n * edges, Routes::kUnreachable);
  const unsigned threads = std::max(1U, std::min(8U, std::thread::hardware_concurrency()));

  // Phase 1: one BFS per edge switch (edges split over threads; each writes its own columns).
  const SwitchGraph graph = switch_graph(g, link_down);
  run_split(edges, threads, [&](std::size_t first, std::size_t last) {
    std::vector<boost::default_color_type> color(n);
    std::vector<std::uint8_t> depth(n);
    boost::queue<Vertex> queue;
    for (std::size_t e = first; e < last; ++e) {
      std::fill(color.begin(), color.end(), boost::white_color);
      std::fill(depth.begin(), depth.end(), Routes::kUnreachable);
      const Vertex root = r.edge_switches[e];
      depth[root] = 0;
      boost::breadth_first_visit(
          graph, root, queue, DepthRecorder(depth.data()),
          boost::make_iterator_property_map(color.begin(), boost::get(boost::vertex_index, graph)));
      for (std::uint32_t s = 0; s < n; ++s)
        r.distance[s * edges + e] = depth[s];
    }
  });
  for (const std::uint8_t d : r.distance) {
    if (d == Routes::kUnreachable - 1) {
      throw ConfigError(fmt::format("{}: a path is longer than 253 switch hops", g.name));
    }
  }

  // Phase 2: per switch, the ports one hop closer to each edge, de-duplicated (switches split
  // over threads; each owns its switches' rows and group sets).
  std::vector<GroupSet> sets(n);
  std::mutex error_mutex;
  std::string error_text;
  run_split(n, threads, [&](std::size_t first, std::size_t last) {
    std::vector<std::uint16_t> scratch;
    std::vector<std::uint32_t> peer_row;  // neighbour switch rows, or kNotEdge for NICs
    for (std::size_t s = first; s < last; ++s) {
      const std::uint32_t base = g.port_begin[s];
      const std::uint32_t ports = g.port_begin[s + 1] - base;
      peer_row.resize(ports);
      for (std::uint32_t p = 0; p < ports; ++p) {
        const std::uint32_t t = g.port_node[g.peer_port[base + p]];
        peer_row[p] = t < n && !link_is_down(g, link_down, base + p) ? t : Routes::kNotEdge;
      }
      const std::uint8_t* row = r.distance.data() + s * edges;
      std::uint16_t* groups = r.group_of_edge.data() + s * edges;
      for (std::size_t e = 0; e < edges; ++e) {
        const std::uint8_t d = row[e];
        if (d == 0 || d == Routes::kUnreachable) continue;
        scratch.clear();
        std::uint64_t hash = 0;
        for (std::uint32_t p = 0; p < ports; ++p) {
          const std::uint32_t t = peer_row[p];
          if (t != Routes::kNotEdge && r.distance[t * edges + e] + 1 == d) {
            scratch.push_back(static_cast<std::uint16_t>(p));
            hash = mix(hash, p);
          }
        }
        try {
          groups[e] = sets[s].intern(scratch, hash, static_cast<std::uint32_t>(s));
        } catch (const ConfigError& error) {
          const std::lock_guard<std::mutex> lock(error_mutex);
          if (error_text.empty()) error_text = error.what();
          return;
        }
      }
      sets[s].by_hash = {};
    }
  });
  if (!error_text.empty()) throw ConfigError(error_text);

  r.group_begin.assign(std::size_t{n} + 1, 0);
  r.group_port_begin.push_back(0);
  for (std::uint32_t s = 0; s < n; ++s) {
    GroupSet& set = sets[s];
    const std::size_t groups = set.begin.size() - 1;
    r.group_begin[s + 1] = r.group_begin[s] + static_cast<std::uint32_t>(groups);
    const auto offset = static_cast<std::uint32_t>(r.group_ports.size());
    for (std::size_t k = 1; k <= groups; ++k)
      r.group_port_begin.push_back(offset + set.begin[k]);
    r.group_ports.insert(r.group_ports.end(), set.ports.begin(), set.ports.end());
    set = GroupSet();
  }
  return r;
}

}  // namespace fabricsim::topologies
