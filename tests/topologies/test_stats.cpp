// Tests of topologies/stats: counts, bisection per kind, diameter and oversubscription
// against hand-computed values; DOT output.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "topologies/stats.hpp"

using namespace fabricsim::topologies;
using namespace fabricsim::topologies::testing;

namespace {
TopologyStats stats_of(const std::string& file) {
  const auto spec = load_topology(config_path(file));
  const auto g = build_graph(spec);
  return compute_stats(spec, g, compute_routes(g));
}
}  // namespace

TEST_CASE("stats of the 128-host 2-tier fat-tree", "[stats]") {
  const auto s = stats_of("fat_tree_128.json");
  CHECK(s.gpus == 128);
  CHECK(s.switches == 24);
  CHECK(s.switches_per_tier == std::vector<std::uint64_t>{16, 8});
  CHECK(s.links == 256);
  CHECK(s.host_links == 128);
  CHECK(s.bisection_bps == Approx(128 * 100e9 / 2));
  CHECK(s.diameter_switch_hops == 2);
  CHECK(s.diameter_links == 4);
  CHECK(s.all_reachable);
  REQUIRE(s.oversubscription.size() == 1);
  CHECK(s.oversubscription[0] == Approx(1.0));
  CHECK_THAT(stats_to_text(s), Catch::Contains("bisection 6.4 Tbps"));
}

TEST_CASE("stats of the k=16 fat-tree and an oversubscribed one", "[stats]") {
  const auto s = stats_of("fat_tree_k16.json");
  CHECK(s.switches_per_tier == std::vector<std::uint64_t>{128, 128, 64});
  CHECK(s.bisection_bps == Approx(1024 * 100e9 / 2));
  CHECK(s.diameter_links == 6);
  const auto o = stats_of("fat_tree_k8_oversub.json");
  REQUIRE(o.oversubscription.size() == 2);
  CHECK(o.oversubscription[0] == Approx(3.0));
  // spine: 4 x 100G down, 4 x 400G up.
  CHECK(o.oversubscription[1] == Approx(0.25));
  // Narrowest level: leaf uplinks, 32 leaves x 2 x 100G.
  CHECK(o.bisection_bps == Approx(32 * 2 * 100e9 / 2));
}

TEST_CASE("stats of dragonfly and torus", "[stats]") {
  const auto d = stats_of("dragonfly_small.json");
  CHECK(d.diameter_switch_hops == 3);
  CHECK(d.bisection_bps == Approx(4 * 5 * 200e9));  // groups 0-3 x groups 4-8, one link each
  CHECK(d.oversubscription.empty());
  const auto t = stats_of("torus_2d_8x8.json");
  CHECK(t.diameter_switch_hops == 8);
  CHECK(t.bisection_bps == Approx(16 * 100e9));  // 8 rows, 2 cut links each (wrap)
  const auto e = stats_of("explicit_dumbbell.json");
  CHECK(e.bisection_bps == 0);
  CHECK(e.diameter_links == 3);
}

TEST_CASE("stats as JSON and text; DOT for small fabrics", "[stats]") {
  const auto spec = load_topology(config_path("explicit_leaf_spine.json"));
  const auto g = build_graph(spec);
  const auto s = compute_stats(spec, g, compute_routes(g));
  const auto j = stats_to_json(s);
  CHECK(j["switches"] == 4);
  CHECK(j["links"] == 8);
  CHECK(j["diameter_links"] == 4);
  CHECK_THAT(stats_to_text(s), Catch::Contains("switches 4: tier0 2 tier1 2"));
  CHECK_THAT(stats_to_text(s), Catch::Contains("bisection: not computed"));
  const std::string dot = to_dot(g);
  CHECK_THAT(dot, Catch::StartsWith("graph fabric {"));
  CHECK_THAT(dot, Catch::Contains("s0 -- s2"));
  CHECK_THAT(dot, Catch::Contains("s0 -- n0"));
  std::size_t edges = 0;
  for (std::size_t at = dot.find(" -- "); at != std::string::npos; at = dot.find(" -- ", at + 1))
    ++edges;
  CHECK(edges == 8);
  CHECK_THROWS_AS(to_dot(g, 4), ConfigError);
}
