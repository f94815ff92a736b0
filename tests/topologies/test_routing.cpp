// Tests of topologies/routing: groups are exactly the minimal next hops, distances match an
// independent BFS, no loops, valley-free on Clos, 2/4/6-link paths on 1/2/3-tier Clos.
#include <catch2/catch.hpp>

#include <set>

#include "helpers.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/routing.hpp"

using namespace fabricsim::topologies;
using namespace fabricsim::topologies::testing;

namespace {

// Every (switch, edge) group equals the set of ports to a neighbour switch one hop closer.
void check_minimal_groups(const NetworkGraph& g, const Routes& r, bool connected = true) {
  for (std::uint32_t e = 0; e < r.edge_count(); ++e) {
    const auto dist = bfs_distances(g, r.edge_switches[e]);
    for (std::uint32_t s = 0; s < g.switch_count; ++s) {
      if (dist[s] < 0) {
        REQUIRE(!connected);
        REQUIRE(r.hops(s, e) == Routes::kUnreachable);
        REQUIRE(r.next_hops(s, e).empty());
        continue;
      }
      REQUIRE(r.hops(s, e) == dist[s]);
      std::set<std::uint16_t> expected;
      for (std::uint32_t p = 0; p < g.degree(s); ++p) {
        const std::uint32_t t = g.neighbor(s, p);
        if (g.is_switch(t) && dist[t] == dist[s] - 1)
          expected.insert(static_cast<std::uint16_t>(p));
      }
      const auto hops = r.next_hops(s, e);
      const std::set<std::uint16_t> got(hops.begin(), hops.end());
      REQUIRE(got.size() == hops.size());  // no duplicates
      REQUIRE(got == expected);
      if (dist[s] == 0) REQUIRE(hops.empty());
      if (dist[s] > 0) REQUIRE(!hops.empty());
    }
  }
}

// Following any next hop from any switch reaches the edge switch with strictly decreasing
// distance (no loops); checked by walking every branch.
void check_no_loops(const NetworkGraph& g, const Routes& r) {
  for (std::uint32_t e = 0; e < r.edge_count(); ++e) {
    for (std::uint32_t s = 0; s < g.switch_count; ++s) {
      std::uint32_t at = s;
      std::uint32_t steps = 0;
      while (at != r.edge_switches[e]) {
        const auto hops = r.next_hops(at, e);
        REQUIRE(!hops.empty());
        for (const auto p : hops)
          REQUIRE(r.hops(g.neighbor(at, p), e) + 1 == r.hops(at, e));
        at = g.neighbor(at, hops[(s + steps) % hops.size()]);
        REQUIRE(++steps <= g.switch_count);
      }
    }
  }
}

// Up*/down*: once a route goes down a tier, every later hop goes down too; no same-tier hop.
void check_valley_free(const NetworkGraph& g, const Routes& r) {
  for (std::uint32_t e = 0; e < r.edge_count(); ++e) {
    for (std::uint32_t s = 0; s < g.switch_count; ++s) {
      for (const auto p : r.next_hops(s, e)) {
        const std::uint32_t t = g.neighbor(s, p);
        REQUIRE(g.switch_tier[t] != g.switch_tier[s]);
        if (g.switch_tier[t] < g.switch_tier[s]) {
          for (const auto q : r.next_hops(t, e)) {
            REQUIRE(g.switch_tier[g.neighbor(t, q)] < g.switch_tier[t]);
          }
        }
      }
    }
  }
}

// Link count of the shortest NIC-to-NIC path, for every NIC pair (all must be reachable).
std::set<std::uint32_t> nic_path_lengths(const NetworkGraph& g, const Routes& r) {
  std::set<std::uint32_t> lengths;
  for (std::uint32_t a = 0; a < g.endpoint_count; ++a) {
    for (std::uint32_t b = 0; b < g.endpoint_count; ++b) {
      if (a == b) continue;
      const auto sa = g.attachment(a).switch_id;
      const auto sb = g.attachment(b).switch_id;
      const std::uint8_t d = r.hops(sa, r.edge_index_of_switch[sb]);
      REQUIRE(d != Routes::kUnreachable);
      lengths.insert(d + 2U);
    }
  }
  return lengths;
}

}  // namespace

TEST_CASE("1-tier Clos: every pair 2 links", "[routing]") {
  const auto spec = parse_text(R"({"kind": "explicit", "switches": [{"name": "s"}],
      "hosts": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
      "links": [{"a": "a", "b": "s"}, {"a": "b", "b": "s"}, {"a": "c", "b": "s"}]})");
  const auto g = build_graph(spec);
  const auto r = compute_routes(g);
  CHECK(r.edge_count() == 1);
  CHECK(nic_path_lengths(g, r) == std::set<std::uint32_t>{2});
  CHECK(r.next_hops(0, 0).empty());
}

TEST_CASE("2-tier fat-tree: 2 or 4 links, minimal groups, valley-free", "[routing]") {
  const auto g = build_graph(load_topology(config_path("fat_tree_128.json")));
  const auto r = compute_routes(g);
  CHECK(r.edge_count() == 16);
  check_minimal_groups(g, r);
  check_no_loops(g, r);
  check_valley_free(g, r);
  CHECK(nic_path_lengths(g, r) == std::set<std::uint32_t>{2, 4});
  // A leaf has 8 uplinks, one per spine: the group to any other leaf is all 8 uplinks, and
  // all 15 remote leaves share that one group.
  CHECK(r.next_hops(0, 5).size() == 8);
  CHECK(r.group_count(0) == 1);
  // A spine reaches each leaf over exactly one port (its only link there).
  const std::uint32_t spine = 16;
  for (std::uint32_t e = 0; e < 16; ++e)
    REQUIRE(r.next_hops(spine, e).size() == 1);
  CHECK(r.group_count(spine) == 16);
}

TEST_CASE("3-tier fat-tree k=8: 2/4/6 links and per-tier group sizes", "[routing]") {
  const auto g = build_graph(parse_text(R"({"kind": "fat_tree", "tiers": 3, "radix": 8})"));
  const auto r = compute_routes(g);
  REQUIRE(g.endpoint_count == 128);
  check_minimal_groups(g, r);
  check_no_loops(g, r);
  check_valley_free(g, r);
  CHECK(nic_path_lengths(g, r) == std::set<std::uint32_t>{2, 4, 6});
  // Leaf 0 (pod 0): to leaf 1 (same pod) and leaf 4 (pod 1) all 4 uplinks are minimal.
  CHECK(r.next_hops(0, 1).size() == 4);
  CHECK(r.next_hops(0, 4).size() == 4);
  // A spine of pod 0 (switch 32) goes up over its 4 core links towards pod 1.
  CHECK(r.next_hops(32, 4).size() == 4);
  CHECK(r.next_hops(32, 1).size() == 1);
  CHECK(r.hops(0, 4) == 4);
  CHECK(r.hops(0, 1) == 2);
}

TEST_CASE("rail-optimized with two planes routes within each plane", "[routing]") {
  const auto g = build_graph(load_topology(config_path("rail_optimized_2plane.json")));
  const auto r = compute_routes(g);
  check_minimal_groups(g, r, /*connected=*/false);  // the planes are disjoint switch graphs
  check_valley_free(g, r);
  // Every NIC has a port in each plane, and every NIC pair is reachable within each plane.
  const std::uint32_t plane_switches = g.switch_count / 2;
  for (std::uint32_t a = 0; a < g.endpoint_count; a += 7) {
    REQUIRE(g.nic_port_count(a) == 2);
    for (std::uint32_t plane = 0; plane < 2; ++plane) {
      const auto sa = g.attachment(a, plane).switch_id;
      REQUIRE(sa / plane_switches == plane);
      for (std::uint32_t b = 0; b < g.endpoint_count; ++b) {
        const auto sb = g.attachment(b, plane).switch_id;
        REQUIRE(r.hops(sa, r.edge_index_of_switch[sb]) <= 4);
      }
    }
  }
}

TEST_CASE("dragonfly minimal routing: at most local-global-local", "[routing]") {
  const auto g = build_graph(load_topology(config_path("dragonfly_small.json")));
  const auto r = compute_routes(g);
  check_minimal_groups(g, r);
  check_no_loops(g, r);
  const auto lengths = nic_path_lengths(g, r);
  CHECK(*lengths.begin() == 2);
  CHECK(*lengths.rbegin() == 5);  // NIC, local, global, local, NIC
}

TEST_CASE("torus minimal routing: hop count is the wrapped Manhattan distance", "[routing]") {
  const auto g = build_graph(load_topology(config_path("torus_2d_8x8.json")));
  const auto r = compute_routes(g);
  check_minimal_groups(g, r);
  check_no_loops(g, r);
  const auto ring = [](int a, int b) { return std::min((a - b + 8) % 8, (b - a + 8) % 8); };
  for (std::uint32_t s = 0; s < 64; ++s) {
    for (std::uint32_t t = 0; t < 64; ++t) {
      const int expect = ring(static_cast<int>(s % 8), static_cast<int>(t % 8)) +
                         ring(static_cast<int>(s / 8), static_cast<int>(t / 8));
      REQUIRE(r.hops(s, t) == expect);
    }
  }
  // From (0,0) to (4,4) both directions of both dimensions are minimal: 4 next hops.
  CHECK(r.next_hops(0, 36).size() == 4);
  CHECK(r.next_hops(0, 1).size() == 1);
}

TEST_CASE("mesh without wrap-around routes along the straight line", "[routing]") {
  const auto g = build_graph(parse_text(R"({"kind": "torus", "dims": [4, 3], "wrap": false})"));
  const auto r = compute_routes(g);
  check_minimal_groups(g, r);
  CHECK(r.hops(0, 3) == 3);   // (0,0) -> (3,0)
  CHECK(r.hops(0, 11) == 5);  // (0,0) -> (3,2)
}

TEST_CASE("route tables export in models::RouteTable form", "[routing]") {
  const auto g = build_graph(load_topology(config_path("explicit_leaf_spine.json")));
  const auto r = compute_routes(g);
  REQUIRE(r.edge_count() == 2);
  const auto goe = r.switch_group_of_edge(0);
  REQUIRE(goe.size() == 2);
  CHECK(goe[0] == Routes::kNoGroup);  // leaf0 itself
  const auto groups = r.switch_groups(0);
  REQUIRE(groups.size() == 1);
  CHECK(groups[goe[1]] == std::vector<std::uint16_t>{2, 3});  // ports after the two hosts
  CHECK(r.memory_bytes() > 0);
}

TEST_CASE("HPCC's auto base RTT: twice the propagation plus an MTU per link, longest path",
          "[routing]") {
  // fat_tree_128: 2 tiers, the longest NIC-to-NIC path crosses 4 links (NIC-leaf-spine-leaf-NIC).
  const auto g = build_graph(load_topology(config_path("fat_tree_128.json")));
  const auto r = compute_routes(g);
  const auto& host = g.link_of_port(g.port_begin[g.endpoint_node(0)]);
  const fabricsim::sim::Time packet = fabricsim::sim::serialization_time(
      std::uint64_t{host.mtu_bytes} + g.nic_params.header_bytes, host.rate_bps);
  CHECK(longest_base_rtt(g, r) == (host.delay * 2 + packet) * 4);
  // k=16, three tiers: 6 links.
  const auto k16 = build_graph(load_topology(config_path("fat_tree_k16.json")));
  CHECK(longest_base_rtt(k16, compute_routes(k16)) == (fabricsim::sim::Time::us(2) + packet) * 6);
}
