// What one rank of a 131,072-GPU collective costs before any packet moves: Schedule generation
// time and bytes per rank and per op, and the Executor's state per op, for the hierarchical
// all-reduces (rings vs trees across nodes) at the sizes of the scale scenarios.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "workloads/algorithms/registry.hpp"
#include "workloads/executor.hpp"

namespace {

using namespace fabricsim::workloads;

// 16 MiB of float32 per rank in 256 KiB slices, 8 ranks per node (the scale scenario).
CollectiveRequest hierarchical(const char* algorithm, std::int32_t nranks) {
  CollectiveRequest r;
  r.algorithm = algorithm;
  r.nranks = nranks;
  r.count = (16u << 20) / 4;
  r.slice_bytes = 256u << 10;
  r.ranks_per_node = 8;
  return r;
}

std::uint64_t schedule_bytes(const Schedule& s) {
  std::uint64_t bytes = s.ranks.capacity() * sizeof(RankProgram);
  for (const RankProgram& p : s.ranks)
    bytes += p.ops.capacity() * sizeof(Op) + p.deps.capacity() * sizeof(std::uint32_t);
  return bytes;
}

void report(benchmark::State& state, const Schedule& s) {
  const auto ranks = static_cast<double>(s.nranks);
  const auto ops = static_cast<double>(s.total_ops());
  std::uint64_t deps = 0;
  for (const RankProgram& p : s.ranks)
    deps += p.deps.size();
  const auto bytes = static_cast<double>(schedule_bytes(s));
  state.counters["ops_per_rank"] = ops / ranks;
  state.counters["deps_per_op"] = static_cast<double>(deps) / ops;
  state.counters["sizeof_Op"] = static_cast<double>(sizeof(Op));
  state.counters["bytes_per_op"] = bytes / ops;
  state.counters["bytes_per_rank"] = bytes / ranks;
}

void BM_GenerateHierarchical(benchmark::State& state, const char* algorithm) {
  const auto n = static_cast<std::int32_t>(state.range(0));
  for (auto _ : state) {
    const Schedule s = generate(hierarchical(algorithm, n));
    benchmark::DoNotOptimize(s.ranks.data());
    state.PauseTiming();
    report(state, s);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel("items = ranks");
}
// The ring across 1,024 nodes already needs ~2 x 1,023 steps per slice; the tree needs ~2 x 10.
BENCHMARK_CAPTURE(BM_GenerateHierarchical, ring, "hierarchical")
    ->Arg(1024)
    ->Arg(8192)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_GenerateHierarchical, tree, "hierarchical_tree")
    ->Arg(1024)
    ->Arg(8192)
    ->Arg(131072)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

class NullTransport final : public Transport {
 public:
  std::int32_t rank() const override { return 0; }
  void post_send(std::int32_t, MemRegion, std::uint64_t, CompletionListener&,
                 std::uint64_t) override {}
  void post_recv(std::int32_t, MemRegion, std::uint64_t, CompletionListener&,
                 std::uint64_t) override {}
  void post_reduce(MemRegion, MemRegion, MemRegion, std::uint64_t, DataType, ReduceOp,
                   CompletionListener&, std::uint64_t) override {}
  void post_copy(MemRegion, MemRegion, CompletionListener&, std::uint64_t) override {}
};

struct ZeroClock final : Clock {
  std::int64_t now_ps() const override { return 0; }
};

// Executor state per op (what a simulated run holds for every rank at once), with and
// without per-op timings (only a trace needs them).
void BM_ExecutorFootprint(benchmark::State& state) {
  const bool timings = state.range(0) != 0;
  const Schedule s = generate(hierarchical("hierarchical_tree", 8192));
  NullTransport transport;
  ZeroClock clock;
  std::uint64_t bytes = 0;
  std::uint64_t ops = 0;
  for (auto _ : state) {
    bytes = 0;
    ops = 0;
    for (std::int32_t rank = 0; rank < s.nranks; rank += 97) {
      Executor exec(rank, s, transport, Buffers{}, clock, timings);
      bytes += exec.footprint_bytes();
      ops += exec.ops_total();
    }
  }
  state.counters["bytes_per_op"] = static_cast<double>(bytes) / static_cast<double>(ops);
  state.SetLabel(timings ? "with per-op timings" : "without per-op timings");
}
BENCHMARK(BM_ExecutorFootprint)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
