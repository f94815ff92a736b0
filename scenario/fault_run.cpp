// Faults in a scenario run (see fault_run.hpp).
#include "scenario/fault_run.hpp"

#include <fmt/format.h>

#include "sim/trace.hpp"

namespace fabricsim::scenario {

namespace {
std::int64_t ps_or_none(sim::Time t) {
  return t == sim::Time::max() ? -1 : t.picoseconds();
}
constexpr std::uint32_t kFaultTracePid = 900'000;  // beside the collective and flow tracks
}  // namespace

FaultRun::FaultRun(const Scenario& s, const topologies::NetworkGraph& graph,
                   const topologies::Routes& routes, models::Fabric& fabric, sim::Simulator& home) {
  if (!s.faults.configured) return;
  setup_ = plan_faults(s.faults, graph, s.seed, s.stop_at);
  converge_ = s.faults.converge;
  stragglers_ = s.faults.stragglers.size();
  std::vector<std::vector<std::uint32_t>> down_ports;
  for (const auto& step : setup_.plan->down_links) {
    auto& ports = down_ports.emplace_back();
    for (const std::uint32_t link : step)
      ports.push_back(setup_.link_port[link]);
  }
  std::uint32_t installing = 0;  // the switches this process runs install every step
  for (std::uint32_t sw = 0; sw < fabric.switch_count(); ++sw)
    installing += fabric.runs_partition(fabric.switch_partition(sw)) ? 1U : 0U;
  routes_ =
      std::make_unique<topologies::FaultRoutes>(graph, routes, std::move(down_ports), installing);
  injector_ = std::make_unique<models::FaultInjector>(home, fabric, setup_.plan, routes_.get());
}

void FaultRun::add_replicas(sim::ParallelEngine& engine) {
  if (injector_ == nullptr) return;
  for (std::uint32_t p = 1; p < engine.size(); ++p) {
    replicas_.push_back(
        std::make_unique<models::FaultInjector>(engine.simulator(p), *injector_, p));
  }
}

void FaultRun::report(Results& r, const models::FabricCounters& c,
                      const Results* fault_free) const {
  if (injector_ == nullptr) return;
  const models::FaultPlan& plan = *setup_.plan;
  FaultSummary& f = r.faults;
  f.configured = true;
  f.detection_ps = plan.detection.picoseconds();
  f.convergence_ps = converge_ ? plan.convergence.picoseconds() : -1;
  // Faults planned after the run ended (a flap process's tail) never happened: counted apart.
  f.planned_events = plan.faults.size();
  f.events = 0;
  for (const models::FaultRecord& e : plan.faults)
    f.events += e.at.picoseconds() <= r.sim_time_ps ? 1U : 0U;
  f.link_outages = c.link_failures / 2;
  f.packets_blackholed =
      c.drops_by_reason[static_cast<std::size_t>(models::DropReason::kBlackHole)];
  f.packets_link_down = c.drops_by_reason[static_cast<std::size_t>(models::DropReason::kLinkDown)];
  f.lost_bytes = c.fault_lost_bytes;
  f.stragglers = stragglers_;
  f.timeline.clear();
  for (const models::FaultRecord& e : plan.faults) {
    if (f.timeline.size() == FaultSummary::kMaxTimeline) break;
    if (e.at.picoseconds() > r.sim_time_ps) continue;
    f.timeline.push_back(FaultEventResult{
        e.kind, e.target, e.at.picoseconds(), ps_or_none(e.detected), ps_or_none(e.converged),
        ps_or_none(e.restored), ps_or_none(e.reconverged), e.links});
  }
  if (fault_free == nullptr) return;
  f.fault_free_time_ps = fault_free->sim_time_ps;
  // A workload cut short (a QP error, stop_at) has no completion time to compare.
  f.slowdown =
      r.completed && fault_free->completed && fault_free->sim_time_ps > 0
          ? static_cast<double>(r.sim_time_ps) / static_cast<double>(fault_free->sim_time_ps)
          : -1.0;
  if (r.flows.count > 0) {
    f.fault_free_fct_p99_ps = fault_free->flows.fct_p99_ps;
    f.fct_p99_slowdown = fault_free->flows.fct_p99_ps > 0
                             ? static_cast<double>(r.flows.fct_p99_ps) /
                                   static_cast<double>(fault_free->flows.fct_p99_ps)
                             : -1.0;
  }
}

void FaultRun::write_trace(sim::TraceWriter& trace) const {
  if (injector_ == nullptr) return;
  const models::FaultPlan& plan = *setup_.plan;
  trace.process_name(kFaultTracePid, "faults");
  trace.thread_name(kFaultTracePid, 0, "faults");
  for (const models::FaultRecord& e : plan.faults) {
    const std::string name = fmt::format("{} {}", e.kind, e.target);
    const sim::Time end = e.restored == sim::Time::max() ? e.at : e.restored;
    trace.complete(name, "fault", kFaultTracePid, 0, e.at, end - e.at);
    if (e.detected != sim::Time::max()) {
      trace.instant("detected: " + e.target, "fault", kFaultTracePid, 0, e.detected);
    }
    if (e.converged != sim::Time::max()) {
      trace.instant("routes converged around " + e.target, "fault", kFaultTracePid, 0, e.converged);
    }
  }
}

Scenario without_faults(const Scenario& s) {
  Scenario copy = s;
  copy.faults = FaultSpec{};
  copy.document.erase("faults");
  return copy;
}

}  // namespace fabricsim::scenario
