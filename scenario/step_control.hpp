// The control plane of a training step in a parallel run (sim::ControlPlane): partitions report
// their ranks of a phase's collective done; between windows it finds the collectives done in
// every partition and hands them to the step in event order, among the step's own actions
// (phase starts, compute ends). What the step then starts launches a launch latency later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <queue>
#include <unordered_map>
#include <vector>

#include "scenario/collective_run.hpp"
#include "sim/parallel.hpp"
#include "workloads/transports/sim/sim_transport.hpp"

namespace fabricsim::scenario {

class StepControl final : public sim::ControlPlane, public CollectiveRunPartitionObserver {
 public:
  // The step: runs its own actions (the events a single simulator would run for it) and says
  // when it is complete.
  class Client {
   public:
    virtual void act(sim::Time at, std::uint64_t arg) = 0;
    virtual bool complete() const = 0;

   protected:
    ~Client() = default;
  };

  // `network` and `client` must outlive this.
  StepControl(workloads::SimNetwork& network, Client& client);

  // One of the client's actions at `at`, ordered by `tie` (the tie its event would have had).
  void schedule(sim::Time at, std::uint64_t tie, std::uint64_t arg);
  // Starts `run` (a single iteration, reporting here) at `at`: before the run, or at the
  // instant being acted on. Its start event counts as one event.
  void launch(CollectiveRun& run, sim::Time at);

  sim::Time latency() const override;
  bool busy(std::size_t p) const override { return busy_[p] != 0; }
  sim::Time next_at() const override {
    return actions_.empty() ? sim::Time::max() : actions_.top().at;
  }
  std::size_t pending() const override { return actions_.size(); }
  bool settle(sim::Time upto, std::uint64_t upto_tie) override;
  sim::EventId end() const override { return end_; }
  std::uint64_t events() const override { return events_; }
  std::vector<std::uint64_t> reports_of(std::size_t p) const override;
  void add_reports(std::size_t p, const std::vector<std::uint64_t>& words) override;

  void on_partition_done(CollectiveRun& run, std::uint32_t partition) override;

 private:
  struct Action {
    sim::Time at;
    std::uint64_t tie;
    std::uint64_t arg;
    bool operator>(const Action& o) const { return at != o.at ? at > o.at : tie > o.tie; }
  };
  // A launched run: partitions still to report, and the latest report so far.
  struct Flight {
    CollectiveRun* run;
    std::uint32_t partitions_left = 0;
    sim::EventId last{sim::Time::zero(), 0};
  };
  struct Report {
    std::size_t flight;
    sim::EventId at;
  };

  workloads::SimNetwork* network_;
  Client* client_;
  std::priority_queue<Action, std::vector<Action>, std::greater<>> actions_;
  std::vector<Flight> flights_;
  // Read by partition threads during windows, written only by settle() and launches.
  std::unordered_map<const CollectiveRun*, std::size_t> flight_of_;
  std::vector<std::vector<Report>> reports_;  // per partition, appended by its own thread
  std::vector<std::uint32_t> busy_;           // per partition: flights it has not finished
  std::uint64_t events_ = 0;
  sim::EventId end_{sim::Time::max(), 0};
};

}  // namespace fabricsim::scenario
