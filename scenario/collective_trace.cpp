// A collective's steps as Chrome trace events (see collective_trace.hpp).
#include "scenario/collective_trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "sim/units.hpp"

namespace fabricsim::scenario {

std::size_t write_collective_trace(sim::TraceWriter& trace, const CollectiveRun& run) {
  const workloads::Schedule& schedule = run.schedule();
  const std::string title =
      fmt::format("{} {} {}", workloads::to_string(schedule.op), schedule.algorithm,
                  sim::format_bytes(workloads::collective_bytes(schedule)));
  std::size_t slices = 0;
  trace.process_name(kCollectiveTracePid, "collective");
  trace.thread_name(kCollectiveTracePid, 0, "iterations");
  for (std::size_t i = 0; i < run.iteration_ends().size(); ++i) {
    trace.complete(fmt::format("{} #{}", title, i), "collective", kCollectiveTracePid, 0,
                   run.iteration_starts()[i], run.iteration_ends()[i] - run.iteration_starts()[i]);
    ++slices;
  }
  const std::int32_t traced = std::min(schedule.nranks, kMaxTracedRanks);
  for (std::int32_t r = 0; r < traced; ++r) {
    const auto pid = kCollectiveTracePid + 1 + static_cast<std::uint32_t>(r);
    const workloads::Executor& executor = run.executor(r);
    const workloads::RankProgram& program = schedule.ranks[static_cast<std::size_t>(r)];
    trace.process_name(pid, fmt::format("rank {} (GPU {})", r, run.gpu(r)));
    std::set<std::uint16_t> channels;
    for (std::size_t i = 0; i < program.ops.size() && i < executor.timings().size(); ++i) {
      const auto& t = executor.timings()[i];
      if (t.start_ps < 0 || t.end_ps < 0) continue;
      const workloads::Op& op = program.ops[i];
      if (channels.insert(op.channel).second) {
        trace.thread_name(pid, op.channel, fmt::format("channel {}", op.channel));
      }
      std::string name(workloads::to_string(op.kind));
      if (workloads::has_recv(op.kind)) name += fmt::format(" <{}", op.peer);
      if (workloads::has_send(op.kind)) name += fmt::format(" >{}", workloads::send_target(op));
      trace.complete(name, schedule.algorithm, pid, op.channel, sim::Time::ps(t.start_ps),
                     sim::Time::ps(t.end_ps - t.start_ps));
      ++slices;
    }
  }
  return slices;
}

std::size_t write_phase_trace(sim::TraceWriter& trace, const std::vector<PhaseResult>& phases) {
  trace.process_name(kCollectiveTracePid, "training step");
  std::size_t slices = 0;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const PhaseResult& p = phases[i];
    const auto tid = static_cast<std::uint32_t>(i);
    trace.thread_name(kCollectiveTracePid, tid, p.name);
    if (p.start_ps < 0 || p.end_ps < 0) continue;
    trace.complete(p.name, p.kind, kCollectiveTracePid, tid, sim::Time::ps(p.start_ps),
                   sim::Time::ps(p.end_ps - p.start_ps));
    ++slices;
  }
  return slices;
}

}  // namespace fabricsim::scenario
