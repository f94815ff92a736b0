// A training step on the simulated fabric: phases (compute gaps and collectives on named GPU
// groups) in the order their "after" lists give. A collective phase runs its collective on
// every group of its family at once (one CollectiveRun per group, tag space = phase + 1) and
// ends when the last group ends; a compute phase holds every GPU for its duration (a straggler's
// for its compute factor x the duration, and its stall: the phase ends with the slowest GPU).
//
// Parallel runs (the network's fabric split into partitions): the step's own events run in its
// control plane (control_plane(), a StepControl), which learns from the partitions where each
// group's collective ended and acts between windows; ending a phase there starts the next one at
// the exact instant a single simulator would, since its kernels launch a launch latency later.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "scenario/collective_run.hpp"
#include "scenario/results.hpp"
#include "scenario/scenario.hpp"
#include "scenario/step_control.hpp"

namespace fabricsim::scenario {

// The groups of a family over `gpu_count` GPUs. Throws ConfigError (at /workload/groups/NAME)
// when the family does not tile the GPUs, names a GPU out of range, or lists one twice.
std::vector<std::vector<std::uint32_t>> resolve_groups(const GroupFamily& family,
                                                       std::uint64_t gpu_count,
                                                       const std::string& source);

class TrainingStepRun;

// Told when every phase of a training step has ended.
class TrainingStepObserver {
 public:
  virtual void on_training_step_done(TrainingStepRun& run) = 0;

 protected:
  ~TrainingStepObserver() = default;
};

class TrainingStepRun final : public sim::Component,
                              public CollectiveRunObserver,
                              public StepControl::Client {
 public:
  // Generates every phase's schedules now (bad settings throw ConfigError naming `source`).
  // `network` must outlive this.
  TrainingStepRun(workloads::SimNetwork& network, const TrainingStepSpec& spec,
                  const topologies::TopologySpec& topology, std::uint64_t gpu_count,
                  const std::string& source);
  TrainingStepRun(const TrainingStepRun&) = delete;
  TrainingStepRun& operator=(const TrainingStepRun&) = delete;
  ~TrainingStepRun();

  // Single-simulator runs: told when the step is done.
  void set_observer(TrainingStepObserver* observer) { observer_ = observer; }
  // Parallel runs: what the engine runs the step with (sim::ParallelEngine::set_control_plane);
  // nullptr on a single simulator. Owned by this.
  sim::ControlPlane* control_plane() { return control_.get(); }
  void start_at(sim::Time at);
  bool done() const { return phases_done_ == phases_.size(); }

  // Per phase: timing, and for collectives one results entry (time = the phase's duration).
  std::vector<PhaseResult> phase_results() const;
  std::vector<CollectiveResult> collective_results() const;

  void on_event(std::uint64_t arg) override;  // a phase starts, or a compute phase ends
  void on_collective_done(CollectiveRun& run) override;
  void act(sim::Time at, std::uint64_t arg) override;  // on_event at `at`
  bool complete() const override { return done(); }

 private:
  struct Phase {
    const PhaseSpec* spec;
    std::vector<std::unique_ptr<CollectiveRun>> runs;  // one per group
    std::vector<std::size_t> dependents;
    std::size_t waiting_for = 0;  // phases in `after` not ended yet
    std::size_t runs_left = 0;
    sim::Time start = sim::Time::max();
    sim::Time end = sim::Time::max();
  };

  // One of the step's own events: scheduled, or kept by the control plane.
  void schedule_action(sim::Time at, std::uint64_t arg);
  void start_phase(std::size_t index, sim::Time at);
  void end_phase(std::size_t index, sim::Time at);

  workloads::SimNetwork* network_;
  std::vector<Phase> phases_;
  std::unique_ptr<StepControl> control_;
  TrainingStepObserver* observer_ = nullptr;
  std::size_t phases_done_ = 0;
};

}  // namespace fabricsim::scenario
