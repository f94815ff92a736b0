// Tests of topologies/fabric_builder: the Fabric mirrors the graph (nodes, links, attachments,
// edge indexes) and packets actually cross the built fat-tree in the analytical time.
#include <algorithm>
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sim/simulator.hpp"
#include "topologies/fabric_builder.hpp"

using namespace fabricsim;
using namespace fabricsim::topologies;
using namespace fabricsim::topologies::testing;

TEST_CASE("build_fabric mirrors the graph and the routes", "[fabric_builder]") {
  const auto g = build_graph(load_topology(config_path("fat_tree_k16.json")));
  const auto r = compute_routes(g);
  sim::Simulator sim;
  const auto fabric = build_fabric(g, r, sim);
  CHECK(fabric->switch_count() == 320);
  CHECK(fabric->nic_count() == 1024);
  CHECK(fabric->link_count() == g.link_count());
  REQUIRE(fabric->attachments().size() == 1024);
  for (std::uint32_t e = 0; e < 1024; ++e) {
    const auto& at = fabric->attachments()[e];
    REQUIRE(at.edge_switch == g.attachment(e).switch_id);
    REQUIRE(at.port == g.attachment(e).local_port);
    REQUIRE(at.edge_index == r.edge_index_of_switch[at.edge_switch]);
  }
  CHECK(fabric->edge_switches() == r.edge_switches);
}

TEST_CASE("a message crosses the 128-host fat-tree in the analytical time", "[fabric_builder]") {
  const auto spec = load_topology(config_path("fat_tree_128.json"));
  const auto g = build_graph(spec);
  const auto r = compute_routes(g);
  sim::Simulator sim;
  const auto fabric = build_fabric(g, r, sim);
  const std::uint64_t bytes = 1'000'000;
  fabric->send_message(0, 127, bytes, 0, 1);  // different leaves: 4 links
  sim.run();
  REQUIRE(fabric->flows().size() == 1);
  const auto& flow = fabric->flows()[0];
  CHECK(flow.src == 0);
  CHECK(flow.dst == 127);
  const double fct_us = (flow.end - flow.start).microseconds();
  // Lower bound: payload at 100 Gb/s (80 us) plus four 1 us links; headers, switch latency,
  // the ACK's way back and store-and-forward add a few microseconds more.
  CHECK(fct_us > 84.0);
  CHECK(fct_us < 100.0);
  const auto counters = fabric->counters();
  CHECK(counters.drops == 0);
  CHECK(counters.bytes_delivered == bytes);
  // Every data packet traverses 4 links: at least 4 x ceil(1e6 / 4096) data hops.
  CHECK(counters.packet_hops >= 4 * 245);
}

TEST_CASE("multi-plane fabrics of RoCE NICs are refused by build_fabric with a clear message",
          "[fabric_builder]") {
  const auto g = build_graph(load_topology(config_path("rail_optimized_2plane.json")));
  sim::Simulator sim;
  CHECK_THROWS_WITH(build_fabric(g, compute_routes(g), sim),
                    Catch::Contains("NIC 0 has 2 ports") && Catch::Contains("nic.transport"));
  auto spec = load_topology(config_path("mrc_1024.json"));
  spec.gpu_params.pcie_rate_bps = 64'000'000'000ULL * 8;
  const auto pcie = build_graph(spec);
  CHECK_THROWS_WITH(build_fabric(pcie, compute_routes(pcie), sim),
                    Catch::Contains("gpu.pcie_rate must be 0"));
}

TEST_CASE("an 8-plane fabric: one NIC port per plane, each plane its own Clos and attachments",
          "[fabric_builder]") {
  const auto spec = parse_text(R"({"kind": "fat_tree", "tiers": 2, "radix": 8, "planes": 4,
                              "nic": {"transport": "mrc"}})");
  const auto g = build_graph(spec);
  CHECK(g.switch_count == 4 * 12);  // a plane: 8 leaves, 4 spines
  CHECK(g.nic_port_count(0) == 4);
  const auto r = compute_routes(g);
  sim::Simulator sim;
  const auto fabric = build_fabric(g, r, sim);
  REQUIRE(fabric->plane_count() == 4);
  for (std::uint32_t e = 0; e < g.endpoint_count; ++e) {
    REQUIRE(fabric->nic(e).port_count() == 4);
    for (std::uint8_t q = 0; q < 4; ++q) {
      const auto& at = fabric->attachments(q)[e];
      REQUIRE(at.edge_switch == g.attachment(e, q).switch_id);
      REQUIRE(fabric->switch_plane(at.edge_switch) == q);
      REQUIRE(at.port == g.attachment(e, q).local_port);
      REQUIRE(at.edge_index == r.edge_index_of_switch[at.edge_switch]);
    }
  }
  // A message from NIC 0 to NIC 31 crosses every plane, and nothing leaks between planes.
  fabric->send_message(0, 31, 1'000'000, 0, 1);
  sim.run();
  const auto c = fabric->counters();
  CHECK(c.bytes_delivered == 1'000'000);
  CHECK(c.drops == 0);
  for (std::uint8_t q = 0; q < 4; ++q)
    CHECK(fabric->nic(0).port_at(q).tx_bytes() > 200'000);
}

TEST_CASE(
    "entropy routing: structured EVs take every uplink of a leaf equally, and the spine "
    "the parallel links below it",
    "[fabric_builder]") {
  // A 2-tier Clos whose 8 leaves have 2 links to each of 4 spines.
  const auto spec = parse_text(R"({"kind": "fat_tree", "tiers": 2, "radix": 16, "hosts": 64,
                              "switch": {"routing": "entropy", "pfc": {"enabled": false}},
                              "nic": {"transport": "mrc", "cc": {"algorithm": "none"},
                                      "mrc": {"evs": 16, "paths": "structured"}}})");
  const auto g = build_graph(spec);
  const auto r = compute_routes(g);
  sim::Simulator sim;
  const auto fabric = build_fabric(g, r, sim);
  // One flow from leaf 0 to leaf 7: 16 EVs over 8 uplinks (2 each), then 2 links down per spine.
  fabric->send_message(0, 63, 16 * 100 * 4096, 0, 1);
  sim.run();
  const std::uint32_t leaf0 = g.attachment(0).switch_id;
  std::vector<std::uint64_t> up;
  for (std::uint32_t p = 0; p < g.degree(leaf0); ++p) {
    if (g.is_switch(g.neighbor(leaf0, p)))
      up.push_back(fabric->switch_at(leaf0).port(static_cast<std::uint16_t>(p)).tx_bytes());
  }
  REQUIRE(up.size() == 8);
  for (const std::uint64_t b : up)
    CHECK(b == up.front());  // 200 packets each
  const std::uint32_t leaf7 = g.attachment(63).switch_id;
  std::vector<std::uint64_t> down;
  for (std::uint32_t s = 0; s < g.switch_count; ++s) {
    if (g.switch_tier[s] != 1) continue;
    for (std::uint32_t p = 0; p < g.degree(s); ++p) {
      if (g.neighbor(s, p) == leaf7)
        down.push_back(fabric->switch_at(s).port(static_cast<std::uint16_t>(p)).tx_bytes());
    }
  }
  REQUIRE(down.size() == 8);
  for (const std::uint64_t b : down)
    CHECK(b == down.front());
}

TEST_CASE("endpoint_components tells the disconnected parts of a network", "[graph]") {
  const auto two = fabricsim::topologies::testing::parse_text(R"({"kind": "explicit",
      "switches": [{"name": "s0"}, {"name": "s1"}, {"name": "s2"}],
      "hosts": [{"name": "h0"}, {"name": "h1"}, {"name": "h2"}, {"name": "h3"}],
      "links": [{"a": "h0", "b": "s1"}, {"a": "h1", "b": "s0"}, {"a": "h2", "b": "s2"},
                {"a": "s0", "b": "s2"}, {"a": "h3", "b": "s1"}]})");
  const auto parts = fabricsim::topologies::endpoint_components(build_graph(two));
  CHECK(parts == std::vector<std::uint32_t>{0, 1, 1, 0});
  const auto one =
      build_graph(load_topology(fabricsim::topologies::testing::config_path("fat_tree_128.json")));
  const auto all = fabricsim::topologies::endpoint_components(one);
  CHECK(std::all_of(all.begin(), all.end(), [](std::uint32_t p) { return p == 0; }));
}

TEST_CASE("nscc's auto base RTT is the topology's longest, and a message crosses under it",
          "[fabric_builder]") {
  auto g = build_graph(load_topology(config_path("fat_tree_128.json")));
  g.nic_params.cc.algorithm = models::CcAlgorithm::kNscc;
  REQUIRE(g.nic_params.cc.nscc.base_rtt == sim::Time::zero());
  const auto r = compute_routes(g);
  sim::Simulator sim;
  const auto fabric = build_fabric(g, r, sim);
  CHECK(fabric->nic(0).params().cc.nscc.base_rtt == longest_base_rtt(g, r));
  CHECK(fabric->nic(127).params().cc.nscc.base_rtt > sim::Time::zero());
  // Alone on the fabric NSCC starts at 1.5 BDP of the longest path: the same time as above.
  fabric->send_message(0, 127, 1'000'000, 0, 1);
  sim.run();
  REQUIRE(fabric->flows().size() == 1);
  const double fct_us = (fabric->flows()[0].end - fabric->flows()[0].start).microseconds();
  CHECK(fct_us > 84.0);
  CHECK(fct_us < 100.0);
  CHECK(fabric->counters().drops == 0);
}
