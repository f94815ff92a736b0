// Integration test (label "integration", kept out of the unit run): the 131,072-GPU
// rail-optimized example is built and routed, and its counts, diameter, group sizes and
// bisection match the hand-computed values of topologies/README.md.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "topologies/stats.hpp"

using namespace fabricsim::topologies;
using namespace fabricsim::topologies::testing;

TEST_CASE("131,072-GPU rail-optimized fabric: counts, routes and stats", "[scale]") {
  const auto spec = load_topology(config_path("rail_optimized_131072.json"));
  const auto g = build_graph(spec);
  REQUIRE(g.endpoint_count == 131072);
  CHECK(g.host_count == 16384);
  CHECK(g.switch_count == 5120);
  CHECK(g.link_count() == 393216);
  const auto r = compute_routes(g);
  REQUIRE(r.edge_count() == 2048);
  const auto s = compute_stats(spec, g, r);
  CHECK(s.switches_per_tier == std::vector<std::uint64_t>{2048, 2048, 1024});
  CHECK(s.all_reachable);
  CHECK(s.diameter_switch_hops == 4);
  CHECK(s.diameter_links == 6);
  CHECK(s.bisection_bps == Approx(131072 * 400e9 / 2));
  CHECK(s.oversubscription == std::vector<double>{1.0, 1.0});

  // Leaf 0 (rail 0, group 0, pod 0): every other leaf over all 64 uplinks, one group.
  CHECK(r.group_count(0) == 1);
  CHECK(r.next_hops(0, 1).size() == 64);
  CHECK(r.next_hops(0, 2047).size() == 64);
  CHECK(r.hops(0, 1) == 2);   // same pod (leaves 0..63)
  CHECK(r.hops(0, 64) == 4);  // next pod
  // Spine 0 of pod 0 (switch 2048): one port down to each of its 64 leaves, 64 core ports up.
  const std::uint32_t spine = 2048;
  CHECK(r.group_count(spine) == 65);
  CHECK(r.next_hops(spine, 5).size() == 1);
  CHECK(r.next_hops(spine, 100).size() == 64);
  // Core 0 (switch 4096, group 0): 4 parallel links to spine 0 of each of the 32 pods.
  const std::uint32_t core = 4096;
  CHECK(g.degree(core) == 128);
  CHECK(r.group_count(core) == 32);
  CHECK(r.next_hops(core, 0).size() == 4);
  // Memory of the tables: 2 bytes per (switch, edge) plus one distance byte.
  CHECK(r.memory_bytes() < 40u * 1024 * 1024);
}
