// Collective library speed: Schedule generation, Executor overhead per op (a transport that
// completes everything at once, no data) and the local transport running real buffers.
#include <benchmark/benchmark.h>

#include <deque>
#include <memory>
#include <vector>

#include "workloads/algorithms/registry.hpp"
#include "workloads/executor.hpp"
#include "workloads/transports/local/local_fabric.hpp"

namespace {

using namespace fabricsim::workloads;

CollectiveRequest ring_request(std::int32_t n, std::uint64_t count) {
  CollectiveRequest r;
  r.nranks = n;
  r.count = count;
  r.channels = 2;
  return r;
}

void BM_GenerateRingAllReduce(benchmark::State& state) {
  const auto n = static_cast<std::int32_t>(state.range(0));
  std::uint64_t ops = 0;
  for (auto _ : state) {
    const Schedule s = generate(ring_request(n, static_cast<std::uint64_t>(n) * 1024));
    ops += s.total_ops();
    benchmark::DoNotOptimize(s.ranks.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(ops));
  state.SetLabel("items = ops generated");
}
BENCHMARK(BM_GenerateRingAllReduce)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_GenerateOneRankRingAllReduce(benchmark::State& state) {
  const auto n = static_cast<std::int32_t>(state.range(0));
  std::uint64_t ops = 0;
  for (auto _ : state) {
    const Schedule s = generate_rank(ring_request(n, static_cast<std::uint64_t>(n) * 1024), 0);
    ops += s.total_ops();
    benchmark::DoNotOptimize(s.ranks.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(ops));
  state.SetLabel("items = ops of rank 0 (what one hardware process builds)");
}
BENCHMARK(BM_GenerateOneRankRingAllReduce)->Arg(1024)->Unit(benchmark::kMillisecond);

// Completes every post in FIFO order without moving data: the Executor's own cost per op.
class InstantTransport final : public Transport {
 public:
  std::int32_t rank() const override { return 0; }
  void post_send(std::int32_t, MemRegion, std::uint64_t, CompletionListener& l,
                 std::uint64_t cookie) override {
    fifo.push_back({&l, cookie});
  }
  void post_recv(std::int32_t, MemRegion, std::uint64_t, CompletionListener& l,
                 std::uint64_t cookie) override {
    fifo.push_back({&l, cookie});
  }
  void post_reduce(MemRegion, MemRegion, MemRegion, std::uint64_t, DataType, ReduceOp,
                   CompletionListener& l, std::uint64_t cookie) override {
    fifo.push_back({&l, cookie});
  }
  void post_copy(MemRegion, MemRegion, CompletionListener& l, std::uint64_t cookie) override {
    fifo.push_back({&l, cookie});
  }
  struct Item {
    CompletionListener* listener;
    std::uint64_t cookie;
  };
  std::deque<Item> fifo;
};

struct ZeroClock final : Clock {
  std::int64_t now_ps() const override { return 0; }
};

void BM_ExecutorPerOp(benchmark::State& state) {
  const auto n = static_cast<std::int32_t>(state.range(0));
  CollectiveRequest r = ring_request(n, static_cast<std::uint64_t>(n) * 4096);
  r.slice_bytes = 1024;
  const Schedule s = generate(r);
  InstantTransport transport;
  ZeroClock clock;
  std::uint64_t ops = 0;
  for (auto _ : state) {
    Executor exec(0, s, transport, Buffers{}, clock);
    exec.start();
    while (!transport.fifo.empty()) {
      const auto item = transport.fifo.front();
      transport.fifo.pop_front();
      item.listener->on_complete(item.cookie);
    }
    if (!exec.done()) state.SkipWithError("executor did not finish");
    ops += exec.ops_total();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(ops));
  state.SetLabel("items = ops executed (incl. Executor construction)");
}
BENCHMARK(BM_ExecutorPerOp)->Arg(8)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_LocalFabricRingAllReduce(benchmark::State& state) {
  const auto n = static_cast<std::int32_t>(state.range(0));
  const Schedule s = generate(ring_request(n, static_cast<std::uint64_t>(n) * 256));
  std::uint64_t messages = 0;
  for (auto _ : state) {
    local::LocalFabric fabric(s);
    fabric.run();
    messages += fabric.messages();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(messages));
  state.SetLabel("items = messages (incl. buffer setup)");
}
BENCHMARK(BM_LocalFabricRingAllReduce)->Arg(8)->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
