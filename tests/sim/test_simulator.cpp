// Tests sim/simulator.hpp: ordering, tie-breaking, cancellation, run-until variants,
// several simulators at once, and the determinism fingerprint.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

#include "sim/simulator.hpp"

using namespace fabricsim::sim;
using namespace fabricsim::sim::literals;

namespace {

// Records (time, arg) of every event it receives.
struct Recorder : EventHandler {
  Simulator* sim = nullptr;
  std::vector<std::pair<Time, std::uint64_t>> seen;
  void on_event(std::uint64_t arg) override { seen.emplace_back(sim->now(), arg); }
};

// A component that schedules events for a recorder, stamped with its own id.
struct Scheduler : Component {
  using Component::Component;
  void send(Time at, EventHandler& target, std::uint64_t arg) { schedule_at(at, target, arg); }
  void on_event(std::uint64_t) override {}
};

// A randomized workload: each event schedules 0-2 more at random delays.
struct Chain : Component {
  Chain(Simulator& sim, std::uint64_t stream) : Component(sim), rng(sim.make_rng(stream)) {}
  Rng rng;
  int budget = 2000;
  void on_event(std::uint64_t) override {
    if (--budget <= 0) return;
    const auto children = rng.below(3);
    for (std::uint64_t i = 0; i < children; ++i) {
      schedule_self_in(Time::ps(static_cast<std::int64_t>(rng.below(1000))), i);
    }
  }
};

}  // namespace

TEST_CASE("events run in time order and the clock follows", "[simulator]") {
  Simulator sim;
  Recorder r;
  r.sim = &sim;
  sim.schedule(30_ns, r, 3);
  sim.schedule(10_ns, r, 1);
  sim.schedule(20_ns, r, 2);
  CHECK(sim.run() == StopReason::kEmpty);
  REQUIRE(r.seen.size() == 3);
  CHECK(r.seen[0] == std::make_pair(10_ns, std::uint64_t{1}));
  CHECK(r.seen[2] == std::make_pair(30_ns, std::uint64_t{3}));
  CHECK(sim.now() == 30_ns);
  CHECK(sim.events_processed() == 3);
}

TEST_CASE("simultaneous events order by scheduling component id, then its sequence",
          "[simulator]") {
  Simulator sim;
  Recorder r;
  r.sim = &sim;
  Scheduler low(sim);   // id 1
  Scheduler high(sim);  // id 2
  REQUIRE(low.component_id() < high.component_id());
  // Scheduled in an order opposite to the expected run order.
  high.send(5_ns, r, 21);
  high.send(5_ns, r, 22);
  low.send(5_ns, r, 11);
  sim.schedule(5_ns, r, 1);  // the simulator itself is component 0
  low.send(5_ns, r, 12);
  sim.run();
  std::vector<std::uint64_t> order;
  for (auto& [t, a] : r.seen)
    order.push_back(a);
  CHECK(order == std::vector<std::uint64_t>{1, 11, 12, 21, 22});
}

TEST_CASE("cancel removes a pending event and refuses a past one", "[simulator]") {
  Simulator sim;
  Recorder r;
  r.sim = &sim;
  const EventId a = sim.schedule(10_ns, r, 1);
  const EventId b = sim.schedule(20_ns, r, 2);
  CHECK(sim.pending() == 2);
  CHECK(sim.cancel(b));
  CHECK_FALSE(sim.cancel(b));
  CHECK(sim.pending() == 1);
  sim.run();
  CHECK(r.seen.size() == 1);
  CHECK_FALSE(sim.cancel(a));  // already ran
  CHECK(sim.pending() == 0);
}

TEST_CASE("run_until stops at the limit and advances the clock to it", "[simulator]") {
  Simulator sim;
  Recorder r;
  r.sim = &sim;
  for (int i = 1; i <= 10; ++i)
    sim.schedule(Time::ns(i * 10), r, static_cast<std::uint64_t>(i));
  CHECK(sim.run_until(35_ns) == StopReason::kTimeLimit);
  CHECK(r.seen.size() == 3);
  CHECK(sim.now() == 35_ns);
  CHECK(sim.run_until(50_ns) == StopReason::kTimeLimit);  // event at exactly 50 ns runs
  CHECK(r.seen.size() == 5);
  CHECK(sim.run_until(1_ms) == StopReason::kTimeLimit);
  CHECK(r.seen.size() == 10);
  CHECK(sim.now() == 1_ms);
}

TEST_CASE("run_until_condition stops when the predicate holds", "[simulator]") {
  Simulator sim;
  Recorder r;
  r.sim = &sim;
  for (int i = 1; i <= 10; ++i)
    sim.schedule(Time::ns(i), r, static_cast<std::uint64_t>(i));
  CHECK(sim.run_until_condition([&] { return r.seen.size() == 4; }) == StopReason::kPredicate);
  CHECK(r.seen.size() == 4);
  CHECK(sim.now() == 4_ns);
  CHECK(sim.run() == StopReason::kEmpty);
  CHECK(r.seen.size() == 10);
}

TEST_CASE("stop() from a handler ends run() after that event", "[simulator]") {
  Simulator sim;
  struct Stopper : EventHandler {
    Simulator* sim;
    int count = 0;
    void on_event(std::uint64_t arg) override {
      ++count;
      if (arg == 2) sim->stop();
    }
  } s;
  s.sim = &sim;
  for (std::uint64_t i = 1; i <= 4; ++i)
    sim.schedule(Time::ns(static_cast<std::int64_t>(i)), s, i);
  CHECK(sim.run() == StopReason::kStopRequested);
  CHECK(s.count == 2);
  CHECK(sim.run() == StopReason::kEmpty);
  CHECK(s.count == 4);
}

TEST_CASE("scheduling in the past is a logic error", "[simulator]") {
  Simulator sim;
  Recorder r;
  r.sim = &sim;
  sim.schedule(10_ns, r, 0);
  sim.run();
  CHECK_THROWS_AS(sim.schedule(5_ns, r, 0), std::logic_error);
}

TEST_CASE("two simulators run independently in one process", "[simulator]") {
  Simulator a;
  Simulator b;
  Recorder ra;
  Recorder rb;
  ra.sim = &a;
  rb.sim = &b;
  a.schedule(1_us, ra, 1);
  b.schedule(2_us, rb, 2);
  a.run();
  CHECK(a.now() == 1_us);
  CHECK(b.now() == Time::zero());
  b.run();
  CHECK(rb.seen.size() == 1);
  CHECK(ra.seen.size() == 1);
}

TEST_CASE("a randomized workload gives the same event fingerprint twice",
          "[simulator][determinism]") {
  auto run_once = [](std::uint64_t seed) {
    Simulator sim(seed);
    sim.enable_fingerprint(true);
    std::vector<std::unique_ptr<Chain>> chains;
    for (std::uint64_t i = 0; i < 50; ++i)
      chains.push_back(std::make_unique<Chain>(sim, i));
    for (auto& c : chains)
      sim.schedule(Time::zero(), *c, 0);
    sim.run();
    return std::make_pair(sim.fingerprint(), sim.events_processed());
  };
  const auto first = run_once(42);
  const auto second = run_once(42);
  CHECK(first == second);
  CHECK(first.second > 1000);
  CHECK(run_once(43).first != first.first);  // the seed matters
}

TEST_CASE("the progress callback fires every N events", "[simulator]") {
  Simulator sim;
  Recorder r;
  r.sim = &sim;
  int calls = 0;
  sim.set_progress(10, [&](const Simulator&) { ++calls; });
  for (int i = 0; i < 35; ++i)
    sim.schedule(Time::ns(i), r, 0);
  sim.run();
  CHECK(calls == 3);
}
