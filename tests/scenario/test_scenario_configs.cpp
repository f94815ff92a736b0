// Runs every scenario in configs/scenarios/ and checks its results.json against the schema.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

using namespace fabricsim;

TEST_CASE("every example scenario runs and reports per the results schema", "[configs]") {
  const auto dir = std::filesystem::path(FABRICSIM_SOURCE_DIR) / "configs" / "scenarios";
  int ran = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    INFO(entry.path().string());
    const auto s = scenario::load_scenario(entry.path().string());
    const auto r = scenario::run_scenario(s);
    const auto doc = scenario::to_json(r);
    CHECK(doc["schema"] == "fabricsim.results/1");
    for (const char* key : {"version", "scenario", "seed", "sim_time_ps", "wall_seconds",
                            "setup_seconds", "run_seconds", "events", "events_per_second",
                            "peak_rss_bytes", "topology", "collectives", "flows", "fabric"}) {
      CHECK(doc.contains(key));
    }
    for (const char* key : {"packets_delivered", "packet_hops", "drops", "retransmissions",
                            "ecn_marks", "cnps", "pfc_pause_frames", "max_queue_bytes"}) {
      CHECK(doc["fabric"].contains(key));
    }
    CHECK(r.completed);
    CHECK(r.fabric.packet_hops > 0);
    ++ran;
  }
  CHECK(ran >= 2);
}

TEST_CASE("the 16:1 incast with PFC pauses instead of dropping", "[configs]") {
  const auto path = std::filesystem::path(FABRICSIM_SOURCE_DIR) / "configs" / "scenarios" /
                    "incast_16to1_pfc.json";
  const auto on = scenario::run_scenario(scenario::load_scenario(path.string()));
  CHECK(on.fabric.drops == 0);
  CHECK(on.fabric.pfc_pause_frames > 0);
  CHECK(on.flows.completed == 16);
}

TEST_CASE("the shipped 16:1 incast pauses far less with DCQCN than without", "[configs]") {
  const auto dir = std::filesystem::path(FABRICSIM_SOURCE_DIR) / "configs" / "scenarios";
  const auto none =
      scenario::run_scenario(scenario::load_scenario((dir / "incast_16to1_pfc.json").string()));
  const auto dcqcn =
      scenario::run_scenario(scenario::load_scenario((dir / "incast_16to1_dcqcn.json").string()));
  std::printf("incast_16to1: PFC pause frames without CC %llu, with DCQCN %llu\n",
              static_cast<unsigned long long>(none.fabric.pfc_pause_frames),
              static_cast<unsigned long long>(dcqcn.fabric.pfc_pause_frames));
  CHECK(dcqcn.completed);
  CHECK(dcqcn.fabric.drops == 0);
  CHECK(dcqcn.fabric.cnps > 0);
  CHECK(dcqcn.fabric.pfc_pause_frames * 5 <= none.fabric.pfc_pause_frames);
}
