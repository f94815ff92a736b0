// One collective on the simulated fabric: an Executor per rank over the sim transport, run
// `iterations` times back to back (the next iteration starts when every rank has finished the
// last one, as nccl-tests' timed loop does). Each iteration pays the GPU launch latency once.
//
// Parallel runs (the network's fabric split into partitions): the collective's events run in
// one replica of its driver per partition (same component id, same events), each starting the
// ranks whose GPUs its partition holds. When a partition's ranks have all finished an iteration
// it stops its simulator: with ParallelEngine::stop_when_all_done the engine then returns at
// the iteration's last completion, and the caller hands that time to end_iteration(). Under a
// control plane (a training step's phases) it tells a partition observer instead.
//
// A straggler GPU (SimNetwork::set_slowdown) launches its kernel later: launch_factor x the
// GPU's launch latency (the protocol's base latency is not scaled), pausing for its stall. Its
// rank then starts from an event of its GPU (SimNetwork::notify_at), in its own partition.
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

// Parallel runs under a control plane: told, on partition p's thread and during the event
// that finished it, that every rank of partition p has finished the running iteration.
class CollectiveRunPartitionObserver {
 public:
  virtual void on_partition_done(CollectiveRun& run, std::uint32_t partition) = 0;

 protected:
  ~CollectiveRunPartitionObserver() = default;
};

class CollectiveRun final : public workloads::ExecutorObserver,
                            private workloads::CompletionListener {
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
  ~CollectiveRun();

  void set_observer(CollectiveRunObserver* observer) { observer_ = observer; }
  // The GPU-side model of the collective's sends (workloads/nccl/, the protocol's costs) and
  // its base latency, paid once per iteration on top of the kernel launch. Before the run.
  void set_gpu_model(const workloads::SendCosts& costs, sim::Time base_latency,
                     std::string protocol, std::string nccl_algorithm) {
    group_.set_send_costs(costs);
    launch_latency_ = network_->gpu().launch_latency + base_latency;
    protocol_ = std::move(protocol);
    nccl_algorithm_ = std::move(nccl_algorithm);
  }
  const std::string& protocol() const { return protocol_; }  // "ideal" unless set
  // NCCL's algorithm for this collective per its tuner (empty with the ideal protocol).
  const std::string& nccl_algorithm() const { return nccl_algorithm_; }
  // Single-iteration runs only: partitions report their ranks done to `observer`, whose
  // control plane then calls end_iteration() (see launch_at).
  void set_partition_observer(CollectiveRunPartitionObserver* observer);
  // Schedules the first iteration at `at` (>= now).
  void start_at(sim::Time at);
  // Under a control plane: starts the iteration at `at` although partitions may have run past
  // it (none past `at` + the launch latency): does now what the start event at `at` would do,
  // in every partition. That event is not run: the caller counts it.
  void launch_at(sim::Time at);
  // Parallel runs: every rank finished the running iteration, the last at `end` (the end of
  // ParallelEngine::run); starts the next one then, or tells the observer all are done.
  void end_iteration(sim::Time end);
  // Parallel runs: whether partition p holds none of the ranks (it has nothing to finish).
  bool idle_partition(std::uint32_t p) const { return ranks_of_[p].empty(); }

  bool done() const { return iteration_ends_.size() == iterations_; }
  const workloads::Schedule& schedule() const { return schedule_; }
  std::uint32_t iterations() const { return iterations_; }
  std::uint16_t tag_space() const { return tag_space_; }
  // Start of each started iteration (those scheduled included) and end of each finished one.
  const std::vector<sim::Time>& iteration_starts() const { return iteration_starts_; }
  const std::vector<sim::Time>& iteration_ends() const { return iteration_ends_; }
  // The executors of the last (or running) iteration, by rank: timings for traces (when
  // recorded). A distributed run's process has those of the ranks it runs only (has_executor),
  // and the schedule's programs of those ranks only.
  bool has_executor(std::int32_t rank) const {
    return executors_[static_cast<std::size_t>(rank)] != nullptr;
  }
  const workloads::Executor& executor(std::int32_t rank) const {
    return *executors_[static_cast<std::size_t>(rank)];
  }
  std::uint32_t gpu(std::int32_t rank) const { return group_.endpoint(rank); }
  // What unfinished ranks wait for (for "stopped before completion" reports).
  std::string describe_pending(std::size_t max_ranks) const;

  void on_executor_done(workloads::Executor& executor) override;

 private:
  class Driver;
  void on_driver_event(Driver& driver, std::uint64_t arg);
  void start_rank(std::int32_t rank);
  // A straggler's rank launched late (cookie = rank).
  void on_complete(std::uint64_t cookie) override;

  workloads::SimNetwork* network_;
  workloads::Schedule schedule_;
  workloads::SimGroup group_;
  std::vector<std::unique_ptr<workloads::Executor>> executors_;
  CollectiveRunObserver* observer_ = nullptr;
  std::uint32_t iterations_;
  std::uint16_t tag_space_;
  sim::Time launch_latency_;  // the GPU's kernel launch + the protocol's base latency
  std::string protocol_ = "ideal";
  std::string nccl_algorithm_;
  CollectiveRunPartitionObserver* partition_observer_ = nullptr;
  std::vector<std::unique_ptr<Driver>> drivers_;     // per partition; [0] is the home one
  std::vector<std::vector<std::int32_t>> ranks_of_;  // per partition, ascending
  std::vector<std::uint32_t> ranks_done_;            // per partition, in this iteration
  std::vector<sim::Time> iteration_starts_;
  std::vector<sim::Time> iteration_ends_;
};

}  // namespace fabricsim::scenario
