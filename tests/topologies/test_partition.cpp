// Tests topologies/partition.hpp with build_fabric over a ParallelEngine: hosts stay with their
// edge switch (a host link, shorter than the lookahead, is never cut), pods stay whole when the
// counts allow, every cut link is at least the lookahead long, and ids match a single build.
#include <catch2/catch.hpp>

#include "models/fabric.hpp"
#include "sim/parallel.hpp"
#include "tests/topologies/helpers.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/partition.hpp"

using namespace fabricsim;
using namespace fabricsim::topologies;

namespace {
// k=8 3-tier fat-tree (128 hosts, 8 pods): 10 ns host links, 500 ns leaf-spine, 1 us core.
const char* kFatTree = R"({
  "kind": "fat_tree", "tiers": 3, "radix": 8,
  "link": { "rate": "100Gbps", "delay": "1us" },
  "tier_links": { "host": { "delay": "10ns" }, "leaf_spine": { "delay": "500ns" },
                  "spine_core": { "delay": "1us" } } })";
}  // namespace

TEST_CASE("partitions keep hosts with their edge switch and cut only links >= the lookahead",
          "[partition]") {
  const auto g = build_graph(testing::parse_text(kFatTree));
  const auto routes = compute_routes(g);
  for (const std::uint32_t parts : {2U, 3U, 4U}) {
    CAPTURE(parts);
    const Partitioning p = partition_graph(g, parts);
    sim::ParallelEngine engine(parts, 1);
    const auto fabric = build_fabric(g, routes, engine, p);
    REQUIRE(fabric->cut_links() > 0);
    const sim::Time lookahead = engine.lookahead();
    CHECK(lookahead >= sim::Time::ps(500'000));
    std::uint64_t cut = 0;
    for (std::uint32_t port = 0; port < g.port_count(); ++port) {
      const std::uint32_t q = g.peer_port[port];
      if (q == NetworkGraph::kNoPort || q < port) continue;
      const std::uint32_t a = g.port_node[port];
      const std::uint32_t b = g.port_node[q];
      auto part = [&](std::uint32_t n) {
        return g.is_switch(n) ? p.switch_part[n] : p.nic_part[n - g.switch_count];
      };
      if (part(a) == part(b)) continue;
      ++cut;
      CHECK(g.is_switch(a));  // never a host link
      CHECK(g.is_switch(b));
      CHECK(g.link_of_port(port).delay >= lookahead);
    }
    CHECK(cut == fabric->cut_links());
    // Every partition has hosts.
    std::vector<int> hosts(parts, 0);
    for (const std::uint32_t n : p.nic_part)
      ++hosts[n];
    for (const int h : hosts)
      CHECK(h > 0);
  }
  // 2 and 4 partitions hold whole pods: only core links are cut, the lookahead is 1 us.
  for (const std::uint32_t parts : {2U, 4U}) {
    sim::ParallelEngine engine(parts, 1);
    build_fabric(g, routes, engine, partition_graph(g, parts));
    CHECK(engine.lookahead() == sim::Time::ps(1'000'000));
  }
}

TEST_CASE("a partitioned fabric has the component ids of a single one", "[partition]") {
  const auto g = build_graph(testing::parse_text(kFatTree));
  const auto routes = compute_routes(g);
  sim::Simulator single(1);
  const auto one = build_fabric(g, routes, single);
  sim::ParallelEngine engine(3, 1);
  const auto split = build_fabric(g, routes, engine, partition_graph(g, 3));
  CHECK(engine.simulator(0).component_count() == single.component_count());
  for (std::uint32_t s = 0; s < g.switch_count; ++s) {
    CHECK(split->switch_at(s).component_id() == one->switch_at(s).component_id());
    CHECK(&split->switch_at(s).simulator() == &engine.simulator(split->switch_partition(s)));
  }
  for (std::uint32_t e = 0; e < g.endpoint_count; ++e)
    CHECK(split->nic(e).component_id() == one->nic(e).component_id());
}

TEST_CASE("a rail-optimized fabric keeps each node's GPUs and its rail group together",
          "[partition]") {
  const auto g = build_graph(load_topology(testing::config_path("rail_optimized_1024.json")));
  const Partitioning p = partition_graph(g, 2);
  for (std::uint32_t e = 0; e < g.endpoint_count; ++e) {
    CHECK(p.nic_part[e] == p.nic_part[e - e % 8]);  // 8 GPUs per node
    CHECK(p.nic_part[e] == (e < 512 ? 0U : 1U));    // 4 rail groups of 32 nodes
  }
}
