// Flows as Chrome trace events (see trace_output.hpp).
#include "scenario/trace_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "sim/units.hpp"

namespace fabricsim::scenario {

std::size_t write_flow_trace(sim::TraceWriter& trace, const std::vector<models::FlowRecord>& flows,
                             std::uint32_t pid) {
  trace.process_name(pid, "flows");
  std::vector<std::size_t> order(flows.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&flows](std::size_t a, std::size_t b) {
    if (flows[a].src != flows[b].src) return flows[a].src < flows[b].src;
    return flows[a].start < flows[b].start;
  });
  std::uint32_t next_tid = 0;
  std::size_t i = 0;
  while (i < order.size()) {
    // One source NIC: greedy lanes, the first lane free at the flow's start.
    const auto src = flows[order[i]].src;
    std::vector<sim::Time> lane_end;
    std::vector<std::uint32_t> lane_tid;
    for (; i < order.size() && flows[order[i]].src == src; ++i) {
      const auto& f = flows[order[i]];
      std::size_t lane = 0;
      while (lane < lane_end.size() && lane_end[lane] > f.start)
        ++lane;
      if (lane == lane_end.size()) {
        lane_end.push_back(f.start);
        lane_tid.push_back(next_tid);
        trace.thread_name(
            pid, next_tid,
            lane == 0 ? fmt::format("nic {}", src) : fmt::format("nic {} #{}", src, lane));
        ++next_tid;
      }
      lane_end[lane] = f.end;
      trace.complete(fmt::format("{}->{} {}", f.src, f.dst, sim::format_bytes(f.bytes)), "flow",
                     pid, lane_tid[lane], f.start, f.end - f.start);
    }
  }
  return flows.size();
}

}  // namespace fabricsim::scenario
