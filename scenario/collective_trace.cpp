// A collective's steps as Chrome trace events (see collective_trace.hpp).
#include "scenario/collective_trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <type_traits>

#include "sim/units.hpp"

namespace fabricsim::scenario {

TracedRanks traced_ops(const CollectiveRun& run) {
  const workloads::Schedule& schedule = run.schedule();
  TracedRanks out(static_cast<std::size_t>(std::min(schedule.nranks, kMaxTracedRanks)));
  for (std::size_t r = 0; r < out.size(); ++r) {
    const auto rank = static_cast<std::int32_t>(r);
    if (!run.has_executor(rank)) continue;
    const workloads::Executor& executor = run.executor(rank);
    const workloads::RankProgram& program = schedule.ranks[r];
    for (std::size_t i = 0; i < program.ops.size() && i < executor.timings().size(); ++i) {
      const auto& t = executor.timings()[i];
      if (t.start_ps < 0 || t.end_ps < 0) continue;
      const workloads::Op& op = program.ops[i];
      out[r].push_back(
          TracedOp{t.start_ps, t.end_ps, op.peer, workloads::send_target(op), op.channel, op.kind});
    }
  }
  return out;
}

void share_traced_ops(TracedRanks& ranks, sim::Exchange& x) {
  static_assert(std::is_trivially_copyable_v<TracedOp>);
  // Per rank held here: its index and op count (one TracedOp's room), then its ops.
  std::vector<std::byte> mine;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    if (ranks[r].empty()) continue;
    TracedOp header;
    header.start_ps = static_cast<std::int64_t>(r);
    header.end_ps = static_cast<std::int64_t>(ranks[r].size());
    const std::size_t at = mine.size();
    mine.resize(at + (1 + ranks[r].size()) * sizeof(TracedOp));
    std::memcpy(mine.data() + at, &header, sizeof(TracedOp));
    std::memcpy(mine.data() + at + sizeof(TracedOp), ranks[r].data(),
                ranks[r].size() * sizeof(TracedOp));
  }
  std::vector<std::vector<std::byte>> to(x.size());
  if (x.rank() != 0) to[0] = std::move(mine);
  const auto from = x.all_to_all(to);
  for (std::size_t q = 1; q < from.size() && x.rank() == 0; ++q) {
    const std::vector<std::byte>& bytes = from[q];
    std::size_t at = 0;
    while (at < bytes.size()) {
      TracedOp header;
      std::memcpy(&header, bytes.data() + at, sizeof(TracedOp));
      auto& ops = ranks.at(static_cast<std::size_t>(header.start_ps));
      ops.resize(static_cast<std::size_t>(header.end_ps));
      std::memcpy(ops.data(), bytes.data() + at + sizeof(TracedOp), ops.size() * sizeof(TracedOp));
      at += (1 + ops.size()) * sizeof(TracedOp);
    }
  }
}

std::size_t write_collective_trace(sim::TraceWriter& trace, const CollectiveRun& run,
                                   const TracedRanks& ops) {
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
  for (std::size_t r = 0; r < ops.size(); ++r) {
    const auto rank = static_cast<std::int32_t>(r);
    const auto pid = kCollectiveTracePid + 1 + static_cast<std::uint32_t>(r);
    trace.process_name(pid, fmt::format("rank {} (GPU {})", r, run.gpu(rank)));
    std::set<std::uint16_t> channels;
    for (const TracedOp& op : ops[r]) {
      if (channels.insert(op.channel).second) {
        trace.thread_name(pid, op.channel, fmt::format("channel {}", op.channel));
      }
      std::string name(workloads::to_string(op.kind));
      if (workloads::has_recv(op.kind)) name += fmt::format(" <{}", op.peer);
      if (workloads::has_send(op.kind)) name += fmt::format(" >{}", op.send_target);
      trace.complete(name, schedule.algorithm, pid, op.channel, sim::Time::ps(op.start_ps),
                     sim::Time::ps(op.end_ps - op.start_ps));
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
