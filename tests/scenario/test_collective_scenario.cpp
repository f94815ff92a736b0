// The collective workload of a scenario: results entries, iterations, the trace of its steps,
// and clear errors for bad collective settings.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "scenario/collective_workload.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"
#include "workloads/metrics.hpp"

using namespace fabricsim;

namespace {

nlohmann::json small_collective() {
  return nlohmann::json::parse(R"({
    "name": "small_collective",
    "topology": { "kind": "fat_tree", "tiers": 2, "radix": 8, "hosts": 32,
                  "link": { "rate": "100Gbps", "delay": "1us" } },
    "workload": { "kind": "collective", "op": "allreduce", "algorithm": "ring",
                  "size": "96KiB", "ranks": [0, 5, 9, 30], "iterations": 3, "channels": 2 } })");
}

scenario::Results run(const nlohmann::json& doc, const scenario::RunOptions& options = {}) {
  return scenario::run_scenario(scenario::parse_scenario(doc, "test.json", "."), options);
}

}  // namespace

TEST_CASE("a collective scenario reports one entry per iteration with nccl-tests bandwidths",
          "[collective]") {
  const auto r = run(small_collective());
  REQUIRE(r.completed);
  REQUIRE(r.collectives.size() == 3);
  for (const auto& c : r.collectives) {
    CHECK(c.op == "allreduce");
    CHECK(c.algorithm == "ring");
    CHECK(c.bytes == 96 * 1024);
    CHECK(c.ranks == 4);
    const double seconds = static_cast<double>(c.time_ps) * 1e-12;
    CHECK(c.algbw_GBps == Approx(96.0 * 1024 / seconds / 1e9));
    CHECK(c.busbw_GBps == Approx(c.algbw_GBps * 2 * 3 / 4));
  }
  // Back to back, each iteration paying the launch latency again: the run ends with the last.
  CHECK(r.sim_time_ps == 3 * r.collectives[0].time_ps);
  CHECK(r.flows.count == 0);
  CHECK(r.flows.completed == 0);
}

TEST_CASE("the launch latency is paid once per iteration", "[collective]") {
  auto doc = small_collective();
  doc["workload"]["iterations"] = 1;
  const auto base = run(doc);
  doc["models"]["gpu"]["launch_latency"] = "25us";
  const auto slow = run(doc);
  CHECK(slow.collectives[0].time_ps - base.collectives[0].time_ps == 20'000'000);
}

TEST_CASE("trace.json holds the iterations and every op of every traced rank", "[collective]") {
  auto doc = small_collective();
  doc["outputs"]["trace"] = true;
  const auto dir = std::filesystem::temp_directory_path() / "fabricsim_collective_trace";
  std::filesystem::remove_all(dir);
  scenario::RunOptions options;
  options.out_dir = dir.string();
  run(doc, options);
  std::ifstream in(dir / "trace.json");
  const auto trace = nlohmann::json::parse(in);
  const auto& events = trace.is_object() ? trace["traceEvents"] : trace;
  int iterations = 0;
  std::map<int, int> ops_per_rank;
  for (const auto& e : events) {
    if (e["ph"] != "X") continue;
    if (e["pid"] == 2) {
      ++iterations;
    } else {
      ++ops_per_rank[e["pid"].get<int>() - 3];
    }
  }
  CHECK(iterations == 3);
  REQUIRE(ops_per_rank.size() == 4);
  // A ring all-reduce on n = 4 ranks receives 2(n-1) times per channel: 2 channels here.
  for (const auto& [rank, ops] : ops_per_rank) {
    INFO("rank " << rank);
    CHECK(ops >= 2 * 2 * 3);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("bad collective settings name the scenario path and the value", "[collective]") {
  struct Case {
    const char* key;
    nlohmann::json value;
    const char* message;
  };
  const Case cases[] = {
      {"ranks", nlohmann::json::array({0, 32}), "/workload/ranks/1: 32"},
      {"ranks", nlohmann::json::array({3, 3}), "/workload/ranks/1: 3: expected each GPU once"},
      {"algorithm", "zigzag", "unknown algorithm 'zigzag'"},
      {"op", "allsum", "/workload/op"},
      {"size", "10", "/workload/size: 10: expected a multiple of 4 bytes"},
      {"channels", 0, "/workload/channels"},
      {"iterations", 0, "/workload/iterations"},
      {"slice", "1 parsec", "/workload/slice"},
  };
  for (const auto& c : cases) {
    auto doc = small_collective();
    doc["workload"][c.key] = c.value;
    INFO(c.key << " = " << c.value.dump());
    CHECK_THROWS_WITH(run(doc), Catch::Contains(c.message) && Catch::Contains("test.json"));
  }
}

namespace {

nlohmann::json small_training_step() {
  return nlohmann::json::parse(R"({
    "name": "step",
    "topology": { "kind": "fat_tree", "tiers": 2, "radix": 8, "hosts": 32,
                  "link": { "rate": "100Gbps", "delay": "1us" } },
    "workload": { "kind": "training_step",
      "groups": { "tp": { "size": 4 }, "dp": { "size": 8, "stride": 4 },
                  "pair": [[0, 31], [5, 6]] },
      "phases": [
        { "name": "fwd", "compute": "100us" },
        { "name": "tp", "group": "tp",
          "collective": { "op": "allreduce", "algorithm": "ring", "size": "64KiB" } },
        { "name": "bwd", "compute": "200us" },
        { "name": "tp2", "group": "tp",
          "collective": { "op": "allreduce", "algorithm": "ring", "size": "64KiB" } },
        { "name": "dp", "group": "dp", "after": ["bwd"],
          "collective": { "op": "allreduce", "algorithm": "ring", "size": "256KiB" } },
        { "name": "p2p", "group": "pair", "after": [],
          "collective": { "op": "sendrecv", "algorithm": "direct", "size": "1MiB" } } ] } })");
}

}  // namespace

TEST_CASE("a training step runs its phases in dependency order on every group", "[training_step]") {
  const auto r = run(small_training_step());
  REQUIRE(r.completed);
  REQUIRE(r.phases.size() == 6);
  const auto& fwd = r.phases[0];
  const auto& tp = r.phases[1];
  const auto& bwd = r.phases[2];
  const auto& tp2 = r.phases[3];
  const auto& dp = r.phases[4];
  const auto& p2p = r.phases[5];
  CHECK(fwd.start_ps == 0);
  CHECK(fwd.end_ps == 100'000'000);
  CHECK(tp.start_ps == fwd.end_ps);
  CHECK(tp.groups == 8);  // 32 GPUs in blocks of 4
  CHECK(bwd.start_ps == tp.end_ps);
  CHECK(bwd.end_ps - bwd.start_ps == 200'000'000);
  CHECK(tp2.start_ps == bwd.end_ps);
  CHECK(dp.start_ps == bwd.end_ps);  // overlaps tp2
  CHECK(dp.groups == 4);             // 4 strided groups of 8
  CHECK(p2p.start_ps == 0);          // no predecessor: runs beside the forward pass
  CHECK(p2p.groups == 2);
  CHECK(r.sim_time_ps == std::max({tp2.end_ps, dp.end_ps, p2p.end_ps}));
  REQUIRE(r.collectives.size() == 4);
  CHECK(r.collectives[0].phase == "tp");
  CHECK(r.collectives[0].time_ps == tp.end_ps - tp.start_ps);
  CHECK(r.collectives[0].ranks == 4);
  CHECK(r.collectives[2].phase == "dp");
  CHECK(r.collectives[2].ranks == 8);
  const auto doc = scenario::to_json(r);
  CHECK(doc["training_step"]["time_ps"] == r.sim_time_ps);
  CHECK(doc["collectives"][2]["groups"] == 4);
}

TEST_CASE("bad training steps name the scenario path", "[training_step]") {
  struct Case {
    const char* pointer;
    nlohmann::json value;
    const char* message;
  };
  const Case cases[] = {
      {"/workload/groups/dp/stride", 3, "/workload/groups/dp"},
      {"/workload/groups/pair/1/1", 0, "/workload/groups/pair/1/1: 0: each GPU in one group"},
      {"/workload/phases/1/group", "pp", "/workload/phases/1/group: \"pp\""},
      {"/workload/phases/4/after/0", "later", "/workload/phases/4/after/0"},
      {"/workload/phases/0/collective", nlohmann::json::object(), "/workload/phases/0"},
      {"/workload/phases/2/name", "fwd", "/workload/phases/2/name: \"fwd\""},
      {"/workload/phases", nlohmann::json::array(), "/workload/phases"},
  };
  for (const auto& c : cases) {
    auto doc = small_training_step();
    doc[nlohmann::json::json_pointer(c.pointer)] = c.value;
    INFO(c.pointer << " = " << c.value.dump());
    CHECK_THROWS_WITH(run(doc), Catch::Contains(c.message) && Catch::Contains("test.json"));
  }
}

TEST_CASE("hierarchical algorithms find the nodes of an explicit rank list", "[collective]") {
  topologies::TopologySpec rail;
  rail.kind = topologies::TopologyKind::kRailOptimized;
  rail.rail.gpus_per_node = 8;
  scenario::CollectiveSpec c;
  CHECK(scenario::ranks_per_node(rail, c, 64) == 8);
  c.ranks = {8, 9, 10, 11, 24, 25, 26, 27};  // half of node 1, half of node 3
  CHECK(scenario::ranks_per_node(rail, c, 8) == 4);
  c.ranks = {0, 8, 16, 24};  // one GPU per node
  CHECK(scenario::ranks_per_node(rail, c, 4) == 1);
  c.ranks = {0, 1, 8, 16};  // uneven blocks
  CHECK(scenario::ranks_per_node(rail, c, 4) == 1);
  topologies::TopologySpec fat;
  c.ranks.clear();
  CHECK(scenario::ranks_per_node(fat, c, 64) == 1);
}

TEST_CASE("nvls algorithms run where NVLink has in-switch reduction and are refused elsewhere",
          "[collective][nvls]") {
  // Two nodes of 8 GPUs; NVLink without simulated switches: the fluid model (any GPUs of a node).
  auto doc = nlohmann::json::parse(R"({
    "name": "nvls_rail16",
    "topology": { "kind": "rail_optimized", "nodes": 2, "gpus_per_node": 8, "rails": 8,
                  "tiers": 2, "radix": 16, "link": { "rate": "400Gbps", "delay": "600ns" },
                  "nvlink": { "bandwidth": "900GBps", "links": 18, "latency": "150ns" } },
    "workload": { "kind": "collective", "op": "allreduce", "algorithm": "nvls_ring",
                  "size": "4MiB" } })");
  const auto ring = run(doc);
  REQUIRE(ring.completed);
  CHECK(ring.collectives[0].algorithm == "nvls_ring");
  doc["workload"]["algorithm"] = "hierarchical";
  const auto hierarchical = run(doc);
  // Same rail rings; inside the node one in-switch step replaces 7 ring steps of the
  // reduce-scatter (the all-gather stays).
  CHECK(ring.collectives[0].time_ps < hierarchical.collectives[0].time_ps);
  // One node's GPUs: nvls alone.
  doc["workload"]["algorithm"] = "nvls";
  doc["workload"]["ranks"] = {8, 9, 10, 11, 12, 13, 14, 15};
  const auto one_node = run(doc);
  REQUIRE(one_node.completed);
  // Across nodes the in-switch all-reduce has no switch: a clear error naming the setting.
  doc["workload"]["ranks"] = {0, 1, 8, 9};
  CHECK_THROWS_WITH(run(doc), Catch::Contains("test.json: /workload/algorithm") &&
                                  Catch::Contains("nvls all-reduce needs in-switch reduction") &&
                                  Catch::Contains("GPUs 0 and 8 are not in one NVLink domain"));
  // A fat-tree has no NVLink at all.
  auto fat = small_collective();
  fat["workload"]["algorithm"] = "nvls";
  CHECK_THROWS_WITH(run(fat),
                    Catch::Contains("/workload/algorithm") && Catch::Contains("no NVLink domain"));
}
