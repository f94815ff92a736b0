// Tests of topologies/spec and the builders: counts per kind against closed-form formulas,
// numbering of GPUs/NICs/hosts, attachment of NICs to leaves, port layout.
#include <catch2/catch.hpp>

#include <map>

#include "helpers.hpp"

using namespace fabricsim;
using namespace fabricsim::topologies;
using namespace fabricsim::topologies::testing;

namespace {
std::map<std::uint8_t, std::uint32_t> per_tier(const NetworkGraph& g) {
  std::map<std::uint8_t, std::uint32_t> m;
  for (const auto t : g.switch_tier)
    ++m[t];
  return m;
}
std::uint32_t links_between_tiers(const NetworkGraph& g, std::uint8_t lo, std::uint8_t hi) {
  std::uint32_t n = 0;
  for (std::uint32_t p = 0; p < g.port_begin[g.switch_count]; ++p) {
    const auto t = g.port_node[g.peer_port[p]];
    if (g.is_switch(t) && g.switch_tier[g.port_node[p]] == lo && g.switch_tier[t] == hi) ++n;
  }
  return n;
}
}  // namespace

TEST_CASE("k-ary 3-tier fat-tree counts: k^3/4 hosts, 5k^2/4 switches", "[spec]") {
  for (const std::uint32_t k : {4u, 8u, 16u}) {
    const auto spec =
        parse_text("{\"kind\": \"fat_tree\", \"tiers\": 3, \"radix\": " + std::to_string(k) + "}");
    const auto g = build_graph(spec);
    CHECK(g.endpoint_count == k * k * k / 4);
    CHECK(g.host_count == k * k * k / 4);
    CHECK(g.switch_count == 5 * k * k / 4);
    CHECK(per_tier(g) ==
          std::map<std::uint8_t, std::uint32_t>{{0, k * k / 2}, {1, k * k / 2}, {2, k * k / 4}});
    CHECK(g.link_count() == 3 * k * k * k / 4);
    for (std::uint32_t s = 0; s < g.switch_count; ++s)
      REQUIRE(g.degree(s) == k);
    // Host h is on leaf h / (k/2), at port h % (k/2); leaf ports: hosts first, then uplinks.
    for (std::uint32_t h = 0; h < g.endpoint_count; ++h) {
      const auto at = g.attachment(h);
      REQUIRE(at.switch_id == h / (k / 2));
      REQUIRE(at.local_port == h % (k / 2));
    }
  }
}

TEST_CASE("2-tier fat-tree with fewer hosts uses fewer, doubly-linked spines", "[spec]") {
  const auto g = build_graph(parse_text(R"({"kind": "fat_tree", "tiers": 2, "radix": 16,
                                           "hosts": 64})"));
  // 8 leaves x 8 uplinks = 64 uplinks on radix-16 spines: 4 spines, 2 links to each leaf.
  CHECK(per_tier(g) == std::map<std::uint8_t, std::uint32_t>{{0, 8}, {1, 4}});
  CHECK(g.degree(8) == 16);
  CHECK(g.link_count() == 64 + 64);
}

TEST_CASE("oversubscribed fat-tree: leaf 3:1 splits radix 8 into 6 down, 2 up", "[spec]") {
  const auto spec = load_topology(config_path("fat_tree_k8_oversub.json"));
  CHECK(spec.clos.leaf_down == 6);
  CHECK(spec.clos.leaf_up == 2);
  CHECK(spec.clos.spine_down == 4);
  const auto g = build_graph(spec);
  // 32 leaves (8 pods of 4) x 6 hosts; 2 spines per pod; 2 core groups of 4 cores.
  CHECK(g.endpoint_count == 192);
  CHECK(per_tier(g) == std::map<std::uint8_t, std::uint32_t>{{0, 32}, {1, 16}, {2, 8}});
  CHECK(links_between_tiers(g, 0, 1) == 64);
  CHECK(links_between_tiers(g, 1, 2) == 64);
  // spine_core links carry the per-tier override.
  for (std::uint32_t p = 0; p < g.port_begin[g.switch_count]; ++p) {
    const auto a = g.port_node[p];
    const auto b = g.port_node[g.peer_port[p]];
    if (g.is_switch(b) && g.switch_tier[a] + g.switch_tier[b] == 3) {  // spine <-> core
      REQUIRE(g.link_of_port(p).rate_bps == 400'000'000'000ULL);
      REQUIRE(g.link_of_port(p).delay == sim::Time::us(2));
    } else {
      REQUIRE(g.link_of_port(p).rate_bps == 100'000'000'000ULL);
    }
  }
}

TEST_CASE("rail-optimized 1024: GPU g of node n sits on rail leaf g of its group", "[spec]") {
  const auto spec = load_topology(config_path("rail_optimized_1024.json"));
  const auto g = build_graph(spec);
  CHECK(g.endpoint_count == 1024);
  CHECK(g.host_count == 128);
  // 32 nodes per rail leaf (radix 64, 1:1) -> 4 groups x 8 rails = 32 leaves; 32 x 32 uplinks
  // over radix-64 spines -> 16 spines with 2 links to every leaf.
  CHECK(per_tier(g) == std::map<std::uint8_t, std::uint32_t>{{0, 32}, {1, 16}});
  CHECK(g.link_count() == 1024 + 32 * 32);
  for (std::uint32_t e = 0; e < 1024; ++e) {
    const std::uint32_t node = e / 8;
    const std::uint32_t gpu = e % 8;
    REQUIRE(g.endpoint_host[e] == node);
    REQUIRE(g.endpoint_rail[e] == gpu);
    REQUIRE(g.attachment(e).switch_id == gpu * 4 + node / 32);
    REQUIRE(g.attachment(e).local_port == node % 32);
  }
  CHECK(g.nvlink.gpus_per_domain == 8);
  CHECK(g.nvlink.bandwidth_bps == 7'200'000'000'000ULL);
  CHECK(g.link_classes.size() == 1);
  CHECK(g.link_of_port(0).rate_bps == 400'000'000'000ULL);
}

TEST_CASE("NVL72 rack: one 72-GPU NVLink domain, 18 NICs per rail leaf", "[spec]") {
  const auto g = build_graph(load_topology(config_path("nvl72_rack.json")));
  CHECK(g.endpoint_count == 72);
  CHECK(g.host_count == 1);
  CHECK(g.nvlink.gpus_per_domain == 72);
  CHECK(g.nvlink.links == 18);
  CHECK(per_tier(g).at(0) == 4);
  for (std::uint32_t e = 0; e < 72; ++e)
    REQUIRE(g.attachment(e).switch_id == e % 4);
  for (std::uint32_t leaf = 0; leaf < 4; ++leaf) {
    std::uint32_t hosts = 0;
    for (std::uint32_t p = 0; p < g.degree(leaf); ++p)
      hosts += g.is_switch(g.neighbor(leaf, p)) ? 0u : 1u;
    REQUIRE(hosts == 18);
  }
}

TEST_CASE("rail-optimized 131072 spec: counts from the structural parameters", "[spec]") {
  const auto spec = load_topology(config_path("rail_optimized_131072.json"));
  CHECK(spec.gpu_count() == 131072);
  CHECK(spec.clos.tiers == 3);
  CHECK(spec.clos.leaf_down == 64);
  CHECK(spec.clos.spine_down == 64);
}

TEST_CASE("dragonfly counts: a(a-1)/2 local links per group, one global link per pair", "[spec]") {
  const auto g = build_graph(load_topology(config_path("dragonfly_small.json")));
  CHECK(g.switch_count == 36);
  CHECK(g.endpoint_count == 72);
  CHECK(g.link_count() == 72 + 9 * 6 + 36);
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> pair_links;
  for (std::uint32_t p = 0; p < g.port_begin[g.switch_count]; ++p) {
    const auto a = g.port_node[p];
    const auto b = g.port_node[g.peer_port[p]];
    if (g.is_switch(b) && a / 4 < b / 4) ++pair_links[{a / 4, b / 4}];
  }
  CHECK(pair_links.size() == 36);
  for (const auto& [pair, n] : pair_links)
    REQUIRE(n == 1);
  for (std::uint32_t s = 0; s < 36; ++s)
    REQUIRE(g.degree(s) == 2 + 3 + 2);
}

TEST_CASE("torus counts: D links per router with wrap, fewer without", "[spec]") {
  const auto g = build_graph(load_topology(config_path("torus_3d_4x4x4.json")));
  CHECK(g.switch_count == 64);
  CHECK(g.endpoint_count == 128);
  CHECK(g.link_count() == 128 + 3 * 64);
  for (std::uint32_t s = 0; s < 64; ++s)
    REQUIRE(g.degree(s) == 2 + 6);
  const auto mesh = build_graph(parse_text(R"({"kind": "torus", "dims": [4, 3], "wrap": false})"));
  CHECK(mesh.link_count() == 12 + 3 * 3 + 4 * 2);
  const auto two = build_graph(parse_text(R"({"kind": "torus", "dims": [2, 5]})"));
  CHECK(two.link_count() == 10 + 5 * 1 + 2 * 5);  // no duplicate wrap link in a size-2 ring
}

TEST_CASE("explicit topology keeps file order and per-link overrides", "[spec]") {
  const auto g = build_graph(load_topology(config_path("explicit_dumbbell.json")));
  CHECK(g.switch_count == 2);
  CHECK(g.endpoint_count == 4);
  CHECK(g.link_count() == 5);
  CHECK(g.attachment(2).switch_id == 1);
  CHECK(g.link_classes.size() == 2);
  const std::uint32_t bottleneck = g.port_begin[0] + 2;  // left's third port
  CHECK(g.neighbor(0, 2) == 1);
  CHECK(g.link_of_port(bottleneck).rate_bps == 40'000'000'000ULL);
  CHECK(g.link_of_port(bottleneck).delay == sim::Time::us(5));
}

TEST_CASE("spec defaults flow into the graph and resolve to JSON", "[spec]") {
  const auto spec = load_topology(config_path("fat_tree_k16.json"));
  CHECK(spec.switch_params.pfc.enabled);
  CHECK(spec.link.mtu_bytes == 4096);
  const auto g = build_graph(spec);
  CHECK(g.name == "fat_tree_k16");
  CHECK(g.switch_params.buffer_bytes == 32ULL << 20);
  const auto resolved = topology_to_json(spec);
  CHECK(resolved["switch"]["ecn"]["kmin"] == "100KB");
  CHECK(resolved["switch"]["ecn"]["mark"] == "dequeue");
  CHECK(resolved["nic"]["ack_timeout"] == 20);
  CHECK(resolved["nic"]["retry_count"] == 7);
  const auto again = parse_topology(resolved, "config.json");
  CHECK(topology_to_json(again) == resolved);
  CHECK(build_graph(again).link_count() == g.link_count());
}
