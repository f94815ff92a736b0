// The classic "hold" benchmark of a pending-event set: pop the earliest event, push one at
// now + a random delay, with N events pending. Our EventQueue (a radix heap) and the whole
// Simulator loop, side by side with std::multimap (what classic packet simulators use), a
// binary heap and the cache-aligned 4-ary heap the kernel used first.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <queue>
#include <vector>

#include "bench/dary_heap_queue.hpp"
#include "sim/event_queue.hpp"
#include "sim/rng.hpp"
#include "sim/simulator.hpp"

namespace {

using fabricsim::sim::Event;
using fabricsim::sim::EventQueue;
using fabricsim::sim::Rng;
using fabricsim::sim::Time;

// Delays drawn once (exponential, mean 1 us) so every structure sees the same sequence and the
// generator's cost is not measured.
const std::vector<std::int64_t>& delays() {
  static const std::vector<std::int64_t> table = [] {
    Rng rng(2024);
    std::vector<std::int64_t> d(1 << 20);
    for (auto& x : d)
      x = 1 + static_cast<std::int64_t>(rng.exponential(1e6));
    return d;
  }();
  return table;
}

template <class Queue>
void hold(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  const auto& d = delays();
  const std::size_t mask = d.size() - 1;
  Queue q;
  q.reserve(pending + 1);
  std::size_t k = 0;
  std::uint64_t tie = 0;
  for (std::size_t i = 0; i < pending; ++i) {
    q.push(Event{Time::ps(d[k++ & mask]), tie++, nullptr, 0});
  }
  for (auto _ : state) {
    const Event e = q.pop();
    q.push(Event{e.at + Time::ps(d[k++ & mask]), tie++, nullptr, 0});
  }
  benchmark::DoNotOptimize(q.top_time());
  state.SetItemsProcessed(state.iterations());
}

void BM_Hold_EventQueue(benchmark::State& state) {
  hold<EventQueue>(state);
}
void BM_Hold_4ary_heap(benchmark::State& state) {
  hold<fabricsim::bench::DaryHeapQueue>(state);
}

// The full kernel: Simulator dispatch, a handler that reschedules itself through Component.
struct Holder : fabricsim::sim::Component {
  Holder(fabricsim::sim::Simulator& sim, std::int64_t budget) : Component(sim), budget_(budget) {}
  void on_event(std::uint64_t) override {
    if (--budget_ <= 0) return;
    schedule_self_in(Time::ps(delays()[k_++ & (delays().size() - 1)]), 0);
  }
  std::int64_t budget_;
  std::size_t k_ = 0;
};

void BM_Hold_Simulator(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  std::int64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    fabricsim::sim::Simulator sim;
    std::vector<std::unique_ptr<Holder>> holders;
    const std::int64_t per_holder = 4'000'000 / static_cast<std::int64_t>(pending) + 2;
    for (std::size_t i = 0; i < pending; ++i) {
      holders.push_back(std::make_unique<Holder>(sim, per_holder));
      holders.back()->k_ = i * 7;
      sim.schedule(Time::ps(delays()[i & (delays().size() - 1)]), *holders.back(), 0);
    }
    state.ResumeTiming();
    sim.run();
    total += static_cast<std::int64_t>(sim.events_processed());
  }
  state.SetItemsProcessed(total);
}

void BM_Hold_multimap(benchmark::State& state) {
  struct ClassicEvent {
    std::uint64_t payload;
  };
  const auto pending = static_cast<std::size_t>(state.range(0));
  const auto& d = delays();
  const std::size_t mask = d.size() - 1;
  std::vector<ClassicEvent> storage(pending);
  std::multimap<Time, ClassicEvent*> q;
  std::size_t k = 0;
  for (std::size_t i = 0; i < pending; ++i)
    q.emplace(Time::ps(d[k++ & mask]), &storage[i]);
  for (auto _ : state) {
    auto it = q.begin();
    const Time now = it->first;
    ClassicEvent* e = it->second;
    q.erase(it);
    q.emplace(now + Time::ps(d[k++ & mask]), e);
  }
  benchmark::DoNotOptimize(q.begin()->first);
  state.SetItemsProcessed(state.iterations());
}

void BM_Hold_binary_heap(benchmark::State& state) {
  struct Entry {
    std::int64_t at;
    std::uint64_t tie;
    void* target;
    std::uint64_t arg;
    bool operator>(const Entry& o) const { return at != o.at ? at > o.at : tie > o.tie; }
  };
  const auto pending = static_cast<std::size_t>(state.range(0));
  const auto& d = delays();
  const std::size_t mask = d.size() - 1;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> q;
  std::size_t k = 0;
  std::uint64_t tie = 0;
  for (std::size_t i = 0; i < pending; ++i)
    q.push(Entry{d[k++ & mask], tie++, nullptr, 0});
  for (auto _ : state) {
    const Entry e = q.top();
    q.pop();
    q.push(Entry{e.at + d[k++ & mask], tie++, nullptr, 0});
  }
  benchmark::DoNotOptimize(q.top().at);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_Hold_EventQueue)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_Hold_4ary_heap)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_Hold_binary_heap)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_Hold_multimap)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_Hold_Simulator)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
