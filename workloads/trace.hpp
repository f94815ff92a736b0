// Chrome trace-event JSON of a finished Executor's ops (one complete "X" event per op: pid =
// rank, tid = channel, name = op kind and peer), for trace.json next to the results. Times
// come from the Executor's injected clock (picoseconds) and are written in microseconds.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "workloads/executor.hpp"
#include "workloads/schedule.hpp"

namespace fabricsim::workloads {

// Appends one event per op that ran to `events` (a JSON array). `executor` must have run
// `schedule`'s program of its rank.
void append_trace_events(const Schedule& schedule, const Executor& executor,
                         nlohmann::json& events);

}  // namespace fabricsim::workloads
