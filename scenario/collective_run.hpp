// One collective on the simulated fabric: an Executor per rank over the sim transport, run
// `iterations` times back to back (the next iteration starts when every rank has finished the
// last one, as nccl-tests' timed loop does). Each iteration pays the GPU launch latency once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/simulator.hpp"
#include "workloads/executor.hpp"
#include "workloads/schedule.hpp"
#include "workloads/transports/sim/sim_transport.hpp"

namespace fabricsim::scenario {

class CollectiveRun;

// Told when every iteration of a collective has finished.
class CollectiveRunObserver {
 public:
  virtual void on_collective_done(CollectiveRun& run) = 0;

 protected:
  ~CollectiveRunObserver() = default;
};

class CollectiveRun final : public sim::Component, public workloads::ExecutorObserver {
 public:
  // `network` must outlive this. `gpus[r]` is the GPU of schedule rank r. `tag_space` must
  // differ from that of every collective that may overlap this one on the same GPUs.
  // `record_timings`: executors keep per-op start/end times (for a trace; 16 bytes per op).
  // Throws std::invalid_argument when the schedule's group reduces cannot run on those GPUs
  // (no in-switch reduction there).
  CollectiveRun(workloads::SimNetwork& network, workloads::Schedule schedule,
                std::vector<std::uint32_t> gpus, std::uint32_t iterations, std::uint16_t tag_space,
                bool record_timings = true);
  CollectiveRun(const CollectiveRun&) = delete;
  CollectiveRun& operator=(const CollectiveRun&) = delete;

  void set_observer(CollectiveRunObserver* observer) { observer_ = observer; }
  // Schedules the first iteration at `at` (>= now).
  void start_at(sim::Time at);

  bool done() const { return iteration_ends_.size() == iterations_; }
  const workloads::Schedule& schedule() const { return schedule_; }
  std::uint32_t iterations() const { return iterations_; }
  std::uint16_t tag_space() const { return tag_space_; }
  // Start and end of each finished iteration.
  const std::vector<sim::Time>& iteration_starts() const { return iteration_starts_; }
  const std::vector<sim::Time>& iteration_ends() const { return iteration_ends_; }
  // The executors of the last (or running) iteration, by rank: timings for traces (when
  // recorded).
  const workloads::Executor& executor(std::int32_t rank) const {
    return *executors_[static_cast<std::size_t>(rank)];
  }
  std::uint32_t gpu(std::int32_t rank) const { return group_.endpoint(rank); }
  // What unfinished ranks wait for (for "stopped before completion" reports).
  std::string describe_pending(std::size_t max_ranks) const;

  void on_event(std::uint64_t arg) override;
  void on_executor_done(workloads::Executor& executor) override;

 private:
  workloads::SimNetwork* network_;
  workloads::Schedule schedule_;
  workloads::SimGroup group_;
  std::vector<std::unique_ptr<workloads::Executor>> executors_;
  CollectiveRunObserver* observer_ = nullptr;
  std::uint32_t iterations_;
  std::uint16_t tag_space_;
  std::uint32_t ranks_done_ = 0;
  std::vector<sim::Time> iteration_starts_;
  std::vector<sim::Time> iteration_ends_;
};

}  // namespace fabricsim::scenario
