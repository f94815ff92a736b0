// The control plane of a training step in a parallel run (see step_control.hpp).
#include "scenario/step_control.hpp"

#include <algorithm>
#include <utility>

namespace fabricsim::scenario {
namespace {
bool ordered_before(const sim::EventId& a, const sim::EventId& b) {
  return a.at != b.at ? a.at < b.at : a.tie < b.tie;
}
}  // namespace

StepControl::StepControl(workloads::SimNetwork& network, Client& client)
    : network_(&network),
      client_(&client),
      reports_(network.partitions()),
      busy_(network.partitions(), 0) {}

sim::Time StepControl::latency() const {
  return network_->gpu().launch_latency;
}

void StepControl::schedule(sim::Time at, std::uint64_t tie, std::uint64_t arg) {
  actions_.push(Action{at, tie, arg});
}

void StepControl::launch(CollectiveRun& run, sim::Time at) {
  Flight flight{&run};
  for (std::uint32_t p = 0; p < busy_.size(); ++p) {
    if (run.idle_partition(p)) continue;
    ++busy_[p];
    ++flight.partitions_left;
  }
  flight_of_[&run] = flights_.size();
  flights_.push_back(flight);
  run.launch_at(at);
  ++events_;
}

void StepControl::on_partition_done(CollectiveRun& run, std::uint32_t partition) {
  sim::Simulator& sim = network_->partition_simulator(partition);
  reports_[partition].push_back(Report{flight_of_.at(&run), {sim.now(), sim.current_tie()}});
  // The partition's last part: it waits here until settle() knows whether the step is over.
  if (--busy_[partition] == 0) sim.stop();
}

// A report as 3 words: the flight, the time in ps, the tie.
std::vector<std::uint64_t> StepControl::reports_of(std::size_t p) const {
  std::vector<std::uint64_t> words;
  for (const Report& report : reports_[p]) {
    words.push_back(report.flight);
    words.push_back(static_cast<std::uint64_t>(report.at.at.picoseconds()));
    words.push_back(report.at.tie);
  }
  return words;
}

void StepControl::add_reports(std::size_t p, const std::vector<std::uint64_t>& words) {
  for (std::size_t i = 0; i + 2 < words.size(); i += 3) {
    reports_[p].push_back(
        Report{static_cast<std::size_t>(words[i]),
               {sim::Time::ps(static_cast<std::int64_t>(words[i + 1])), words[i + 2]}});
    --busy_[p];
  }
}

bool StepControl::settle(sim::Time upto, std::uint64_t upto_tie) {
  // The runs every partition has now finished, each at its last report.
  std::vector<std::pair<sim::EventId, std::size_t>> finished;
  for (auto& reports : reports_) {
    for (const Report& report : reports) {
      Flight& flight = flights_[report.flight];
      if (ordered_before(flight.last, report.at)) flight.last = report.at;
      if (--flight.partitions_left == 0) finished.emplace_back(flight.last, report.flight);
    }
    reports.clear();
  }
  // (Two runs never end in one event; launch order would break such a tie all the same.)
  std::sort(finished.begin(), finished.end(), [](const auto& a, const auto& b) {
    return ordered_before(a.first, b.first) ||
           (!ordered_before(b.first, a.first) && a.second < b.second);
  });
  // Those and the client's actions, in event order (acting may add actions before `upto`).
  const sim::EventId limit{upto, upto_tie};
  std::size_t next = 0;
  for (;;) {
    const bool action_due =
        !actions_.empty() && !ordered_before(limit, {actions_.top().at, actions_.top().tie});
    if (!action_due && next == finished.size()) return false;
    sim::EventId now;
    if (action_due &&
        (next == finished.size() ||
         ordered_before({actions_.top().at, actions_.top().tie}, finished[next].first))) {
      const Action action = actions_.top();
      actions_.pop();
      ++events_;
      now = {action.at, action.tie};
      client_->act(action.at, action.arg);
    } else {
      now = finished[next].first;
      flights_[finished[next].second].run->end_iteration(now.at);
      ++next;
    }
    if (client_->complete()) {
      end_ = now;
      return true;
    }
  }
}

}  // namespace fabricsim::scenario
