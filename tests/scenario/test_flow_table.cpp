// Tests of scenario/flow_table: the ideal FCT equals the simulated FCT of a flow alone (store
// and forward, cut-through, a slower bottleneck, three tiers), per-flow retransmitted bytes,
// nearest-rank slowdown percentiles by size bin, flows.csv, and the outputs.flows checks.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "scenario/flow_table.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"

using namespace fabricsim;
using nlohmann::json;

namespace {

// Four hosts on two switches joined by one link of `middle` rate: h0, h1 on s0; h2, h3 on s1.
json dumbbell(const std::string& middle, const std::string& forwarding) {
  json doc = json::parse(R"({
    "name": "ft", "seed": 5,
    "topology": {"kind": "explicit",
      "switches": [{"name": "s0"}, {"name": "s1"}],
      "hosts": [{"name": "h0"}, {"name": "h1"}, {"name": "h2"}, {"name": "h3"}],
      "links": [{"a": "h0", "b": "s0"}, {"a": "h1", "b": "s0"}, {"a": "h2", "b": "s1"},
                {"a": "h3", "b": "s1"}, {"a": "s0", "b": "s1"}]},
    "models": {"nic": {"cc": {"algorithm": "none"}}},
    "workload": {"kind": "flows", "flows": []},
    "outputs": {"flows": true}
  })");
  doc["topology"]["links"][4]["rate"] = middle;
  doc["topology"]["links"][4]["delay"] = "3us";
  doc["models"]["switch"]["forwarding"] = forwarding;
  return doc;
}

scenario::Results run(const json& doc) {
  return scenario::run_scenario(scenario::parse_scenario(doc, "ft.json", "."));
}

}  // namespace

TEST_CASE("flow table: a flow alone has slowdown 1, its ideal FCT is the simulated one",
          "[scenario][flows]") {
  for (const char* forwarding : {"store_and_forward", "cut_through"}) {
    for (const char* middle : {"100Gbps", "40Gbps"}) {
      for (const std::uint64_t bytes : {1ULL, 4095ULL, 4096ULL, 100'000ULL, 3'000'001ULL}) {
        INFO(forwarding << ", middle link " << middle << ", " << bytes << " B");
        json doc = dumbbell(middle, forwarding);
        // One at a time, far apart: each has the fabric to itself.
        doc["workload"]["flows"] =
            json::array({{{"src", 0}, {"dst", 2}, {"size", bytes}},
                         {{"src", 3}, {"dst", 1}, {"size", bytes}, {"start", "10ms"}},
                         {{"src", 1}, {"dst", 0}, {"size", bytes}, {"start", "20ms"}}});
        const auto r = run(doc);
        REQUIRE(r.flow_rows.size() == 3);
        for (const auto& row : r.flow_rows) {
          CHECK(row.finish_ps - row.start_ps == row.ideal_ps);
          CHECK(row.slowdown() == 1.0);
          CHECK(row.retransmitted_bytes == 0);
        }
        // Same switch (two links) is quicker than across the middle link (three).
        CHECK(r.flow_rows[2].ideal_ps < r.flow_rows[0].ideal_ps);
      }
    }
  }
}

TEST_CASE("flow table: two flows sharing the bottleneck are slowed, ids in start order",
          "[scenario][flows]") {
  json doc = dumbbell("100Gbps", "store_and_forward");
  doc["workload"]["flows"] =
      json::array({{{"src", 1}, {"dst", 3}, {"size", "2MB"}, {"start", "1us"}},
                   {{"src", 0}, {"dst", 2}, {"size", "2MB"}}});
  const auto r = run(doc);
  REQUIRE(r.flow_rows.size() == 2);
  CHECK(r.flow_rows[0].id == 0);
  CHECK(r.flow_rows[0].src == 0);  // started first, so id 0
  CHECK(r.flow_rows[1].src == 1);
  for (const auto& row : r.flow_rows) {
    CHECK(row.slowdown() > 1.5);  // half the middle link each, most of the time
    CHECK(row.slowdown() < 2.2);
  }
  const auto& all = r.flows.slowdown_by_size.back();
  CHECK(all.count == 2);
  CHECK(all.max == std::max(r.flow_rows[0].slowdown(), r.flow_rows[1].slowdown()));
}

TEST_CASE("flow table: a lossy link shows up as each flow's retransmitted bytes",
          "[scenario][flows]") {
  json doc = dumbbell("100Gbps", "store_and_forward");
  doc["topology"]["links"][4]["loss_rate"] = 0.01;
  doc["models"]["nic"]["rto"] = "100us";
  doc["workload"]["flows"] = json::array({{{"src", 0}, {"dst", 2}, {"size", 256 * 4096}},
                                          {{"src", 3}, {"dst", 1}, {"size", 256 * 4096}}});
  const auto r = run(doc);
  REQUIRE(r.completed);
  REQUIRE(r.fabric.retransmissions > 0);
  std::uint64_t retransmitted = 0;
  for (const auto& row : r.flow_rows) {
    CHECK(row.retransmitted_bytes % 4096 == 0);  // whole packets of whole-MTU flows
    if (row.retransmitted_bytes > 0) CHECK(row.slowdown() > 1.0);
    retransmitted += row.retransmitted_bytes;
  }
  CHECK(retransmitted == r.fabric.retransmissions * 4096);
}

TEST_CASE("flow table: nearest-rank percentiles in decade bins, every flow last",
          "[scenario][flows]") {
  std::vector<scenario::FlowRow> rows;
  // 100 flows of 5 KB with slowdowns 1.01 ... 2.00, one of 20 MB with slowdown 3.
  for (int k = 1; k <= 100; ++k) {
    rows.push_back({static_cast<std::uint64_t>(k), 0, 1, 5000, 0, 100 + k, 100, 0});
  }
  rows.push_back({101, 0, 1, 20'000'000, 0, 300, 100, 0});
  const auto bins = scenario::slowdown_by_size(rows);
  REQUIRE(bins.size() == 6);
  CHECK(bins[0].min_bytes == 0);
  CHECK(bins[0].max_bytes == 10'000);
  CHECK(bins[0].count == 100);
  CHECK(bins[0].p50 == 1.5);   // the 50th of 100
  CHECK(bins[0].p95 == 1.95);  // the 95th
  CHECK(bins[0].p99 == 1.99);
  CHECK(bins[0].max == 2.0);
  CHECK(bins[0].mean == Approx(1.505));
  for (int b = 1; b <= 3; ++b)
    CHECK(bins[static_cast<std::size_t>(b)].count == 0);
  CHECK(bins[4].min_bytes == 10'000'000);
  CHECK(bins[4].max_bytes == 0);  // no upper bound
  CHECK(bins[4].count == 1);
  CHECK(bins[4].p50 == 3.0);
  CHECK(bins[5].count == 101);  // every flow
  CHECK(bins[5].max == 3.0);
  CHECK(bins[5].p99 == 2.0);  // rank ceil(0.99 x 101) = 100
}

TEST_CASE("flow table: flows.csv has a header and one row per completed flow",
          "[scenario][flows]") {
  json doc = dumbbell("100Gbps", "store_and_forward");
  doc["workload"]["flows"] = json::array(
      {{{"src", 0}, {"dst", 2}, {"size", "64KB"}}, {{"src", 1}, {"dst", 3}, {"size", "1MB"}}});
  const auto dir = std::filesystem::temp_directory_path() / "fabricsim_test_flow_table";
  std::filesystem::remove_all(dir);
  scenario::RunOptions options;
  options.out_dir = dir.string();
  (void)scenario::run_scenario(scenario::parse_scenario(doc, "ft.json", "."), options);
  std::ifstream in(dir / "flows.csv");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] ==
        "id,src,dst,size_bytes,start_ps,finish_ps,fct_ps,ideal_fct_ps,slowdown,"
        "retransmitted_bytes");
  CHECK(lines[1].rfind("0,0,2,64000,0,", 0) == 0);
  CHECK(lines[2].rfind("1,1,3,1000000,0,", 0) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("flow table: outputs.flows is refused for a collective and must be a flag",
          "[scenario][flows]") {
  json doc = dumbbell("100Gbps", "store_and_forward");
  doc["workload"] = json::parse(R"({"kind": "collective", "op": "allreduce", "size": "64KiB"})");
  CHECK_THROWS_WITH(scenario::parse_scenario(doc, "ft.json", "."),
                    Catch::Contains("ft.json: /outputs/flows: true") &&
                        Catch::Contains("traffic and flows workloads only"));
  doc = dumbbell("100Gbps", "store_and_forward");
  doc["workload"]["flows"] = json::array({{{"src", 0}, {"dst", 2}, {"size", "64KB"}}});
  doc["outputs"]["flows"] = "yes";
  CHECK_THROWS_WITH(scenario::parse_scenario(doc, "ft.json", "."),
                    Catch::Contains("/outputs/flows: \"yes\": expected true or false"));
}
