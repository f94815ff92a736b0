// Shortest-path ECMP routing per destination EDGE switch (never per host): Boost.Graph BFS
// from every edge switch over the switch graph gives hop distances; a switch's next-hop group
// towards an edge switch is the set of its egress ports whose neighbour is one hop closer.
// Groups are de-duplicated per switch and named by a uint16 id, exactly the shape of
// models::RouteTable (group_of_edge + groups). On a Clos this is up/down (valley-free)
// routing; on dragonfly and torus it is minimal routing.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "topologies/network_graph.hpp"

namespace fabricsim::topologies {

struct Routes {
  static constexpr std::uint16_t kNoGroup = 0xFFFF;  // the edge itself, or unreachable
  static constexpr std::uint32_t kNotEdge = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::uint8_t kUnreachable = 0xFF;

  std::uint32_t switch_count = 0;
  std::vector<std::uint32_t> edge_switches;         // dense edge index -> switch id
  std::vector<std::uint32_t> edge_index_of_switch;  // switch id -> edge index or kNotEdge
  // [switch * edge_count() + edge]:
  std::vector<std::uint16_t> group_of_edge;  // per-switch group id, or kNoGroup
  std::vector<std::uint8_t> distance;        // switch-to-switch link hops, or kUnreachable
  // Groups, switch by switch: switch s owns groups [group_begin[s], group_begin[s+1]) (global
  // numbering); global group k's ports are group_ports[group_port_begin[k] ...
  // group_port_begin[k+1]) as local port numbers of s. Per-switch id = global - group_begin[s].
  std::vector<std::uint32_t> group_begin;
  std::vector<std::uint32_t> group_port_begin;
  std::vector<std::uint16_t> group_ports;

  std::uint32_t edge_count() const { return static_cast<std::uint32_t>(edge_switches.size()); }
  std::uint32_t group_count(std::uint32_t sw) const {
    return group_begin[sw + 1] - group_begin[sw];
  }
  // Ports of per-switch group id `group` of switch sw.
  std::span<const std::uint16_t> group_ports_of(std::uint32_t sw, std::uint16_t group) const {
    const std::uint32_t k = group_begin[sw] + group;
    return {group_ports.data() + group_port_begin[k],
            group_port_begin[k + 1] - group_port_begin[k]};
  }
  // Next hops from switch sw towards edge switch index edge; empty when sw is that edge.
  std::span<const std::uint16_t> next_hops(std::uint32_t sw, std::uint32_t edge) const {
    const std::uint16_t g = group_of_edge[std::size_t{sw} * edge_count() + edge];
    if (g == kNoGroup) return {};
    return group_ports_of(sw, g);
  }
  std::uint8_t hops(std::uint32_t sw, std::uint32_t edge) const {
    return distance[std::size_t{sw} * edge_count() + edge];
  }
  // One switch's table in models::RouteTable::set form.
  std::vector<std::uint16_t> switch_group_of_edge(std::uint32_t sw) const;
  std::vector<std::vector<std::uint16_t>> switch_groups(std::uint32_t sw) const;

  std::size_t memory_bytes() const;
};

// Computes the routes of g. Edge switches are the switches with at least one endpoint port,
// indexed in switch-id order. `link_down`, when not empty, has one entry per graph port: a
// switch-to-switch link with a nonzero entry on either port carries no route (routing
// converged around failed links); edge indexes stay those of the whole graph.
Routes compute_routes(const NetworkGraph& g, std::span<const std::uint8_t> link_down = {});

}  // namespace fabricsim::topologies
