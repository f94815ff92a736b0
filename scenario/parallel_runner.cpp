// Parallel and distributed scenario runs (see parallel_runner.hpp).
#include "scenario/parallel_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "scenario/collective_trace.hpp"
#include "scenario/collective_workload.hpp"
#include "scenario/fault_run.hpp"
#include "scenario/run_support.hpp"
#include "scenario/timeseries.hpp"
#include "scenario/trace_output.hpp"
#include "sim/parallel.hpp"
#include "topologies/config_error.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/partition.hpp"
#include "topologies/routing.hpp"

namespace fabricsim::scenario {
namespace {

void refuse_what_parallel_runs_do_not_take(const Scenario& s) {
  if (s.workload.kind == WorkloadKind::kTrainingStep) {
    if (s.topology.gpu_params.launch_latency <= sim::Time::zero()) {
      // The launch latency is the lookahead of the step's control plane (StepControl).
      throw topologies::ConfigError(
          fmt::format("{}: /gpu/launch_latency: 0: a training step split over threads or MPI "
                      "processes needs a kernel launch latency above 0 (the lookahead of its "
                      "phase starts); run it with 1 thread",
                      s.topology.source));
    }
  }
}

std::uint32_t partitions_without_gpus(const topologies::Partitioning& parts) {
  std::vector<bool> has_gpu(parts.parts, false);
  for (const std::uint32_t p : parts.nic_part)
    has_gpu[p] = true;
  return static_cast<std::uint32_t>(std::count(has_gpu.begin(), has_gpu.end(), false));
}

}  // namespace

Results run_parallel(const Scenario& s, const RunOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  refuse_what_parallel_runs_do_not_take(s);
  const auto graph = topologies::build_graph(s.topology);
  const auto routes = topologies::compute_routes(graph);
  const std::uint32_t partitions = options.distributed != nullptr
                                       ? static_cast<std::uint32_t>(options.distributed->size())
                                       : options.threads;
  const auto parts = topologies::partition_graph(graph, partitions);
  Results r = base_results(s, graph);
  if (const std::uint32_t idle = partitions_without_gpus(parts); idle > 0) {
    r.run_notes.push_back(fmt::format(
        "no GPU in {} of the {} partitions: GPUs that share a node, an NVLink domain or an "
        "edge switch (a rail group, a pod's leaf) stay in one partition, so those {} only "
        "carry switches and add little speed",
        idle, parts.parts, options.distributed != nullptr ? "processes" : "threads"));
  }
  sim::ParallelEngine engine(parts.parts, s.seed, options.distributed != nullptr);
  auto fabric = topologies::build_fabric(graph, routes, engine, parts);
  // A process of a distributed run keeps the state of its own partition's GPUs and NICs only.
  if (options.distributed != nullptr) {
    fabric->run_only_partition(static_cast<std::uint32_t>(options.distributed->rank()));
  }
  const bool flow_workload = is_flow_workload(s.workload.kind);

  std::vector<FlowSpec> flow_list =
      flow_workload ? workload_flows(s, graph, engine.simulator(0)) : std::vector<FlowSpec>{};
  check_workload_connected(s, graph, flow_list);
  FlowStarter::Flows flows = FlowStarter::sort_flows(std::move(flow_list));
  r.flows.count = flows->size();
  for (const auto& f : *flows)
    r.flows.bytes += f.bytes;
  GpuWorkload gpu_workload;
  if (!flow_workload) gpu_workload = make_gpu_workload(s, graph, *fabric);
  CollectiveRun* collective = gpu_workload.collective.get();
  TrainingStepRun* training = gpu_workload.training.get();

  // Per partition: its flows' completions end its part of a flow workload (a collective's
  // partitions stop themselves: CollectiveRun; a training step's control plane ends its run).
  std::vector<std::unique_ptr<StopWhenDone>> stops;
  if (flow_workload) {
    std::vector<std::uint64_t> flows_of(parts.parts, 0);
    for (const auto& f : *flows)
      ++flows_of[parts.nic_part[f.src]];
    for (std::uint32_t p = 0; p < parts.parts; ++p) {
      stops.push_back(std::make_unique<StopWhenDone>(engine.simulator(p)));
      stops.back()->expect_flows(flows_of[p]);
      if (flows_of[p] == 0) engine.mark_done(p);
    }
    for (std::uint32_t e = 0; e < fabric->nic_count(); ++e)
      fabric->nic(e).set_observer(stops[parts.nic_part[e]].get());
  }
  engine.stop_when_all_done(collective != nullptr || (flow_workload && !flows->empty()));
  // Made for every workload, as the single-simulator run makes it: the same component ids.
  FlowStarter home(engine.simulator(0), *fabric, flows);
  std::vector<std::unique_ptr<FlowStarter>> replicas;
  for (std::uint32_t p = 1; p < parts.parts; ++p)
    replicas.push_back(std::make_unique<FlowStarter>(engine.simulator(p), home, p));
  FaultRun faults(s, graph, routes, *fabric, engine.simulator(0));
  faults.add_replicas(engine);
  if (collective != nullptr) collective->start_at(sim::Time::zero());
  if (training != nullptr) {
    engine.set_control_plane(training->control_plane());
    training->start_at(sim::Time::zero());
  }

  std::unique_ptr<TimeSeriesRecorder> timeseries;
  if (s.outputs.timeseries_interval > sim::Time::zero()) {
    timeseries =
        std::make_unique<TimeSeriesRecorder>(engine.simulator(0), *fabric, s.outputs, s.source);
    if (gpu_workload.network) timeseries->count_qps_from_first_use();
    timeseries->set_exchange(options.distributed);
    timeseries->start_global();
    engine.set_global_event(timeseries.get());
  }
  // Flows' queue pairs are made now (after the first time-series sample, taken before any flow
  // starts), in the order a single simulator makes them as the flows start (so QP numbers and
  // ECMP entropy are the same); the run itself never touches another partition's QP table.
  // A collective made its own (CollectiveRun).
  if (flow_workload) {
    std::vector<std::vector<sim::Time>> opened(fabric->nic_count());
    for (const auto& f : *flows) {
      // QPs made by this connection (here and at the peer) open at the flow's start.
      models::Nic& src = fabric->nic(f.src);
      src.connect_qp(f.dst, 0);
      opened[f.src].resize(src.qp_count(), f.start);
      opened[f.dst].resize(fabric->nic(f.dst).qp_count(), f.start);
    }
    if (timeseries) timeseries->set_qp_open_times(std::move(opened));
  }
  fabric->seal_remote_connections();

  const auto run_start = std::chrono::steady_clock::now();
  r.setup_seconds = std::chrono::duration<double>(run_start - wall_start).count();
  auto run_engine = [&] {
    return options.distributed != nullptr ? engine.run_distributed(s.stop_at, *options.distributed)
                                          : engine.run(s.stop_at, options.interrupt);
  };
  sim::ParallelEngine::Result result;
  if (collective != nullptr) {
    // One engine run per iteration: it returns at the iteration's last completion, where the
    // next one starts.
    while (!collective->done()) {
      engine.reset_done();
      for (std::uint32_t p = 0; p < parts.parts; ++p) {
        if (collective->idle_partition(p)) engine.mark_done(p);
      }
      result = run_engine();
      if (result.interrupted || !result.stopped_done) break;
      collective->end_iteration(result.end);
    }
  } else {
    result = run_engine();
  }
  r.run_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  if (result.interrupted) throw RunInterrupted();
  models::FabricCounters counters = fabric->counters();
  std::vector<models::QpErrorRecord> qp_errors;
  if (options.distributed != nullptr) {
    counters = combine_processes(counters, *options.distributed);
    qp_errors = share_qp_errors(*fabric, *options.distributed);
    if (flow_workload) share_flow_logs(*fabric, *options.distributed);
  }
  fabric->merge_flow_logs();
  if (collective != nullptr) {
    r.collectives = collective_results(*collective);
    r.completed = collective->done();
  }
  if (training != nullptr) {
    r.collectives = training->collective_results();
    r.phases = training->phase_results();
    r.completed = training->done();
  }
  if (options.distributed == nullptr) qp_errors = fabric->qp_errors();
  flow_and_fabric_results(r, *fabric, flow_workload, IdealFct(graph, routes), counters, qp_errors);
  r.sim_time_ps = result.end.picoseconds();
  faults.report(r, counters, options.fault_free);  // after sim_time_ps: the slowdown
  r.events = result.events;
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  r.peak_rss_bytes = peak_rss_bytes();
  if (timeseries) r.warnings = timeseries->warnings();
  TracedRanks traced;  // a collective's per-op trace: its first ranks' ops
  if (s.outputs.trace && collective != nullptr) {
    traced = traced_ops(*collective);
    if (options.distributed != nullptr) share_traced_ops(traced, *options.distributed);
  }
  const bool writer = options.distributed == nullptr || options.distributed->rank() == 0;
  if (!options.out_dir.empty() && writer) {
    write_outputs(options.out_dir, s, r, timeseries.get(), [&](sim::TraceWriter& trace) {
      faults.write_trace(trace);
      if (training != nullptr) {
        write_phase_trace(trace, r.phases);
      } else if (collective != nullptr) {
        write_collective_trace(trace, *collective, traced);
      } else {
        write_flow_trace(trace, fabric->flows());
      }
    });
  }
  return r;
}

}  // namespace fabricsim::scenario
