// Parallel runs (RunOptions::threads): wall time of the event loop of a shipped scenario for 1,
// 2, 4 threads, with events/s and packet-hops/s, on the reference run (perm_1024_dcqcn: k=16
// fat-tree, 1,024 hosts x 2 MB) and a bigger one (the same with 8 MB flows). Each run also
// checks that its results equal the 1-thread run's (counter "identical" = 1).
#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

namespace {

using namespace fabricsim;

void run_threads(benchmark::State& state, const std::vector<std::string>& overrides) {
  const auto s = scenario::load_scenario(
      std::string(FABRICSIM_SOURCE_DIR) + "/configs/scenarios/perm_1024_dcqcn.json", overrides);
  static std::map<std::vector<std::string>, nlohmann::json> reference;
  scenario::RunOptions options;
  options.threads = static_cast<unsigned>(state.range(0));
  scenario::Results r;
  double run_seconds = 0;
  for (auto _ : state) {
    r = scenario::run_scenario(s, options);
    run_seconds += r.run_seconds;
    state.SetIterationTime(r.run_seconds);
  }
  const auto doc = scenario::to_json(r, false);
  if (reference.count(overrides) == 0 && options.threads == 1) reference[overrides] = doc;
  const auto it = reference.find(overrides);
  state.counters["identical"] = (it != reference.end() && it->second == doc) ? 1.0 : 0.0;
  const double iterations = static_cast<double>(state.iterations());
  state.counters["run_s"] = run_seconds / iterations;
  state.counters["events_per_s"] = static_cast<double>(r.events) * iterations / run_seconds;
  state.counters["hops_per_s"] =
      static_cast<double>(r.fabric.packet_hops) * iterations / run_seconds;
}

void BM_Perm1024(benchmark::State& state) {
  run_threads(state, {});
}
void BM_Perm1024_8MB(benchmark::State& state) {
  run_threads(state, {"workload.flow_size=8MB"});
}

}  // namespace

// Manual time = the event loop (results' run_seconds), not setup.
BENCHMARK(BM_Perm1024)->Arg(1)->Arg(2)->Arg(4)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_Perm1024_8MB)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);
BENCHMARK_MAIN();
