// One collective on the simulated fabric (see collective_run.hpp).
#include "scenario/collective_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace fabricsim::scenario {

// The collective's events in one partition: iteration starts (arg 0) and the kernel launch
// after the launch latency (arg 1). Replicas (partitions 1..) share the home driver's id and
// schedule the same events, which count once.
class CollectiveRun::Driver final : public sim::Component {
 public:
  Driver(sim::Simulator& sim, CollectiveRun& run) : Component(sim), run_(&run) {}
  Driver(sim::Simulator& sim, const Driver& home, std::uint32_t partition)
      : Component(sim, home.component_id()), run_(home.run_), partition_(partition) {}
  std::uint32_t partition() const { return partition_; }
  void at(sim::Time t, std::uint64_t arg) { schedule_at(t, *this, arg); }
  // What the start event (arg 0) at `t` does, without it: its tie is used up as if it had been
  // scheduled, and the launch (arg 1) follows the launch latency later.
  void start_without_event(sim::Time t) {
    take_tie();
    at(t + run_->launch_latency_, 1);
  }
  void on_event(std::uint64_t arg) override {
    if (partition_ != 0) simulator().discount_event();
    run_->on_driver_event(*this, arg);
  }

 private:
  CollectiveRun* run_;
  std::uint32_t partition_ = 0;
};

CollectiveRun::CollectiveRun(workloads::SimNetwork& network, workloads::Schedule schedule,
                             std::vector<std::uint32_t> gpus, std::uint32_t iterations,
                             std::uint16_t tag_space, bool record_timings)
    : network_(&network),
      schedule_(std::move(schedule)),
      group_(network, std::move(gpus)),
      iterations_(iterations),
      tag_space_(tag_space),
      launch_latency_(network.gpu().launch_latency) {
  // Group reduces (in-switch all-reduce) need GPUs with in-switch reduction: say so now, not
  // in the middle of the run.
  if (std::string problem = group_.group_reduce_problem(schedule_); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  const std::uint32_t partitions = network.partitions();
  drivers_.push_back(std::make_unique<Driver>(network.partition_simulator(0), *this));
  for (std::uint32_t p = 1; p < partitions; ++p) {
    drivers_.push_back(
        std::make_unique<Driver>(network.partition_simulator(p), *drivers_.front(), p));
  }
  ranks_of_.resize(partitions);
  ranks_done_.assign(partitions, 0);
  executors_.resize(static_cast<std::size_t>(schedule_.nranks));
  for (std::int32_t r = 0; r < schedule_.nranks; ++r) {
    const std::uint32_t gpu = group_.endpoint(r);
    ranks_of_[network.partition_of(gpu)].push_back(r);
    if (!network.runs_gpu(gpu)) continue;
    auto executor = std::make_unique<workloads::Executor>(r, schedule_, group_.transport(r),
                                                          workloads::Buffers{},
                                                          network.clock_of(gpu), record_timings);
    executor->set_observer(this);
    executor->set_tag_space(tag_space);
    executors_[static_cast<std::size_t>(r)] = std::move(executor);
  }
  // Queue pairs exist before the run, made in an order that does not depend on partitions
  // (from every rank's program: the numbering at a GPU this process runs depends on them all).
  group_.connect(schedule_);
  // A distributed run's process keeps the programs of the ranks it runs only.
  for (std::int32_t r = 0; r < schedule_.nranks; ++r) {
    if (executors_[static_cast<std::size_t>(r)] == nullptr) {
      workloads::RankProgram& program = schedule_.ranks[static_cast<std::size_t>(r)];
      std::vector<workloads::Op>().swap(program.ops);  // (= {} would keep the capacity)
      std::vector<std::uint32_t>().swap(program.deps);
    }
  }
}

CollectiveRun::~CollectiveRun() = default;

void CollectiveRun::start_at(sim::Time at) {
  // Recorded here, not by partition 0's event: a distributed run's other processes do not run
  // partition 0.
  iteration_starts_.push_back(at);
  for (auto& driver : drivers_)
    driver->at(at, 0);
}

void CollectiveRun::set_partition_observer(CollectiveRunPartitionObserver* observer) {
  if (observer != nullptr && iterations_ != 1) {
    throw std::logic_error("CollectiveRun: a partition observer needs a single iteration");
  }
  partition_observer_ = observer;
}

void CollectiveRun::launch_at(sim::Time at) {
  iteration_starts_.push_back(at);
  std::fill(ranks_done_.begin(), ranks_done_.end(), 0U);
  for (auto& driver : drivers_)
    driver->start_without_event(at);
}

// Arg 0 starts an iteration: every rank launches its kernel (arg 1), then posts its first ops.
void CollectiveRun::on_driver_event(Driver& driver, std::uint64_t arg) {
  const std::uint32_t p = driver.partition();
  if (arg == 0) {
    ranks_done_[p] = 0;
    driver.at(driver.now() + launch_latency_, 1);
    return;
  }
  const sim::Time launched = driver.now();
  for (const std::int32_t r : ranks_of_[p]) {
    const std::uint32_t gpu = group_.endpoint(r);
    if (const workloads::GpuSlowdown* slow = network_->slowdown(gpu); slow != nullptr) {
      // The nominal launch ends now; a straggler's began as long ago and lasts longer.
      const sim::Time start = launched - launch_latency_;
      const sim::Time kernel = network_->gpu().launch_latency;
      const sim::Time scaled = slow->slows(slow->resume(start))
                                   ? workloads::scale_time(kernel, slow->launch_factor)
                                   : kernel;
      const sim::Time at = slow->end_of(start, launch_latency_ - kernel + scaled);
      if (at > launched) {
        network_->notify_at(gpu, at, *this, static_cast<std::uint64_t>(r));
        continue;
      }
    }
    start_rank(r);
  }
}

void CollectiveRun::start_rank(std::int32_t rank) {
  auto& executor = *executors_[static_cast<std::size_t>(rank)];
  if (executor.started()) executor.reset();
  executor.start();
}

void CollectiveRun::on_complete(std::uint64_t cookie) {
  start_rank(static_cast<std::int32_t>(cookie));
}

void CollectiveRun::on_executor_done(workloads::Executor& executor) {
  const std::uint32_t p = network_->partition_of(group_.endpoint(executor.rank()));
  if (++ranks_done_[p] < ranks_of_[p].size()) return;
  Driver& driver = *drivers_[p];
  if (partition_observer_ != nullptr) {
    partition_observer_->on_partition_done(*this, p);
    return;
  }
  if (drivers_.size() > 1) {
    driver.simulator().stop();  // this partition's part is done; the engine finds the last
    return;
  }
  end_iteration(driver.now());
}

void CollectiveRun::end_iteration(sim::Time end) {
  iteration_ends_.push_back(end);
  if (iteration_ends_.size() < iterations_) {
    iteration_starts_.push_back(end);
    for (auto& driver : drivers_)
      driver->at(end, 0);
  } else if (observer_ != nullptr) {
    observer_->on_collective_done(*this);
  }
}

std::string CollectiveRun::describe_pending(std::size_t max_ranks) const {
  std::string out;
  std::size_t shown = 0;
  for (const auto& executor : executors_) {
    if (executor == nullptr || !executor->started() || executor->done()) continue;
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
