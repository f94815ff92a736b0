// One collective on the simulated fabric (see collective_run.hpp).
#include "scenario/collective_run.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace fabricsim::scenario {

CollectiveRun::CollectiveRun(workloads::SimNetwork& network, workloads::Schedule schedule,
                             std::vector<std::uint32_t> gpus, std::uint32_t iterations,
                             std::uint16_t tag_space, bool record_timings)
    : Component(network.simulator()),
      network_(&network),
      schedule_(std::move(schedule)),
      group_(network, std::move(gpus)),
      iterations_(iterations),
      tag_space_(tag_space) {
  // Group reduces (in-switch all-reduce) need GPUs with in-switch reduction: say so now, not
  // in the middle of the run.
  if (std::string problem = group_.group_reduce_problem(schedule_); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  executors_.reserve(static_cast<std::size_t>(schedule_.nranks));
  for (std::int32_t r = 0; r < schedule_.nranks; ++r) {
    auto executor = std::make_unique<workloads::Executor>(
        r, schedule_, group_.transport(r), workloads::Buffers{}, network, record_timings);
    executor->set_observer(this);
    executor->set_tag_space(tag_space);
    executors_.push_back(std::move(executor));
  }
}

void CollectiveRun::start_at(sim::Time at) {
  schedule_at(at, *this, 0);
}

// Starts an iteration: every rank launches its kernel, then posts its first ops.
void CollectiveRun::on_event(std::uint64_t arg) {
  if (arg == 0) {
    iteration_starts_.push_back(now());
    ranks_done_ = 0;
    schedule_in(network_->gpu().launch_latency, *this, 1);
    return;
  }
  for (auto& executor : executors_) {
    if (executor->started()) executor->reset();
    executor->start();
  }
}

void CollectiveRun::on_executor_done(workloads::Executor& /*executor*/) {
  if (++ranks_done_ < executors_.size()) return;
  iteration_ends_.push_back(now());
  if (iteration_ends_.size() < iterations_) {
    schedule_at(now(), *this, 0);
  } else if (observer_ != nullptr) {
    observer_->on_collective_done(*this);
  }
}

std::string CollectiveRun::describe_pending(std::size_t max_ranks) const {
  std::string out;
  std::size_t shown = 0;
  for (const auto& executor : executors_) {
    if (!executor->started() || executor->done()) continue;
    if (shown++ == max_ranks) {
      out += "  ...\n";
      break;
    }
    out += fmt::format("  rank {} (GPU {}): {}/{} ops done\n{}", executor->rank(),
                       group_.endpoint(executor->rank()), executor->ops_done(),
                       executor->ops_total(), executor->describe_pending(3));
  }
  return out;
}

}  // namespace fabricsim::scenario
