// The scenario runner (see runner.hpp): the single-simulator run; parallel and distributed
// runs are in parallel_runner.cpp.
#include "scenario/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "models/fabric.hpp"
#include "scenario/collective_trace.hpp"
#include "scenario/collective_workload.hpp"
#include "scenario/fault_run.hpp"
#include "scenario/parallel_runner.hpp"
#include "scenario/progress.hpp"
#include "scenario/run_support.hpp"
#include "scenario/timeseries.hpp"
#include "scenario/trace_output.hpp"
#include "sim/simulator.hpp"
#include "sim/trace.hpp"
#include "sim/units.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"

namespace fabricsim::scenario {

Results run_scenario(const Scenario& s, const RunOptions& options) {
  if (options.compare_fault_free && s.faults.configured) {
    // A bad fault spec (a switch that does not exist) is reported before the fault-free run.
    plan_faults(s.faults, topologies::build_graph(s.topology), s.seed, s.stop_at);
    RunOptions clean = options;
    clean.compare_fault_free = false;
    clean.out_dir.clear();
    clean.progress = false;
    const Results fault_free = run_scenario(without_faults(s), clean);
    RunOptions faulted = options;
    faulted.compare_fault_free = false;
    faulted.fault_free = &fault_free;
    return run_scenario(s, faulted);
  }
  const unsigned threads = options.threads != 0 ? options.threads : s.threads;
  if (options.distributed != nullptr) return run_parallel(s, options);
  if (threads > 1) {
    RunOptions parallel = options;
    parallel.threads = threads;
    return run_parallel(s, parallel);
  }
  const auto wall_start = std::chrono::steady_clock::now();
  const auto graph = topologies::build_graph(s.topology);
  const auto routes = topologies::compute_routes(graph);
  sim::Simulator sim(s.seed);
  auto fabric = topologies::build_fabric(graph, routes, sim);

  Results r = base_results(s, graph);

  std::vector<FlowSpec> flows;
  GpuWorkload gpu_workload;
  StopWhenDone stop_when_done(sim);
  if (is_flow_workload(s.workload.kind)) flows = workload_flows(s, graph, sim);
  check_workload_connected(s, graph, flows);
  if (!is_flow_workload(s.workload.kind)) {
    gpu_workload = make_gpu_workload(s, graph, *fabric);
    if (gpu_workload.training) {
      gpu_workload.training->set_observer(&stop_when_done);
      gpu_workload.training->start_at(sim::Time::zero());
    } else {
      gpu_workload.collective->set_observer(&stop_when_done);
      gpu_workload.collective->start_at(sim::Time::zero());
    }
  }
  const TrainingStepRun* training = gpu_workload.training.get();
  const CollectiveRun* collective = gpu_workload.collective.get();
  r.flows.count = flows.size();
  for (const auto& f : flows)
    r.flows.bytes += f.bytes;
  if (!gpu_workload.network) {
    stop_when_done.expect_flows(r.flows.count);
    fabric->set_observer(&stop_when_done);
  }
  FlowStarter starter(sim, *fabric, FlowStarter::sort_flows(std::move(flows)));
  const FaultRun faults(s, graph, routes, *fabric, sim);

  std::unique_ptr<TimeSeriesRecorder> timeseries;
  if (s.outputs.timeseries_interval > sim::Time::zero()) {
    timeseries = std::make_unique<TimeSeriesRecorder>(sim, *fabric, s.outputs, s.source);
    if (gpu_workload.network) timeseries->count_qps_from_first_use();
    timeseries->start();
  }

  std::unique_ptr<ProgressLine> progress;
  if (options.progress) {
    const std::uint64_t total = r.flows.count;
    const models::Fabric* fab = fabric.get();
    progress = std::make_unique<ProgressLine>(sim, s.stop_at, [fab, total]() -> std::string {
      if (total == 0) return {};
      return fmt::format("flows {}/{}", fab->flows().size(), total);
    });
  }
  bool interrupted = false;
  if (options.interrupt && !progress) {
    constexpr std::uint64_t kPollEveryEvents = 100'000;
    sim.set_progress(kPollEveryEvents, [&](const sim::Simulator&) {
      if (!interrupted && options.interrupt()) {
        interrupted = true;
        sim.stop();
      }
    });
  }
  const auto run_start = std::chrono::steady_clock::now();
  r.setup_seconds = std::chrono::duration<double>(run_start - wall_start).count();
  if (s.stop_at == sim::Time::max()) {
    sim.run();
  } else {
    sim.run_until(s.stop_at);
  }
  r.run_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  if (progress) progress->finish();
  if (options.interrupt && !progress) sim.set_progress(0, nullptr);
  if (interrupted) throw RunInterrupted();

  if (training) {
    r.collectives = training->collective_results();
    r.phases = training->phase_results();
    r.completed = training->done();
  }
  if (collective) {
    r.collectives = collective_results(*collective);
    r.completed = collective->done();
    if (!r.completed && options.progress) {
      std::fprintf(stderr, "collective unfinished at %s:\n%s", sim::format_time(sim.now()).c_str(),
                   collective->describe_pending(4).c_str());
    }
  }
  const models::FabricCounters counters = fabric->counters();
  flow_and_fabric_results(r, *fabric, !collective && !training, IdealFct(graph, routes), counters,
                          fabric->qp_errors());
  r.sim_time_ps = sim.now().picoseconds();
  faults.report(r, counters, options.fault_free);  // after sim_time_ps: the slowdown
  r.events = sim.events_processed();
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  r.peak_rss_bytes = peak_rss_bytes();
  if (timeseries) r.warnings = timeseries->warnings();

  if (!options.out_dir.empty()) {
    write_outputs(options.out_dir, s, r, timeseries.get(), [&](sim::TraceWriter& trace) {
      faults.write_trace(trace);
      if (training) {
        write_phase_trace(trace, r.phases);
      } else if (collective) {
        write_collective_trace(trace, *collective, traced_ops(*collective));
      } else {
        write_flow_trace(trace, fabric->flows());
      }
    });
  }
  return r;
}

std::string summary_text(const Scenario& s, const Results& r) {
  std::string out;
  out += fmt::format("scenario   {} (seed {})\n", r.scenario, r.seed);
  out +=
      fmt::format("topology   {}: {} GPUs/NICs, {} hosts, {} switches, {} links\n", r.topology.kind,
                  r.topology.gpus, r.topology.hosts, r.topology.switches, r.topology.links);
  out += fmt::format("workload   {}", workload_kind_name(s.workload.kind));
  if (s.workload.kind == WorkloadKind::kTraffic) {
    out += fmt::format(" ({})", pattern_name(s.workload.traffic.pattern));
  }
  if (s.workload.kind == WorkloadKind::kCollective) {
    const auto& c = s.workload.collective;
    out += fmt::format(": {} {} of {} on {} GPUs, {} channel(s), {} iteration(s)\n", c.op,
                       c.algorithm, sim::format_bytes(c.bytes),
                       r.collectives.empty() ? 0U : r.collectives.front().ranks, c.channels,
                       c.iterations);
  } else if (s.workload.kind == WorkloadKind::kTrainingStep) {
    out += fmt::format(": {} phases, step time {}\n", r.phases.size(),
                       sim::format_time(sim::Time::ps(r.sim_time_ps)));
  } else {
    out += fmt::format(": {} flows, {}\n", r.flows.count, sim::format_bytes(r.flows.bytes));
  }
  out += fmt::format("finished   {} simulated{}\n", sim::format_time(sim::Time::ps(r.sim_time_ps)),
                     r.completed ? "" : " (stopped before the workload completed)");
  for (const auto& p : r.phases) {
    out += fmt::format("phase      {} ({}{}): {} .. {}\n", p.name, p.kind,
                       p.kind == "collective" ? fmt::format(", {} group(s)", p.groups) : "",
                       sim::format_time(sim::Time::ps(std::max<std::int64_t>(p.start_ps, 0))),
                       sim::format_time(sim::Time::ps(std::max<std::int64_t>(p.end_ps, 0))));
  }
  for (const auto& c : r.collectives) {
    if (!c.phase.empty()) {
      out += fmt::format("collective {}: {} {} {} on {} x {} GPUs: {}, busbw {:.2f} GB/s\n",
                         c.phase, c.op, c.algorithm, sim::format_bytes(c.bytes), c.groups, c.ranks,
                         sim::format_time(sim::Time::ps(c.time_ps)), c.busbw_GBps);
      continue;
    }
    out += fmt::format(
        "collective {} {} {} (iteration {}): {}, algbw {:.2f} GB/s, busbw {:.2f} GB/s\n", c.op,
        c.algorithm, sim::format_bytes(c.bytes), c.iteration,
        sim::format_time(sim::Time::ps(c.time_ps)), c.algbw_GBps, c.busbw_GBps);
  }
  if (r.flows.count > 0) {
    out += fmt::format("flows      {}/{} done, FCT p50 {}, p99 {}, max {}\n", r.flows.completed,
                       r.flows.count, sim::format_time(sim::Time::ps(r.flows.fct_p50_ps)),
                       sim::format_time(sim::Time::ps(r.flows.fct_p99_ps)),
                       sim::format_time(sim::Time::ps(r.flows.fct_max_ps)));
  }
  out += fmt::format(
      "fabric     {} packet-hops, {} drops, {} retransmissions, {} ECN marks, {} CNPs, {} PFC "
      "pauses, max queue {}\n",
      r.fabric.packet_hops, r.fabric.drops, r.fabric.retransmissions, r.fabric.ecn_marks,
      r.fabric.cnps, r.fabric.pfc_pause_frames, sim::format_bytes(r.fabric.max_queue_bytes));
  if (r.faults.configured) {
    const FaultSummary& f = r.faults;
    out += fmt::format(
        "faults     {} fault(s), {} link outage(s), {} stragglers: {} packets black-holed, {} "
        "lost to links down ({})\n",
        f.events, f.link_outages, f.stragglers, f.packets_blackholed, f.packets_link_down,
        sim::format_bytes(f.lost_bytes));
    if (f.fault_free_time_ps >= 0) {
      out += fmt::format("           without faults: {}; slowdown {}\n",
                         sim::format_time(sim::Time::ps(f.fault_free_time_ps)),
                         f.slowdown >= 0 ? fmt::format("{:.3f}x", f.slowdown)
                                         : std::string("n/a (the workload did not complete)"));
      if (f.fct_p99_slowdown >= 0) {
        out += fmt::format("           FCT p99 without faults: {}; slowdown {:.3f}x\n",
                           sim::format_time(sim::Time::ps(f.fault_free_fct_p99_ps)),
                           f.fct_p99_slowdown);
      }
    }
  }
  if (r.fabric.timeouts != 0 || r.fabric.qp_errors != 0) {
    out += fmt::format("transport  {} local ACK timeouts, {} QP errors\n", r.fabric.timeouts,
                       r.fabric.qp_errors);
  }
  const double eps = r.wall_seconds > 0 ? static_cast<double>(r.events) / r.wall_seconds : 0;
  const double hps =
      r.wall_seconds > 0 ? static_cast<double>(r.fabric.packet_hops) / r.wall_seconds : 0;
  out += fmt::format(
      "speed      {:.3f} s wall ({:.3f} s setup, {:.3f} s run), {:.3g} events/s, {:.3g} "
      "packet-hops/s, peak RSS {}\n",
      r.wall_seconds, r.setup_seconds, r.run_seconds, eps, hps,
      sim::format_bytes(r.peak_rss_bytes));
  return out;
}

}  // namespace fabricsim::scenario
