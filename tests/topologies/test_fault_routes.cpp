// Routing convergence under faults (topologies/fault_routes.hpp): the incremental routes equal
// compute_routes from scratch around the same failed links, step after step, on a 3-tier
// fat-tree, a dragonfly and a torus; compute_routes itself routes around failed links; a
// step's tables go only to the switches it changed.
#include <catch2/catch.hpp>

#include <set>

#include "helpers.hpp"
#include "sim/rng.hpp"
#include "sim/simulator.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/fault_routes.hpp"
#include "topologies/routing.hpp"

using namespace fabricsim;
using namespace fabricsim::topologies;
using namespace fabricsim::topologies::testing;

namespace {

std::vector<std::uint32_t> switch_links(const NetworkGraph& g) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t p = 0; p < g.port_count(); ++p) {
    if (p < g.peer_port[p] && g.is_switch(g.port_node[p]) &&
        g.is_switch(g.port_node[g.peer_port[p]])) {
      out.push_back(p);
    }
  }
  return out;
}

// Random walks of link states: each step takes 1-3 links down and brings some back.
void check_incremental(const NetworkGraph& g, std::uint64_t seed) {
  const Routes base = compute_routes(g);
  const auto links = switch_links(g);
  sim::Rng rng(seed, 0);
  std::vector<std::vector<std::uint32_t>> steps{{}};
  std::set<std::uint32_t> down;
  for (int step = 0; step < 12; ++step) {
    const auto changes = 1 + rng.below(3);
    for (std::uint64_t c = 0; c < changes; ++c) {
      const std::uint32_t link = links[rng.below(links.size())];
      if (!down.erase(link)) down.insert(link);
    }
    steps.emplace_back(down.begin(), down.end());
  }
  FaultRoutes incremental(g, base, steps, g.switch_count);
  for (std::uint32_t k = 1; k < steps.size(); ++k) {
    incremental.compute_through(k);
    std::vector<std::uint8_t> mask(g.port_count(), 0);
    for (const std::uint32_t p : steps[k]) {
      mask[p] = 1;
      mask[g.peer_port[p]] = 1;
    }
    const Routes fresh = compute_routes(g, mask);
    std::size_t differences = 0;
    for (std::uint32_t s = 0; s < g.switch_count; ++s) {
      for (std::uint32_t e = 0; e < fresh.edge_count(); ++e) {
        const auto want = fresh.next_hops(s, e);
        const auto got = incremental.next_hops(s, e);
        if (std::vector<std::uint16_t>(want.begin(), want.end()) != got) ++differences;
      }
    }
    INFO(g.name << ", seed " << seed << ", step " << k << ": " << steps[k].size() << " links down");
    CHECK(differences == 0);
  }
}

}  // namespace

TEST_CASE("compute_routes around a failed link: the leaf stops using it, distances hold") {
  const auto g = build_graph(parse_text(R"({"kind": "fat_tree", "tiers": 2, "radix": 8})"));
  const Routes base = compute_routes(g);
  // Leaf 0's first uplink (ports 0-3 hold hosts).
  const std::uint32_t up = g.port_begin[0] + 4;
  std::vector<std::uint8_t> mask(g.port_count(), 0);
  mask[up] = 1;
  const Routes r = compute_routes(g, mask);
  const std::uint32_t spine = g.port_node[g.peer_port[up]];
  for (std::uint32_t e = 1; e < r.edge_count(); ++e) {
    const auto before = base.next_hops(0, e);
    const auto after = r.next_hops(0, e);
    CHECK(before.size() == 4);
    CHECK(after.size() == 3);
    for (const std::uint16_t p : after)
      CHECK(p != 4);
    CHECK(r.hops(0, e) == base.hops(0, e));
  }
  // The spine reaches leaf 0 through another leaf and spine now: 3 hops, not 1.
  CHECK(base.hops(spine, 0) == 1);
  CHECK(r.hops(spine, 0) == 3);
  // Every other leaf avoids that spine towards leaf 0.
  for (std::uint32_t leaf = 1; leaf < 8; ++leaf) {
    CHECK(r.next_hops(leaf, 0).size() == 3);
  }
}

TEST_CASE("incremental convergence gives the routes compute_routes gives, step after step") {
  check_incremental(build_graph(parse_text(R"({"kind": "fat_tree", "tiers": 3, "radix": 8})")), 1);
  check_incremental(build_graph(parse_text(R"({"kind": "fat_tree", "tiers": 3, "radix": 8})")), 2);
  check_incremental(build_graph(load_topology(config_path("dragonfly_small.json"))), 3);
  check_incremental(build_graph(load_topology(config_path("torus_2d_8x8.json"))), 4);
  check_incremental(build_graph(load_topology(config_path("rail_optimized_1024.json"))), 5);
}

TEST_CASE("a convergence step sets the routes of the switches it changed, once per switch") {
  const auto g = build_graph(parse_text(R"({"kind": "fat_tree", "tiers": 2, "radix": 8})"));
  const Routes base = compute_routes(g);
  sim::Simulator sim;
  auto fabric = build_fabric(g, base, sim);
  const std::uint32_t up = g.port_begin[0] + 4;
  FaultRoutes routes(g, base, {{}, {up}}, g.switch_count);
  for (std::uint32_t s = 0; s < g.switch_count; ++s)
    routes.install(*fabric, s, 1);
  // Every switch had its turn: the step is gone, asking again is a logic error.
  CHECK_THROWS_AS(routes.install(*fabric, 0, 1), std::logic_error);
  CHECK_THROWS_AS(routes.install(*fabric, 0, 2), std::out_of_range);
  // Leaf 1's group towards leaf 0 has lost the spine that lost its link to leaf 0.
  fabricsim::models::Packet p{};
  p.src = 4;  // a host of leaf 1
  p.dst = 0;  // on leaf 0
  std::set<std::uint16_t> ports;
  for (std::uint16_t e = 0; e < 512; ++e) {
    p.entropy = e;
    ports.insert(fabric->switch_at(1).route(p));
  }
  CHECK(ports.size() == 3);
  CHECK(ports.count(4) == 0);  // leaf 1's uplink to spine 8 (its first)
}
