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
#include "topologies/fault_routes.hpp"
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

// Routing convergence under faults (topologies/fault_routes.hpp): one convergence step of the
// 16,384-GPU cluster (rail_optimized_131072 at 2,048 nodes), a leaf-spine link going down or
// coming back, with every switch's new table installed: one kConverge action of a fault plan.
// For comparison, BM_ComputeRoutes16384: the whole routing computed from scratch.
void BM_ConvergeAroundFailedLink16384(benchmark::State& state) {
  auto spec = topologies::load_topology(std::string(FABRICSIM_SOURCE_DIR) +
                                        "/configs/topologies/rail_optimized_131072.json");
  spec.rail.nodes = 2048;
  const auto g = topologies::build_graph(spec);
  const auto base = topologies::compute_routes(g);
  sim::Simulator sim;
  auto fabric = topologies::build_fabric(g, base, sim);
  // The first switch-to-switch link of leaf 0.
  std::uint32_t port = g.port_begin[0];
  while (!g.is_switch(g.port_node[g.peer_port[port]]))
    ++port;
  // Steps alternate: the link down, back up, down, ...
  std::vector<std::vector<std::uint32_t>> steps{{}};
  constexpr std::uint32_t kSteps = 1000;
  for (std::uint32_t i = 1; i <= kSteps; ++i)
    steps.push_back(i % 2 == 1 ? std::vector<std::uint32_t>{port} : std::vector<std::uint32_t>{});
  topologies::FaultRoutes routes(g, base, steps, g.switch_count);
  std::uint32_t step = 0;
  for (auto _ : state) {
    if (++step > kSteps) break;
    for (std::uint32_t s = 0; s < g.switch_count; ++s)
      routes.install(*fabric, s, step);
  }
  state.counters["bfs_columns"] = static_cast<double>(routes.recomputed_columns());
  state.counters["switches"] = g.switch_count;
}

void BM_ComputeRoutes16384(benchmark::State& state) {
  auto spec = topologies::load_topology(std::string(FABRICSIM_SOURCE_DIR) +
                                        "/configs/topologies/rail_optimized_131072.json");
  spec.rail.nodes = 2048;
  const auto g = topologies::build_graph(spec);
  for (auto _ : state)
    benchmark::DoNotOptimize(topologies::compute_routes(g));
}

BENCHMARK(BM_ConvergeAroundFailedLink16384)->Unit(benchmark::kMillisecond)->Iterations(200);
BENCHMARK(BM_ComputeRoutes16384)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_BuildFatTreeK16)->Unit(benchmark::kMillisecond)->Iterations(3);
// Run alone for a clean peak RSS: --benchmark_filter=BM_Build131072
BENCHMARK(BM_Build131072)->Unit(benchmark::kSecond)->Iterations(1);

BENCHMARK_MAIN();
