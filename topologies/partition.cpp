// The partitioner of parallel runs (see partition.hpp).
#include "topologies/partition.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace fabricsim::topologies {
namespace {

std::uint32_t find(std::vector<std::uint32_t>& parent, std::uint32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

void unite(std::vector<std::uint32_t>& parent, std::uint32_t a, std::uint32_t b) {
  a = find(parent, a);
  b = find(parent, b);
  if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the root is the smallest member
}

}  // namespace

Partitioning partition_graph(const NetworkGraph& g, std::uint32_t parts) {
  if (parts == 0) throw std::invalid_argument("partition_graph: at least one partition");
  Partitioning out;
  out.parts = parts;
  out.nic_part.assign(g.endpoint_count, 0);
  out.switch_part.assign(g.switch_count, 0);
  const std::uint32_t nics = g.endpoint_count;

  // Units of NICs: same host, same NVLink domain, same edge switch (edge switches are nodes
  // 0..S-1, mapped after the NICs in the union-find).
  std::vector<std::uint32_t> parent(nics + g.switch_count);
  std::iota(parent.begin(), parent.end(), 0U);
  std::vector<std::uint32_t> first_of_host;
  const std::uint32_t per_domain = std::max<std::uint32_t>(g.nvlink.gpus_per_domain, 1);
  for (std::uint32_t e = 0; e < nics; ++e) {
    if (e < g.endpoint_host.size()) {
      const std::uint32_t h = g.endpoint_host[e];
      if (first_of_host.size() <= h) first_of_host.resize(h + 1, NetworkGraph::kNoPort);
      if (first_of_host[h] == NetworkGraph::kNoPort) {
        first_of_host[h] = e;
      } else {
        unite(parent, first_of_host[h], e);
      }
    }
    if (per_domain > 1 && e % per_domain != 0) unite(parent, e - e % per_domain, e);
    for (std::uint32_t plane = 0; plane < g.nic_port_count(e); ++plane) {
      unite(parent, e, nics + g.attachment(e, plane).switch_id);
    }
  }
  // Roots are the smallest NIC of each unit: walking NICs in order meets units in order.
  std::vector<std::uint32_t> unit_size(nics, 0);
  for (std::uint32_t e = 0; e < nics; ++e)
    ++unit_size[find(parent, e)];
  std::vector<std::uint32_t> part_of_root(nics, 0);
  std::uint64_t placed = 0;
  std::uint32_t current = 0;
  for (std::uint32_t e = 0; e < nics; ++e) {
    if (find(parent, e) != e) continue;
    // A new block starts once the NICs placed so far fill the current partition's share.
    while (current + 1 < parts &&
           placed * parts >= static_cast<std::uint64_t>(current + 1) * nics) {
      ++current;
    }
    part_of_root[e] = current;
    placed += unit_size[e];
  }
  for (std::uint32_t e = 0; e < nics; ++e)
    out.nic_part[e] = part_of_root[find(parent, e)];

  // Switches, edge tier first.
  std::vector<std::uint32_t> order(g.switch_count);
  std::iota(order.begin(), order.end(), 0U);
  std::stable_sort(order.begin(), order.end(), [&g](std::uint32_t a, std::uint32_t b) {
    return g.switch_tier[a] < g.switch_tier[b];
  });
  std::vector<std::uint8_t> placed_switch(g.switch_count, 0);
  std::vector<std::uint32_t> switches_in(parts, 0);
  std::vector<std::uint32_t> votes(parts, 0);
  for (const std::uint32_t s : order) {
    std::fill(votes.begin(), votes.end(), 0U);
    for (std::uint32_t p = g.port_begin[s]; p < g.port_begin[s + 1]; ++p) {
      if (g.peer_port[p] == NetworkGraph::kNoPort) continue;
      const std::uint32_t n = g.port_node[g.peer_port[p]];
      if (!g.is_switch(n)) {
        ++votes[out.nic_part[n - g.switch_count]];
      } else if (placed_switch[n] != 0) {
        ++votes[out.switch_part[n]];
      }
    }
    std::uint32_t best = 0;
    for (std::uint32_t q = 1; q < parts; ++q) {
      if (votes[q] > votes[best] ||
          (votes[q] == votes[best] && switches_in[q] < switches_in[best])) {
        best = q;
      }
    }
    out.switch_part[s] = best;
    placed_switch[s] = 1;
    ++switches_in[best];
  }
  return out;
}

}  // namespace fabricsim::topologies
