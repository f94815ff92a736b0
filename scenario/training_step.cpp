// A training step on the simulated fabric (see training_step.hpp).
#include "scenario/training_step.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "scenario/collective_workload.hpp"
#include "scenario/gpu_model.hpp"
#include "topologies/config_error.hpp"

namespace fabricsim::scenario {

using topologies::JsonLocation;

std::vector<std::vector<std::uint32_t>> resolve_groups(const GroupFamily& family,
                                                       std::uint64_t gpu_count,
                                                       const std::string& source) {
  const JsonLocation at{source, "/workload/groups/" + family.name};
  std::vector<std::vector<std::uint32_t>> groups = family.lists;
  if (groups.empty()) {
    const std::uint64_t block = std::uint64_t{family.size} * family.stride;
    if (block == 0 || gpu_count % block != 0) {
      topologies::throw_config_error(
          at, nlohmann::json{{"size", family.size}, {"stride", family.stride}},
          fmt::format("size x stride dividing the {} GPUs", gpu_count));
    }
    for (std::uint64_t base = 0; base < gpu_count; base += block) {
      for (std::uint64_t offset = 0; offset < family.stride; ++offset) {
        std::vector<std::uint32_t> g;
        for (std::uint64_t k = 0; k < family.size; ++k)
          g.push_back(static_cast<std::uint32_t>(base + offset + k * family.stride));
        groups.push_back(std::move(g));
      }
    }
    return groups;
  }
  std::vector<bool> seen(gpu_count, false);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    for (std::size_t k = 0; k < groups[i].size(); ++k) {
      const std::uint32_t gpu = groups[i][k];
      if (gpu >= gpu_count) {
        topologies::throw_config_error(at.index(i).index(k), gpu,
                                       fmt::format("a GPU id below {}", gpu_count));
      }
      if (seen[gpu]) {
        topologies::throw_config_error(at.index(i).index(k), gpu, "each GPU in one group only");
      }
      seen[gpu] = true;
    }
  }
  return groups;
}

TrainingStepRun::TrainingStepRun(workloads::SimNetwork& network, const TrainingStepSpec& spec,
                                 const topologies::TopologySpec& topology, std::uint64_t gpu_count,
                                 const std::string& source)
    : Component(network.simulator()), network_(&network) {
  if (network.partitions() > 1) control_ = std::make_unique<StepControl>(network, *this);
  phases_.resize(spec.phases.size());
  for (std::size_t i = 0; i < spec.phases.size(); ++i) {
    const PhaseSpec& ps = spec.phases[i];
    Phase& phase = phases_[i];
    phase.spec = &ps;
    phase.waiting_for = ps.after.size();
    for (const std::size_t dep : ps.after)
      phases_[dep].dependents.push_back(i);
    if (ps.compute) continue;
    const JsonLocation at{source, fmt::format("/workload/phases/{}/collective", i)};
    std::vector<std::vector<std::uint32_t>> groups;
    if (ps.group.empty()) {
      groups.push_back(collective_gpus(ps.collective, gpu_count, at));
    } else {
      const auto family = std::find_if(spec.groups.begin(), spec.groups.end(),
                                       [&](const GroupFamily& f) { return f.name == ps.group; });
      groups = resolve_groups(*family, gpu_count, source);
    }
    for (auto& gpus : groups) {
      const auto nranks = static_cast<std::int32_t>(gpus.size());
      const GpuModel model = resolve_gpu_model(ps.collective, nranks, topology, at);
      auto schedule = collective_schedule(model.spec, nranks, topology, at, model.protocol);
      // Tag space = phase + 1: overlapping phases never match each other's messages, and a
      // finished run names its phase. The phase trace needs no per-op timings.
      std::unique_ptr<CollectiveRun> run;
      try {
        run = std::make_unique<CollectiveRun>(network, std::move(schedule), std::move(gpus), 1,
                                              static_cast<std::uint16_t>(i + 1), false);
      } catch (const std::invalid_argument& e) {
        throw topologies::ConfigError(
            fmt::format("{}: {}", at.child("algorithm").where(), e.what()));
      }
      apply_gpu_model(*run, model, topology.gpu_params.nccl);
      run->set_observer(this);
      if (control_) run->set_partition_observer(control_.get());
      phase.runs.push_back(std::move(run));
    }
  }
}

TrainingStepRun::~TrainingStepRun() = default;

void TrainingStepRun::schedule_action(sim::Time at, std::uint64_t arg) {
  if (control_) {
    control_->schedule(at, take_tie(), arg);
  } else {
    schedule_at(at, *this, arg);
  }
}

void TrainingStepRun::start_at(sim::Time at) {
  // Phases without predecessors start at `at`, through a zero-length wait.
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    if (phases_[i].waiting_for == 0) schedule_action(at, (std::uint64_t{1} << 32) | i);
  }
}

void TrainingStepRun::start_phase(std::size_t index, sim::Time at) {
  Phase& phase = phases_[index];
  phase.start = at;
  if (phase.spec->compute) {
    // Every GPU computes; the phase ends with the slowest (a straggler's compute factor, its
    // stall).
    sim::Time end = at + phase.spec->duration;
    for (const models::EndpointId gpu : network_->slowed_gpus()) {
      const workloads::GpuSlowdown& slow = *network_->slowdown(gpu);
      end = std::max(end, slow.end_of(at, phase.spec->duration, slow.compute_factor));
    }
    schedule_action(end, index);
    return;
  }
  phase.runs_left = phase.runs.size();
  for (auto& run : phase.runs) {
    if (control_) {
      control_->launch(*run, at);
    } else {
      run->start_at(at);
    }
  }
}

void TrainingStepRun::end_phase(std::size_t index, sim::Time at) {
  Phase& phase = phases_[index];
  phase.end = at;
  ++phases_done_;
  if (done() && observer_ != nullptr) observer_->on_training_step_done(*this);
  for (const std::size_t next : phase.dependents) {
    if (--phases_[next].waiting_for == 0) start_phase(next, at);
  }
}

void TrainingStepRun::on_event(std::uint64_t arg) {
  act(now(), arg);
}

void TrainingStepRun::act(sim::Time at, std::uint64_t arg) {
  const auto index = static_cast<std::size_t>(arg & 0xFFFFFFFFU);
  if ((arg >> 32) != 0) {
    start_phase(index, at);
  } else {
    end_phase(index, at);  // a compute phase's duration is over
  }
}

void TrainingStepRun::on_collective_done(CollectiveRun& run) {
  const std::size_t index = run.tag_space() - 1U;
  if (--phases_[index].runs_left == 0) end_phase(index, run.iteration_ends().back());
}

std::vector<PhaseResult> TrainingStepRun::phase_results() const {
  std::vector<PhaseResult> out;
  for (const Phase& phase : phases_) {
    PhaseResult p;
    p.name = phase.spec->name;
    p.kind = phase.spec->compute ? "compute" : "collective";
    p.groups = static_cast<std::uint32_t>(phase.runs.size());
    p.start_ps = phase.start == sim::Time::max() ? -1 : phase.start.picoseconds();
    p.end_ps = phase.end == sim::Time::max() ? -1 : phase.end.picoseconds();
    out.push_back(p);
  }
  return out;
}

std::vector<CollectiveResult> TrainingStepRun::collective_results() const {
  std::vector<CollectiveResult> out;
  for (const Phase& phase : phases_) {
    if (phase.spec->compute || phase.runs.empty() || phase.end == sim::Time::max()) continue;
    out.push_back(collective_result(phase.runs.front()->schedule(),
                                    (phase.end - phase.start).picoseconds(),
                                    phase.runs.front()->protocol()));
    out.back().phase = phase.spec->name;
    out.back().groups = static_cast<std::uint32_t>(phase.runs.size());
  }
  return out;
}

}  // namespace fabricsim::scenario
