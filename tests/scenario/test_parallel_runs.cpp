// Parallel runs (RunOptions::threads): the shipped traffic scenarios give the same results,
// field for field (measured wall times and memory aside), for 1, 2, 3 and 4 threads; what
// parallel runs do not take yet is refused with a clear message.
#include <catch2/catch.hpp>

#include <string>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"

using namespace fabricsim;

namespace {
std::string scenario_path(const std::string& name) {
  return std::string(FABRICSIM_SOURCE_DIR) + "/configs/scenarios/" + name;
}

scenario::Results check_same_for_threads(scenario::Scenario s) {
  scenario::RunOptions one;
  const auto reference = scenario::run_scenario(s, one);
  REQUIRE(reference.completed);
  const auto expected = scenario::to_json(reference, false);
  for (const unsigned threads : {2U, 3U, 4U}) {
    CAPTURE(threads);
    scenario::RunOptions options;
    options.threads = threads;
    CHECK(scenario::to_json(scenario::run_scenario(s, options), false) == expected);
  }
  return reference;
}
}  // namespace

TEST_CASE("perm_1024_dcqcn: identical results for 1 to 4 threads", "[parallel]") {
  // 512 KB flows instead of 2 MB keep it short; the fabric and the traffic are the scenario's.
  check_same_for_threads(scenario::load_scenario(scenario_path("perm_1024_dcqcn.json"),
                                                 {"workload.flow_size=512KB"}));
}

TEST_CASE(
    "incast_16to1_pfc (PAUSE frames across partitions): identical results for 1 to 4 "
    "threads",
    "[parallel]") {
  // The receiver in the fabric's other half: PAUSE frames cross the cut core links.
  auto s = scenario::load_scenario(scenario_path("incast_16to1_pfc.json"),
                                   {"workload.flow_size=512KB", "workload.receiver=100"});
  s.outputs.timeseries_interval = sim::Time::zero();  // not recorded by parallel runs yet
  const auto r = check_same_for_threads(s);
  CHECK(r.fabric.pfc_pause_frames > 0);
}

TEST_CASE(
    "flows, uniform traffic and an InfiniBand fabric (credits across partitions): "
    "identical results for 1 to 4 threads",
    "[parallel]") {
  for (const char* name : {"flows_dumbbell.json", "hadoop_uniform.json"}) {
    CAPTURE(name);
    auto s = scenario::load_scenario(scenario_path(name));
    s.outputs.timeseries_interval = sim::Time::zero();
    check_same_for_threads(s);
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
  const auto series = scenario::load_scenario(scenario_path("incast_16to1_pfc.json"));
  CHECK_THROWS_WITH(scenario::run_scenario(series, options),
                    Catch::Contains("/outputs/timeseries"));
}
