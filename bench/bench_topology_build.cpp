// Scale benchmark of the topologies layer: builds the 131,072-GPU rail-optimized example
// (spec -> graph -> Boost.Graph routes -> models::Fabric with every switch, NIC, port, link
// and routing table) once, and reports seconds per phase, peak RSS and bytes per port.
// Target (issue 4): everything ready to simulate in < 30 s and < 4 GiB peak RSS.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <string>

#include "sim/simulator.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"
#include "topologies/spec.hpp"

namespace {

using namespace fabricsim;
using Clock = std::chrono::steady_clock;

double peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;  // Linux: KiB
}

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void build_topology(benchmark::State& state, const std::string& file, bool with_fabric) {
  const std::string path = std::string(FABRICSIM_SOURCE_DIR) + "/configs/topologies/" + file;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const auto spec = topologies::load_topology(path);
    const auto g = topologies::build_graph(spec);
    const double graph_s = since(t0);
    const auto t1 = Clock::now();
    const auto routes = topologies::compute_routes(g);
    const double routes_s = since(t1);
    double fabric_s = 0;
    const double rss_before_fabric = peak_rss_bytes();
    if (with_fabric) {
      const auto t2 = Clock::now();
      sim::Simulator sim;
      auto fabric = topologies::build_fabric(g, routes, sim);
      fabric_s = since(t2);
      benchmark::DoNotOptimize(fabric.get());
      state.counters["fabric_s"] = fabric_s;
      state.counters["fabric_bytes_per_port"] =
          (peak_rss_bytes() - rss_before_fabric) / static_cast<double>(g.port_count());
    }
    state.counters["gpus"] = g.endpoint_count;
    state.counters["switches"] = g.switch_count;
    state.counters["ports"] = g.port_count();
    state.counters["graph_s"] = graph_s;
    state.counters["routes_s"] = routes_s;
    state.counters["total_s"] = graph_s + routes_s + fabric_s;
    state.counters["graph_bytes_per_port"] =
        static_cast<double>(g.memory_bytes()) / static_cast<double>(g.port_count());
    state.counters["routes_bytes_per_port"] =
        static_cast<double>(routes.memory_bytes()) / static_cast<double>(g.port_count());
    state.counters["peak_rss_MiB"] = peak_rss_bytes() / (1024.0 * 1024.0);
    state.counters["peak_rss_bytes_per_port"] =
        peak_rss_bytes() / static_cast<double>(g.port_count());
  }
}

void BM_Build131072(benchmark::State& state) {
  build_topology(state, "rail_optimized_131072.json", true);
}
void BM_BuildFatTreeK16(benchmark::State& state) {
  build_topology(state, "fat_tree_k16.json", true);
}

}  // namespace

BENCHMARK(BM_BuildFatTreeK16)->Unit(benchmark::kMillisecond)->Iterations(3);
// Run alone for a clean peak RSS: --benchmark_filter=BM_Build131072
BENCHMARK(BM_Build131072)->Unit(benchmark::kSecond)->Iterations(1);

BENCHMARK_MAIN();
