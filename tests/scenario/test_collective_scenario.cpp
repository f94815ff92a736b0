// The collective workload of a scenario: results entries, iterations, the trace of its steps,
// and clear errors for bad collective settings.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

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
