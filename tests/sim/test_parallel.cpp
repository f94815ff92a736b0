// Tests sim/parallel.hpp: delivery of an event sent across partitions exactly at the lookahead
// boundary, the refusal of one sent below it, the stop at the last completion (events counted
// as a single simulator counts them), a control plane's completions, and shared component ids.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

#include "sim/parallel.hpp"

using namespace fabricsim::sim;

namespace {

// Records (time, arg) of every event it receives.
struct Recorder : Component {
  using Component::Component;
  std::vector<std::pair<Time, std::uint64_t>> seen;
  void on_event(std::uint64_t arg) override { seen.emplace_back(now(), arg); }
  void at(Time t, std::uint64_t arg) { schedule_at(t, *this, arg); }
};

// On each event, sends one event to `target` in partition `to`, `delay` later.
struct Sender : Component {
  Sender(Simulator& sim, Outbox& out, EventHandler& target, Time delay)
      : Component(sim), out_(&out), target_(&target), delay_(delay) {}
  void on_event(std::uint64_t arg) override {
    RemoteEvent& r = out_->emplace_back();
    r.event = Event{now() + delay_, take_tie(), target_, arg};
  }
  void at(Time t, std::uint64_t arg) { schedule_at(t, *this, arg); }
  Outbox* out_;
  EventHandler* target_;
  Time delay_;
};

// Ticks every `period` until `last`; calls stop() on its simulator after the tick at `done`.
struct Ticker : Component {
  Ticker(Simulator& sim, Time period, Time done, Time last)
      : Component(sim), period_(period), done_(done), last_(last) {
    schedule_at(Time::zero(), *this, 0);
  }
  void on_event(std::uint64_t) override {
    ++ticks;
    if (now() == done_) simulator().stop();
    if (now() + period_ <= last_) schedule_in(period_, *this, 0);
  }
  Time period_, done_, last_;
  int ticks = 0;
};

// A two-job workload under a control plane: job 1 runs in partitions 0 and 1 (each reports its
// part finished through a Reporter); when both have, the control plane waits `gap` (an action
// of its own), then launches job 2 in partition 2, `latency` later; job 2 lasts `job2`.
class TwoJobs final : public ControlPlane {
 public:
  struct Reporter : Component {
    Reporter(Simulator& sim, TwoJobs& owner, std::size_t partition)
        : Component(sim), jobs(&owner), p(partition) {}
    void on_event(std::uint64_t arg) override {
      if (arg == 0) {
        jobs->report(p);
      } else {
        launched_at = now();
        schedule_in(jobs->job2_, *this, 0);
      }
    }
    void at(Time t, std::uint64_t arg) { schedule_at(t, *this, arg); }
    TwoJobs* jobs;
    std::size_t p;
    Time launched_at = Time::max();
  };

  TwoJobs(ParallelEngine& engine, Time latency, Time gap, Time job2)
      : engine_(&engine), latency_(latency), gap_(gap), job2_(job2) {
    for (std::size_t p = 0; p < 3; ++p)
      reporters.push_back(std::make_unique<Reporter>(engine.simulator(p), *this, p));
    busy_ = {1, 1, 0};
  }
  void report(std::size_t p) {
    Simulator& sim = engine_->simulator(p);
    reports_.push_back({sim.now(), sim.current_tie()});
    busy_[p] = 0;
    sim.stop();
  }
  Time latency() const override { return latency_; }
  bool busy(std::size_t p) const override { return busy_[p] != 0; }
  Time next_at() const override { return gap_at_; }
  std::size_t pending() const override { return gap_at_ == Time::max() ? 0 : 1; }
  bool settle(Time upto, std::uint64_t) override {
    settled_through = upto;
    if (reports_.size() == 2 && !job1_done_) {
      job1_done_ = true;
      job1_end = std::max(reports_[0].at, reports_[1].at);
      gap_at_ = job1_end + gap_;
    }
    if (gap_at_ <= upto) {
      ++events_;
      reporters[2]->at(gap_at_ + latency_, 1);
      gap_at_ = Time::max();
      busy_[2] = 1;
    }
    if (reports_.size() == 3) {
      end_ = reports_[2];
      return true;
    }
    return false;
  }
  EventId end() const override { return end_; }
  std::uint64_t events() const override { return events_; }
  // Threaded runs only.
  std::vector<std::uint64_t> reports_of(std::size_t) const override { return {}; }
  void add_reports(std::size_t, const std::vector<std::uint64_t>&) override {}

  std::vector<std::unique_ptr<Reporter>> reporters;
  Time job1_end = Time::max();
  Time settled_through = Time::zero();

 private:
  ParallelEngine* engine_;
  Time latency_, gap_, job2_;
  std::vector<std::uint8_t> busy_;
  std::vector<EventId> reports_;
  bool job1_done_ = false;
  Time gap_at_ = Time::max();
  EventId end_{Time::max(), 0};
  std::uint64_t events_ = 0;
};

}  // namespace

TEST_CASE("partitions share one component id counter", "[parallel]") {
  ParallelEngine engine(3, 1);
  Recorder a(engine.simulator(0));
  Recorder b(engine.simulator(2));
  Recorder c(engine.simulator(1));
  CHECK(b.component_id() == a.component_id() + 1);
  CHECK(c.component_id() == a.component_id() + 2);
}

TEST_CASE(
    "an event sent across partitions exactly one lookahead ahead runs at its time and "
    "in tie order",
    "[parallel]") {
  ParallelEngine engine(2, 1);
  const Time lookahead = Time::ps(100);
  engine.set_lookahead(lookahead);
  // Created first, so its tie key orders before the recorder's own event at the same time.
  Recorder target(engine.simulator(1));
  Sender sender(engine.simulator(0), engine.partition(0).outboxes[1], target, lookahead);
  CHECK(sender.component_id() > target.component_id());
  sender.at(Time::zero(), 7);   // -> arrives at 100 ps, the next window's start
  target.at(Time::ps(100), 8);  // local, same time; the recorder's id is lower
  sender.at(Time::ps(250), 9);  // -> 350 ps
  target.at(Time::ps(99), 6);   // last event of the first window
  const auto r = engine.run(Time::max());
  REQUIRE(target.seen.size() == 4);
  CHECK(target.seen[0] == std::pair{Time::ps(99), std::uint64_t{6}});
  // Same time 100 ps: the recorder's own event has the smaller component id, so it runs first.
  CHECK(target.seen[1] == std::pair{Time::ps(100), std::uint64_t{8}});
  CHECK(target.seen[2] == std::pair{Time::ps(100), std::uint64_t{7}});
  CHECK(target.seen[3] == std::pair{Time::ps(350), std::uint64_t{9}});
  CHECK(r.events == 6);
  CHECK(r.end == Time::ps(350));
  // Windows start at 0, 100, 200 (skipping nothing: 250 is in it), 350.
  CHECK(r.windows == 4);
}

TEST_CASE("empty windows are skipped to the next event anywhere", "[parallel]") {
  ParallelEngine engine(2, 1);
  engine.set_lookahead(Time::ps(10));
  Recorder a(engine.simulator(0));
  Recorder b(engine.simulator(1));
  a.at(Time::ps(5), 1);
  b.at(Time::ps(1'000'000), 2);
  const auto r = engine.run(Time::max());
  CHECK(r.windows == 2);
  CHECK(b.seen.size() == 1);
}

TEST_CASE("an event sent across partitions below the lookahead is refused", "[parallel]") {
  ParallelEngine bad(2, 1);
  bad.set_lookahead(Time::ps(100));
  Recorder t2(bad.simulator(1));
  Sender s2(bad.simulator(0), bad.partition(0).outboxes[1], t2, Time::ps(50));
  s2.at(Time::ps(10), 1);  // arrives at 60 ps, inside the window it was sent in
  CHECK_THROWS_WITH(bad.run(Time::max()), Catch::Contains("below the lookahead"));
}

TEST_CASE("a zero lookahead is refused", "[parallel]") {
  ParallelEngine engine(2, 1);
  CHECK_THROWS_AS(engine.set_lookahead(Time::zero()), std::invalid_argument);
}

TEST_CASE("the run ends at the last partition's completion, counting events as one simulator",
          "[parallel]") {
  // Partition 0 completes at 500 ps, partition 1 at 700 ps: the run ends at 700 ps, and
  // partition 0 still runs its events up to 700 ps (as a single simulator would), none after.
  ParallelEngine engine(2, 1);
  engine.set_lookahead(Time::ps(64));
  Ticker a(engine.simulator(0), Time::ps(10), Time::ps(500), Time::ps(2000));
  Ticker b(engine.simulator(1), Time::ps(7), Time::ps(700), Time::ps(2000));
  engine.stop_when_all_done(true);
  const auto r = engine.run(Time::max());
  CHECK(r.stopped_done);
  CHECK(r.end == Time::ps(700));
  CHECK(a.ticks == 71);   // 0, 10, ..., 700
  CHECK(b.ticks == 101);  // 0, 7, ..., 700
  CHECK(r.events == 172);
}

TEST_CASE("a time limit ends a parallel run at stop_at, events at stop_at included", "[parallel]") {
  ParallelEngine engine(2, 1);
  engine.set_lookahead(Time::ps(64));
  Ticker a(engine.simulator(0), Time::ps(10), Time::max(), Time::ps(2000));
  Ticker b(engine.simulator(1), Time::ps(7), Time::max(), Time::ps(2000));
  const auto r = engine.run(Time::ps(700));
  CHECK(r.end == Time::ps(700));
  CHECK(a.ticks == 71);
  CHECK(b.ticks == 101);
}

TEST_CASE("an exception in a partition ends the run and is rethrown", "[parallel]") {
  struct Thrower : Component {
    explicit Thrower(Simulator& sim) : Component(sim) { schedule_at(Time::ps(500), *this, 0); }
    void on_event(std::uint64_t) override { throw std::runtime_error("model failure"); }
  };
  ParallelEngine engine(2, 1);
  engine.set_lookahead(Time::ps(64));
  Ticker a(engine.simulator(0), Time::ps(10), Time::max(), Time::ps(2000));
  Thrower t(engine.simulator(1));
  CHECK_THROWS_WITH(engine.run(Time::max()), "model failure");
}

TEST_CASE("a control plane ends the run at its workload's last report, acting between windows",
          "[parallel]") {
  // Job 1: partition 0 reports at 500 ps, partition 1 at 700 ps; then a 45 ps gap (the control
  // plane's own action at 745 ps), a 30 ps launch latency, and job 2 in partition 2 from 775 ps
  // to 875 ps. Tickers keep every partition busy until 2000 ps: none may run past 875 ps.
  ParallelEngine engine(3, 1);
  engine.set_lookahead(Time::ps(64));
  Ticker a(engine.simulator(0), Time::ps(10), Time::max(), Time::ps(2000));
  Ticker b(engine.simulator(1), Time::ps(9), Time::max(), Time::ps(2000));
  Ticker c(engine.simulator(2), Time::ps(11), Time::max(), Time::ps(2000));
  TwoJobs jobs(engine, Time::ps(30), Time::ps(45), Time::ps(100));
  jobs.reporters[0]->at(Time::ps(500), 0);
  jobs.reporters[1]->at(Time::ps(700), 0);
  engine.set_control_plane(&jobs);
  const auto r = engine.run(Time::max());
  CHECK(r.stopped_done);
  CHECK(jobs.job1_end == Time::ps(700));
  CHECK(jobs.reporters[2]->launched_at == Time::ps(775));
  CHECK(r.end == Time::ps(875));
  // Windows are no longer than the control plane's latency (30 ps, below the lookahead).
  CHECK(jobs.settled_through < Time::ps(875 + 30));
  CHECK(a.ticks == 88);  // 0, 10, ..., 870
  CHECK(b.ticks == 98);  // 0, 9, ..., 873
  CHECK(c.ticks == 80);  // 0, 11, ..., 869
  // The ticks, 2 reports of job 1, job 2's launch and end, and the control plane's gap.
  CHECK(r.events == 88 + 98 + 80 + 2 + 2 + 1);
}
