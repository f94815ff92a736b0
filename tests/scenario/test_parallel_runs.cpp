// Parallel runs (RunOptions::threads): the shipped traffic scenarios give the same results,
// field for field (measured wall times and memory aside), for 1, 2, 3 and 4 threads; what
// parallel runs do not take yet is refused with a clear message.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"

using namespace fabricsim;

namespace {
std::string scenario_path(const std::string& name) {
  return std::string(FABRICSIM_SOURCE_DIR) + "/configs/scenarios/" + name;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `s` with 1 thread, then 2, 3, 4: the same results and the same time-series CSV files.
scenario::Results check_same_for_threads(scenario::Scenario s) {
  const auto base =
      std::filesystem::temp_directory_path() / ("fabricsim_parallel_" + std::to_string(::getpid()));
  scenario::RunOptions one;
  one.out_dir = (base / "1").string();
  const auto reference = scenario::run_scenario(s, one);
  REQUIRE(reference.completed);
  const auto expected = scenario::to_json(reference, false);
  for (const unsigned threads : {2U, 3U, 4U}) {
    CAPTURE(threads);
    scenario::RunOptions options;
    options.threads = threads;
    options.out_dir = (base / std::to_string(threads)).string();
    CHECK(scenario::to_json(scenario::run_scenario(s, options), false) == expected);
    for (const char* csv : {"timeseries.csv", "timeseries_ports.csv", "timeseries_qps.csv"}) {
      CAPTURE(csv);
      CHECK(std::filesystem::exists(base / "1" / csv) ==
            std::filesystem::exists(base / std::to_string(threads) / csv));
      if (std::filesystem::exists(base / "1" / csv)) {
        CHECK(read_file(base / "1" / csv) == read_file(base / std::to_string(threads) / csv));
      }
    }
  }
  std::filesystem::remove_all(base);
  return reference;
}
}  // namespace

TEST_CASE("perm_1024_dcqcn: identical results for 1 to 4 threads", "[parallel]") {
  // 512 KB flows instead of 2 MB keep it short; the fabric and the traffic are the scenario's.
  check_same_for_threads(
      scenario::load_scenario(scenario_path("perm_1024_dcqcn.json"), {"workload.flow_size=512KB"}));
}

TEST_CASE(
    "incast_16to1_pfc (PAUSE frames across partitions): identical results for 1 to 4 "
    "threads",
    "[parallel]") {
  // The receiver in the fabric's other half: PAUSE frames cross the cut core links.
  auto s = scenario::load_scenario(scenario_path("incast_16to1_pfc.json"),
                                   {"workload.flow_size=512KB", "workload.receiver=100"});
  const auto r = check_same_for_threads(s);
  CHECK(r.fabric.pfc_pause_frames > 0);
  // Every time series of the scenario, per port and per QP too.
  s.outputs.qps = true;
  s.outputs.metrics = {"queue_bytes",      "link_utilization", "pfc_paused",
                       "pfc_pause_frames", "ecn_marks",        "drops",
                       "qp_rate"};
  check_same_for_threads(s);
}

TEST_CASE(
    "flows, uniform traffic and an InfiniBand fabric (credits across partitions): "
    "identical results for 1 to 4 threads",
    "[parallel]") {
  for (const char* name : {"flows_dumbbell.json", "hadoop_uniform.json"}) {
    CAPTURE(name);
    check_same_for_threads(scenario::load_scenario(scenario_path(name)));
  }
  auto ib = scenario::load_scenario(scenario_path("perm_1024_dcqcn.json"),
                                    {"topology=../topologies/ib_rail_optimized_1024.json",
                                     "models.nic.cc.algorithm=ib", "workload.flow_size=256KB"});
  check_same_for_threads(ib);
}

TEST_CASE("parallel runs refuse what they do not take yet, naming it", "[parallel]") {
  scenario::RunOptions options;
  options.threads = 2;
  const auto collective = scenario::load_scenario(scenario_path("allreduce_ring_1024.json"));
  CHECK_THROWS_WITH(scenario::run_scenario(collective, options),
                    Catch::Contains("/workload/kind") && Catch::Contains("1 thread"));
}
