// Flows as Chrome trace events (trace.json, viewable in Perfetto): one slice per flow on a
// track of its source NIC, so overlapping flows of one NIC get extra tracks.
#pragma once

#include <cstdint>
#include <vector>

#include "models/nic/message_observer.hpp"
#include "sim/trace.hpp"

namespace fabricsim::scenario {

// The trace process that holds the flows; other writers of the same trace (collective steps)
// use other pids.
inline constexpr std::uint32_t kFlowTracePid = 1;

// Writes a process named "flows" (pid `pid`) with a thread per (source NIC, lane): thread
// "nic S" holds the first of S's flows and every later one that starts after the previous
// ended on it, "nic S #L" the overlapping ones. Each slice is "S->D SIZE" from the flow's
// start to its completion, category "flow". Deterministic: tracks and order follow (source,
// start time, record order). Returns the number of slices written.
std::size_t write_flow_trace(sim::TraceWriter& trace, const std::vector<models::FlowRecord>& flows,
                             std::uint32_t pid = kFlowTracePid);

}  // namespace fabricsim::scenario
