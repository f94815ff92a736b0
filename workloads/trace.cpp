// Chrome trace events from Executor timings.
#include "workloads/trace.hpp"

#include <nlohmann/json.hpp>

namespace fabricsim::workloads {

void append_trace_events(const Schedule& schedule, const Executor& executor,
                         nlohmann::json& events) {
  const RankProgram& program = schedule.ranks.at(static_cast<std::size_t>(executor.rank()));
  const auto& timings = executor.timings();
  for (std::size_t i = 0; i < program.ops.size() && i < timings.size(); ++i) {
    const Executor::OpTiming& t = timings[i];
    if (t.start_ps < 0 || t.end_ps < 0) continue;
    const Op& op = program.ops[i];
    std::string name(to_string(op.kind));
    if (has_recv(op.kind)) name += " <" + std::to_string(op.peer);
    if (has_send(op.kind)) name += " >" + std::to_string(send_target(op));
    events.push_back(nlohmann::json{{"name", name},
                                    {"cat", schedule.algorithm},
                                    {"ph", "X"},
                                    {"pid", executor.rank()},
                                    {"tid", op.channel},
                                    {"ts", static_cast<double>(t.start_ps) / 1e6},
                                    {"dur", static_cast<double>(t.end_ps - t.start_ps) / 1e6},
                                    {"args", nlohmann::json{{"op", i}, {"count", op.count}}}});
  }
}

}  // namespace fabricsim::workloads
