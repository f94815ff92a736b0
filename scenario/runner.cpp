// The scenario runner (see runner.hpp).
#include "scenario/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <type_traits>

#include "models/fabric.hpp"
#include "models/params.hpp"
#include "scenario/collective_run.hpp"
#include "scenario/collective_trace.hpp"
#include "scenario/collective_workload.hpp"
#include "scenario/progress.hpp"
#include "scenario/timeseries.hpp"
#include "scenario/trace_output.hpp"
#include "scenario/traffic.hpp"
#include "scenario/training_step.hpp"
#include "sim/parallel.hpp"
#include "sim/simulator.hpp"
#include "sim/stats.hpp"
#include "sim/trace.hpp"
#include "sim/units.hpp"
#include "topologies/config_error.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/params_json.hpp"
#include "topologies/partition.hpp"
#include "topologies/routing.hpp"
#include "workloads/transports/sim/sim_transport.hpp"

namespace fabricsim::scenario {
namespace {

// Starts each flow at its start time: one event per distinct start time, not per flow. In a
// parallel run every partition has a replica (same component id, same events) that starts
// the flows of its own NICs; only partition 0's replica counts its events.
class FlowStarter : public sim::Component {
 public:
  using Flows = std::shared_ptr<const std::vector<FlowSpec>>;
  // `flows` sorted by start time (sort_flows).
  FlowStarter(sim::Simulator& sim, models::Fabric& fabric, Flows flows)
      : Component(sim), fabric_(fabric), flows_(std::move(flows)) {
    if (!flows_->empty()) schedule_at(flows_->front().start, *this, 0);
  }
  // The replica in `partition`'s simulator `sim` of the starter `home`.
  FlowStarter(sim::Simulator& sim, const FlowStarter& home, std::uint32_t partition)
      : Component(sim, home.component_id()),
        fabric_(home.fabric_),
        flows_(home.flows_),
        partition_(partition),
        replica_(true) {
    if (!flows_->empty()) schedule_at(flows_->front().start, *this, 0);
  }
  static Flows sort_flows(std::vector<FlowSpec> flows) {
    std::stable_sort(flows.begin(), flows.end(),
                     [](const FlowSpec& a, const FlowSpec& b) { return a.start < b.start; });
    return std::make_shared<const std::vector<FlowSpec>>(std::move(flows));
  }
  void on_event(std::uint64_t) override {
    const sim::Time t = now();
    const auto& flows = *flows_;
    const bool all = fabric_.partition_count() == 1;
    if (replica_ && partition_ != 0) simulator().discount_event();
    while (next_ < flows.size() && flows[next_].start == t) {
      const auto& f = flows[next_];
      if (all || fabric_.nic_partition(f.src) == partition_) {
        fabric_.send_message(f.src, f.dst, f.bytes, 0, next_);
      }
      ++next_;
    }
    if (next_ < flows.size()) schedule_at(flows[next_].start, *this, 0);
  }

 private:
  models::Fabric& fabric_;
  Flows flows_;
  std::size_t next_ = 0;
  std::uint32_t partition_ = 0;
  bool replica_ = false;
};

// Ends the run with the workload's last completion, so that NIC and congestion-control timers
// still pending do not stretch it: the last flow acknowledged, the collective's last
// iteration, or the training step's last phase. stop_at and an empty queue end it otherwise.
class StopWhenDone final : public CollectiveRunObserver,
                           public TrainingStepObserver,
                           public models::MessageObserver {
 public:
  explicit StopWhenDone(sim::Simulator& sim) : sim_(&sim) {}
  void expect_flows(std::uint64_t count) { flows_left_ = count; }

  void on_collective_done(CollectiveRun&) override { sim_->stop(); }
  void on_training_step_done(TrainingStepRun&) override { sim_->stop(); }
  void on_message_sent(models::EndpointId, std::uint64_t, sim::Time) override {
    if (flows_left_ > 0 && --flows_left_ == 0) sim_->stop();
  }
  void on_message_received(models::EndpointId, models::EndpointId, std::uint64_t, std::uint64_t,
                           sim::Time) override {}

 private:
  sim::Simulator* sim_;
  std::uint64_t flows_left_ = 0;
};

bool is_flow_workload(WorkloadKind kind) {
  return kind == WorkloadKind::kTraffic || kind == WorkloadKind::kFlows;
}

// The flows of a traffic or flows workload (`sim` gives the seeded generator).
std::vector<FlowSpec> workload_flows(const Scenario& s, const topologies::NetworkGraph& graph,
                                     const sim::Simulator& sim) {
  if (s.workload.kind == WorkloadKind::kTraffic) {
    sim::Rng rng = sim.make_rng(0x7EAFF1C);
    const std::uint64_t host_rate =
        graph.endpoint_count > 0
            ? graph.link_of_port(graph.port_begin[graph.endpoint_node(0)]).rate_bps
            : 0;
    return generate_flows(s.workload.traffic, graph.endpoint_count, host_rate, rng, s.source);
  }
  std::vector<FlowSpec> flows = s.workload.flows;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    for (const std::uint32_t id : {flows[i].src, flows[i].dst}) {
      if (id >= graph.endpoint_count) {
        throw topologies::ConfigError(fmt::format(
            "{}: /workload/flows/{}: endpoint {}: expected an id below {} (the topology's NICs)",
            s.source, i, id, graph.endpoint_count));
      }
    }
  }
  return flows;
}

Results base_results(const Scenario& s, const topologies::NetworkGraph& graph) {
  Results r;
  r.scenario = s.name;
  r.seed = s.seed;
  r.topology.kind = topologies::kind_name(s.topology.kind);
  r.topology.gpus = graph.endpoint_count;
  r.topology.hosts = graph.host_count;
  r.topology.switches = graph.switch_count;
  r.topology.links = graph.link_count();
  return r;
}

// FCTs of the fabric's flow log and the fabric counters `c`.
void flow_and_fabric_results(Results& r, const models::Fabric& fabric, bool flow_workload,
                             const models::FabricCounters& c) {
  // Flows are the traffic workloads' messages; a collective's messages are its steps.
  sim::Histogram fct;
  if (flow_workload) {
    for (const auto& rec : fabric.flows())
      fct.add((rec.end - rec.start).picoseconds());
  }
  r.flows.completed = fct.count();
  if (flow_workload) r.completed = r.flows.completed == r.flows.count;
  r.flows.fct_p50_ps = fct.percentile(50);
  r.flows.fct_p99_ps = fct.percentile(99);
  r.flows.fct_max_ps = fct.max();
  r.flows.fct_mean_ps = fct.mean();
  // By name: a positional list silently shifted fields when this type changed (brace elision
  // into FabricCounters::drops_by_reason moved ECN/PFC/queue counts into drop reasons).
  r.fabric = {.packets_delivered = c.packets_delivered,
              .packet_hops = c.packet_hops,
              .drops = c.drops,
              .retransmissions = c.retransmissions,
              .ecn_marks = c.ecn_marks,
              .cnps = c.cnps,
              .pfc_pause_frames = c.pfc_pause_frames,
              .max_queue_bytes = c.max_queue_bytes};
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(fmt::format("cannot write \"{}\"", path.string()));
  out << text;
}

// Distributed runs: every process counted only its own partition's components.
models::FabricCounters combine_processes(const models::FabricCounters& c, sim::Exchange& x) {
  std::vector<std::uint64_t> sums{c.packets_delivered,
                                  c.packet_hops,
                                  c.drops,
                                  c.retransmissions,
                                  c.timeouts,
                                  c.ecn_marks,
                                  c.cnps,
                                  c.pfc_pause_frames,
                                  c.pfc_resume_frames,
                                  c.bytes_delivered,
                                  c.messages_completed};
  sums.insert(sums.end(), c.drops_by_reason.begin(), c.drops_by_reason.end());
  x.sum(sums);
  std::vector<std::uint64_t> maxima{c.max_queue_bytes};
  x.max(maxima);
  models::FabricCounters out;
  std::size_t i = 0;
  for (std::uint64_t* field :
       {&out.packets_delivered, &out.packet_hops, &out.drops, &out.retransmissions, &out.timeouts,
        &out.ecn_marks, &out.cnps, &out.pfc_pause_frames, &out.pfc_resume_frames,
        &out.bytes_delivered, &out.messages_completed}) {
    *field = sums[i++];
  }
  for (auto& d : out.drops_by_reason)
    d = sums[i++];
  out.max_queue_bytes = maxima[0];
  return out;
}

// Distributed runs: every process gets every partition's flow log.
void share_flow_logs(models::Fabric& fabric, sim::Exchange& x) {
  static_assert(std::is_trivially_copyable_v<models::FlowRecord>);
  const auto me = static_cast<std::uint32_t>(x.rank());
  const auto& mine = fabric.partition_flows(me);
  std::vector<std::byte> bytes(mine.size() * sizeof(models::FlowRecord));
  if (!bytes.empty()) std::memcpy(bytes.data(), mine.data(), bytes.size());
  const auto from = x.all_to_all(std::vector<std::vector<std::byte>>(x.size(), bytes));
  for (std::uint32_t q = 0; q < x.size(); ++q) {
    if (q == me) continue;
    auto& log = fabric.partition_flows(q);
    log.resize(from[q].size() / sizeof(models::FlowRecord));
    if (!log.empty()) std::memcpy(log.data(), from[q].data(), from[q].size());
  }
}

// A parallel run (RunOptions::threads > 1): the fabric split by topologies::partition_graph,
// one simulator per partition (sim::ParallelEngine), everything the workload observes kept per
// partition and merged after the run in an order that does not depend on the partitioning.
Results run_parallel(const Scenario& s, const RunOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  if (!is_flow_workload(s.workload.kind)) {
    throw topologies::ConfigError(fmt::format(
        "{}: /workload/kind: \"{}\": parallel runs (threads > 1) take traffic and flows "
        "workloads so far; run it with 1 thread",
        s.source, workload_kind_name(s.workload.kind)));
  }
  if (s.outputs.timeseries_interval > sim::Time::zero() && options.distributed != nullptr) {
    throw topologies::ConfigError(
        fmt::format("{}: /outputs/timeseries: time series are not recorded by distributed "
                    "(MPI) runs yet; run it in one process (threads are fine)",
                    s.source));
  }
  const auto graph = topologies::build_graph(s.topology);
  const auto routes = topologies::compute_routes(graph);
  const std::uint32_t partitions = options.distributed != nullptr
                                       ? static_cast<std::uint32_t>(options.distributed->size())
                                       : options.threads;
  const auto parts = topologies::partition_graph(graph, partitions);
  sim::ParallelEngine engine(parts.parts, s.seed, options.distributed != nullptr);
  auto fabric = topologies::build_fabric(graph, routes, engine, parts);
  Results r = base_results(s, graph);

  auto flows = FlowStarter::sort_flows(workload_flows(s, graph, engine.simulator(0)));
  r.flows.count = flows->size();
  for (const auto& f : *flows)
    r.flows.bytes += f.bytes;

  // Per partition: its flows' completions end its part of the workload.
  std::vector<std::unique_ptr<StopWhenDone>> stops;
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
  engine.stop_when_all_done(!flows->empty());
  FlowStarter home(engine.simulator(0), *fabric, flows);
  std::vector<std::unique_ptr<FlowStarter>> replicas;
  for (std::uint32_t p = 1; p < parts.parts; ++p)
    replicas.push_back(std::make_unique<FlowStarter>(engine.simulator(p), home, p));

  std::unique_ptr<TimeSeriesRecorder> timeseries;
  if (s.outputs.timeseries_interval > sim::Time::zero()) {
    timeseries =
        std::make_unique<TimeSeriesRecorder>(engine.simulator(0), *fabric, s.outputs, s.source);
    timeseries->start_global();
    engine.set_global_event(timeseries.get());
  }
  // Queue pairs are made now (after the first time-series sample, taken before any flow
  // starts), in the order a single simulator makes them as the flows start (so QP numbers and
  // ECMP entropy are the same); the run itself never touches another partition's QP table.
  std::vector<std::vector<sim::Time>> opened(fabric->nic_count());
  for (const auto& f : *flows) {
    // QPs made by this connection (here and at the peer) open at the flow's start.
    models::Nic& src = fabric->nic(f.src);
    src.connect_qp(f.dst, 0);
    opened[f.src].resize(src.qp_count(), f.start);
    opened[f.dst].resize(fabric->nic(f.dst).qp_count(), f.start);
  }
  if (timeseries) timeseries->set_qp_open_times(std::move(opened));
  fabric->seal_remote_connections();

  const auto run_start = std::chrono::steady_clock::now();
  r.setup_seconds = std::chrono::duration<double>(run_start - wall_start).count();
  const auto result = options.distributed != nullptr
                          ? engine.run_distributed(s.stop_at, *options.distributed)
                          : engine.run(s.stop_at, options.interrupt);
  r.run_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  if (result.interrupted) throw RunInterrupted();
  models::FabricCounters counters = fabric->counters();
  if (options.distributed != nullptr) {
    counters = combine_processes(counters, *options.distributed);
    share_flow_logs(*fabric, *options.distributed);
  }
  fabric->merge_flow_logs();
  flow_and_fabric_results(r, *fabric, true, counters);
  r.sim_time_ps = result.end.picoseconds();
  r.events = result.events;
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  r.peak_rss_bytes = peak_rss_bytes();
  if (timeseries) r.warnings = timeseries->warnings();
  const bool writer = options.distributed == nullptr || options.distributed->rank() == 0;
  if (!options.out_dir.empty() && writer) {
    std::filesystem::create_directories(options.out_dir);
    const auto dir = std::filesystem::path(options.out_dir);
    write_text(dir / "results.json", to_json(r).dump(2) + "\n");
    write_text(dir / "config.json", resolved_config(s).dump(2) + "\n");
    if (timeseries) timeseries->write(dir);
    if (s.outputs.trace) {
      sim::TraceWriter trace((dir / "trace.json").string());
      write_flow_trace(trace, fabric->flows());
      trace.close();
    }
  }
  return r;
}

}  // namespace

Results run_scenario(const Scenario& s, const RunOptions& options) {
  if (options.threads > 1 || options.distributed != nullptr) return run_parallel(s, options);
  const auto wall_start = std::chrono::steady_clock::now();
  const auto graph = topologies::build_graph(s.topology);
  const auto routes = topologies::compute_routes(graph);
  sim::Simulator sim(s.seed);
  auto fabric = topologies::build_fabric(graph, routes, sim);

  Results r = base_results(s, graph);

  std::vector<FlowSpec> flows;
  std::unique_ptr<workloads::SimNetwork> network;  // before the collective that uses it
  std::unique_ptr<CollectiveRun> collective;
  std::unique_ptr<TrainingStepRun> training;
  StopWhenDone stop_when_done(sim);
  if (is_flow_workload(s.workload.kind)) {
    flows = workload_flows(s, graph, sim);
  } else {
    const topologies::JsonLocation at{s.source, "/workload"};
    network = std::make_unique<workloads::SimNetwork>(*fabric, s.topology.gpu_params);
    if (fabric->nvlink_domain_count() == 0 && graph.nvlink.bandwidth_bps > 0 &&
        graph.nvlink.gpus_per_domain > 1) {
      // No simulated NVLink domain: the fluid model of the topology's NVLink. Its bandwidth is
      // stated with both directions summed.
      network->set_nvlink(
          {graph.nvlink.gpus_per_domain, graph.nvlink.bandwidth_bps / 2, graph.nvlink.latency});
    }
    if (s.workload.kind == WorkloadKind::kTrainingStep) {
      training = std::make_unique<TrainingStepRun>(*network, s.workload.training, s.topology,
                                                   graph.endpoint_count, s.source);
      training->set_observer(&stop_when_done);
      training->start_at(sim::Time::zero());
    } else {
      auto gpus = collective_gpus(s.workload.collective, graph.endpoint_count, at);
      auto schedule = collective_schedule(s.workload.collective,
                                          static_cast<std::int32_t>(gpus.size()), s.topology, at);
      try {
        collective =
            std::make_unique<CollectiveRun>(*network, std::move(schedule), std::move(gpus),
                                            s.workload.collective.iterations, 1, s.outputs.trace);
      } catch (const std::invalid_argument& e) {
        throw topologies::ConfigError(
            fmt::format("{}: {}", at.child("algorithm").where(), e.what()));
      }
      collective->set_observer(&stop_when_done);
      collective->start_at(sim::Time::zero());
    }
  }
  r.flows.count = flows.size();
  for (const auto& f : flows)
    r.flows.bytes += f.bytes;
  if (!network) {
    stop_when_done.expect_flows(r.flows.count);
    fabric->set_observer(&stop_when_done);
  }
  FlowStarter starter(sim, *fabric, FlowStarter::sort_flows(std::move(flows)));

  std::unique_ptr<TimeSeriesRecorder> timeseries;
  if (s.outputs.timeseries_interval > sim::Time::zero()) {
    timeseries = std::make_unique<TimeSeriesRecorder>(sim, *fabric, s.outputs, s.source);
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
  flow_and_fabric_results(r, *fabric, !collective && !training, fabric->counters());
  r.sim_time_ps = sim.now().picoseconds();
  r.events = sim.events_processed();
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  r.peak_rss_bytes = peak_rss_bytes();
  if (timeseries) r.warnings = timeseries->warnings();

  if (!options.out_dir.empty()) {
    std::filesystem::create_directories(options.out_dir);
    const auto dir = std::filesystem::path(options.out_dir);
    const auto write = write_text;
    write(dir / "results.json", to_json(r).dump(2) + "\n");
    write(dir / "config.json", resolved_config(s).dump(2) + "\n");
    if (timeseries) timeseries->write(dir);
    if (s.outputs.trace) {
      sim::TraceWriter trace((dir / "trace.json").string());
      if (training) {
        write_phase_trace(trace, r.phases);
      } else if (collective) {
        write_collective_trace(trace, *collective);
      } else {
        write_flow_trace(trace, fabric->flows());
      }
      trace.close();
    }
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
