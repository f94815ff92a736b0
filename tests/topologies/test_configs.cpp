// Every example in configs/topologies/ is loaded here: parsed, and (except the 131,072-GPU
// one, built by bench_topology_build) built, routed and checked for full reachability.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include "helpers.hpp"
#include "topologies/stats.hpp"

using namespace fabricsim::topologies;
using namespace fabricsim::topologies::testing;

TEST_CASE("every example topology loads, builds and is fully reachable", "[configs]") {
  std::set<std::string> seen;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(FABRICSIM_SOURCE_DIR) +
                                                               "/configs/topologies")) {
    if (entry.path().extension() != ".json") continue;
    const std::string file = entry.path().filename().string();
    INFO(file);
    const auto spec = load_topology(entry.path().string());
    seen.insert(file);
    CHECK(!spec.name.empty());
    if (spec.gpu_count() > 20'000) continue;  // the scale example: bench_topology_build
    const auto g = build_graph(spec);
    CHECK(g.endpoint_count == spec.gpu_count());
    const auto r = compute_routes(g);
    const auto s = compute_stats(spec, g, r);
    // Within a plane every NIC reaches every other NIC.
    for (std::uint32_t plane = 0; plane < g.nic_port_count(0); ++plane) {
      for (std::uint32_t a = 0; a < g.endpoint_count; a += 1 + g.endpoint_count / 64) {
        for (std::uint32_t b = 0; b < g.endpoint_count; ++b) {
          const auto edge = r.edge_index_of_switch[g.attachment(b, plane).switch_id];
          REQUIRE(r.hops(g.attachment(a, plane).switch_id, edge) != Routes::kUnreachable);
        }
      }
    }
    if (g.nic_port_count(0) == 1) CHECK(s.all_reachable);
    CHECK(s.links == g.link_count());
  }
  for (const char* expected :
       {"fat_tree_128.json", "fat_tree_k16.json", "rail_optimized_1024.json", "nvl72_rack.json",
        "rail_optimized_131072.json", "dragonfly_small.json", "torus_2d_8x8.json",
        "torus_3d_4x4x4.json", "explicit_dumbbell.json", "explicit_leaf_spine.json"}) {
    CHECK(seen.count(expected) == 1);
  }
}
