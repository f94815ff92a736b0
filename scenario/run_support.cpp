// What the scenario runners share (see run_support.hpp).
#include "scenario/run_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <type_traits>

#include "scenario/collective_trace.hpp"
#include "scenario/collective_workload.hpp"
#include "scenario/gpu_model.hpp"
#include "scenario/traffic.hpp"
#include "sim/output_file.hpp"
#include "sim/stats.hpp"
#include "sim/units.hpp"
#include "topologies/config_error.hpp"
#include "topologies/network_graph.hpp"

namespace fabricsim::scenario {

FlowStarter::FlowStarter(sim::Simulator& sim, models::Fabric& fabric, Flows flows)
    : Component(sim), fabric_(fabric), flows_(std::move(flows)) {
  if (!flows_->empty()) schedule_at(flows_->front().start, *this, 0);
}

FlowStarter::FlowStarter(sim::Simulator& sim, const FlowStarter& home, std::uint32_t partition)
    : Component(sim, home.component_id()),
      fabric_(home.fabric_),
      flows_(home.flows_),
      partition_(partition),
      replica_(true) {
  if (!flows_->empty()) schedule_at(flows_->front().start, *this, 0);
}

FlowStarter::Flows FlowStarter::sort_flows(std::vector<FlowSpec> flows) {
  std::stable_sort(flows.begin(), flows.end(),
                   [](const FlowSpec& a, const FlowSpec& b) { return a.start < b.start; });
  return std::make_shared<const std::vector<FlowSpec>>(std::move(flows));
}

void FlowStarter::on_event(std::uint64_t) {
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

// The flows of a traffic or flows workload (`sim` gives the seeded generator).
namespace {

std::string endpoint_name(const Scenario& s, std::uint32_t nic) {
  const auto& hosts = s.topology.explicit_spec.hosts;
  if (s.topology.kind == topologies::TopologyKind::kExplicit && nic < hosts.size()) {
    return fmt::format("host \"{}\" (GPU {})", hosts[nic], nic);
  }
  return fmt::format("GPU {}", nic);
}

}  // namespace

void check_workload_connected(const Scenario& s, const topologies::NetworkGraph& graph,
                              const std::vector<FlowSpec>& flows) {
  const auto part = topologies::endpoint_components(graph);
  if (std::all_of(part.begin(), part.end(), [](std::uint32_t p) { return p == 0; })) return;
  const std::uint32_t parts = *std::max_element(part.begin(), part.end()) + 1;
  const auto refuse = [&](const std::string& what, const std::string& path, std::uint32_t a,
                          std::uint32_t b) {
    throw topologies::ConfigError(fmt::format(
        "{}: {}: {} {} and {}, but the topology {} has no path between them (its hosts form {} "
        "disconnected parts): expected endpoints connected by links",
        s.source, path, what, endpoint_name(s, a), endpoint_name(s, b), s.topology.source, parts));
  };
  if (is_flow_workload(s.workload.kind)) {
    for (std::size_t i = 0; i < flows.size(); ++i) {
      if (part[flows[i].src] != part[flows[i].dst]) {
        const std::string path = s.workload.kind == WorkloadKind::kFlows
                                     ? fmt::format("/workload/flows/{}", i)
                                     : std::string("/workload");
        refuse(fmt::format("flow {} goes between", i), path, flows[i].src, flows[i].dst);
      }
    }
    return;
  }
  std::vector<std::uint32_t> ranks = s.workload.collective.ranks;
  if (ranks.empty() || s.workload.kind != WorkloadKind::kCollective) {
    ranks.resize(graph.endpoint_count);
    for (std::uint32_t g = 0; g < graph.endpoint_count; ++g)
      ranks[g] = g;
  }
  for (const std::uint32_t r : ranks) {
    if (part[r] != part[ranks.front()]) refuse("the ranks include", "/workload", ranks.front(), r);
  }
}

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

GpuWorkload make_gpu_workload(const Scenario& s, const topologies::NetworkGraph& graph,
                              models::Fabric& fabric) {
  GpuWorkload w;
  const topologies::JsonLocation at{s.source, "/workload"};
  w.network = std::make_unique<workloads::SimNetwork>(fabric, s.topology.gpu_params);
  if (fabric.nvlink_domain_count() == 0 && graph.nvlink.bandwidth_bps > 0 &&
      graph.nvlink.gpus_per_domain > 1) {
    // No simulated NVLink domain: the fluid model of the topology's NVLink. Its bandwidth is
    // stated with both directions summed.
    w.network->set_nvlink(
        {graph.nvlink.gpus_per_domain, graph.nvlink.bandwidth_bps / 2, graph.nvlink.latency});
  }
  apply_stragglers(*w.network, s.faults.stragglers);
  if (s.workload.kind == WorkloadKind::kTrainingStep) {
    w.training = std::make_unique<TrainingStepRun>(*w.network, s.workload.training, s.topology,
                                                   graph.endpoint_count, s.source);
    return w;
  }
  auto gpus = collective_gpus(s.workload.collective, graph.endpoint_count, at);
  const auto nranks = static_cast<std::int32_t>(gpus.size());
  const GpuModel model = resolve_gpu_model(s.workload.collective, nranks, s.topology, at);
  auto schedule = collective_schedule(model.spec, nranks, s.topology, at, model.protocol);
  try {
    w.collective =
        std::make_unique<CollectiveRun>(*w.network, std::move(schedule), std::move(gpus),
                                        s.workload.collective.iterations, 1, s.outputs.trace);
  } catch (const std::invalid_argument& e) {
    throw topologies::ConfigError(fmt::format("{}: {}", at.child("algorithm").where(), e.what()));
  }
  apply_gpu_model(*w.collective, model, s.topology.gpu_params.nccl);
  return w;
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

namespace {
// The multipath section (when the fabric has planes, MRC or trimming) and the link loads.
void multipath_results(Results& r, const models::Fabric& fabric, const models::FabricCounters& c) {
  r.load_balance.clear();
  for (std::size_t k = 0; k < c.link_load.size(); ++k) {
    const models::LinkLoad& l = c.link_load[k];
    if (l.links == 0) continue;
    LinkLoadSummary s;
    s.level = models::link_level_name(static_cast<models::LinkLevel>(k));
    s.links = l.links;
    s.mean_bytes = static_cast<double>(l.sum_bytes) / static_cast<double>(l.links);
    s.max_bytes = l.max_bytes;
    s.max_over_mean = s.mean_bytes > 0 ? static_cast<double>(l.max_bytes) / s.mean_bytes : 0.0;
    r.load_balance.push_back(s);
  }
  MultipathSummary& m = r.multipath;
  const bool mrc =
      fabric.nic_count() > 0 && fabric.nic(0).params().transport == models::NicTransport::kMrc;
  const bool trim = fabric.switch_count() > 0 && fabric.switch_at(0).params().trim.enabled;
  m.configured = mrc || trim || fabric.plane_count() > 1;
  if (!m.configured) return;
  m.transport = mrc                                                               ? "mrc"
                : fabric.nic(0).params().transport == models::NicTransport::kRoce ? "roce"
                                                                                  : "infiniband";
  m.planes = fabric.plane_count();
  m.trims = c.trims;
  m.nacks = c.nacks;
  m.selective_resends = mrc ? c.retransmissions : 0;
  m.packet_timeouts = c.packet_timeouts;
  m.ev_swaps = c.ev_swaps;
  m.ev_retirements = c.ev_retirements;
  m.ev_probes = c.ev_probes;
  m.ev_revivals = c.ev_revivals;
  const std::size_t planes = std::min<std::size_t>(m.planes, models::kMaxPlanes);
  m.plane_tx_bytes.assign(c.plane_tx_bytes.begin(), c.plane_tx_bytes.begin() + planes);
  m.plane_trims.assign(c.plane_trims.begin(), c.plane_trims.begin() + planes);
  std::uint64_t sum = 0;
  std::uint64_t most = 0;
  for (const std::uint64_t b : m.plane_tx_bytes) {
    sum += b;
    most = std::max(most, b);
  }
  m.plane_imbalance =
      sum > 0 ? static_cast<double>(most) * static_cast<double>(planes) / static_cast<double>(sum)
              : 0.0;
}
}  // namespace

// FCTs of the fabric's flow log and the fabric counters `c`.
void flow_and_fabric_results(Results& r, const models::Fabric& fabric, bool flow_workload,
                             const IdealFct& ideal, const models::FabricCounters& c,
                             const std::vector<models::QpErrorRecord>& qp_errors) {
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
  if (flow_workload) {
    r.flow_rows = flow_rows(fabric.flows(), ideal);
    r.flows.slowdown_by_size = slowdown_by_size(r.flow_rows);
  }
  // By name: a positional list silently shifted fields when this type changed (brace elision
  // into FabricCounters::drops_by_reason moved ECN/PFC/queue counts into drop reasons).
  r.fabric = {.packets_delivered = c.packets_delivered,
              .packet_hops = c.packet_hops,
              .drops = c.drops,
              .retransmissions = c.retransmissions,
              .ecn_marks = c.ecn_marks,
              .cnps = c.cnps,
              .pfc_pause_frames = c.pfc_pause_frames,
              .max_queue_bytes = c.max_queue_bytes,
              .timeouts = c.timeouts,
              .qp_errors = c.qp_errors,
              .bytes_delivered = c.bytes_delivered};
  multipath_results(r, fabric, c);
  r.errors.clear();
  for (const auto& e : qp_errors) {
    if (r.errors.size() == Results::kMaxReportedErrors) break;
    r.errors.push_back(RunError{
        .kind = "qp_error",
        .time_ps = e.at.picoseconds(),
        .src = e.nic,
        .dst = e.peer,
        .channel = e.channel,
        .message = fmt::format(
            "QP error at {}: endpoint {} -> {} (channel {}) had {} local ACK timeouts of {} in a "
            "row without progress (nic.retry_count {}); {} unacknowledged, {} message(s) flushed",
            sim::format_time(e.at), e.nic, e.peer, e.channel, e.timeouts,
            sim::format_time(e.timeout), e.timeouts - 1, sim::format_bytes(e.unacked_bytes),
            e.flushed_messages)});
  }
  if (!qp_errors.empty()) r.completed = false;
}

namespace {
void write_text(const std::filesystem::path& path, const std::string& text) {
  sim::write_file(path, text);
}
}  // namespace

void write_outputs(const std::filesystem::path& dir, const Scenario& s, const Results& r,
                   const TimeSeriesRecorder* timeseries,
                   const std::function<void(sim::TraceWriter&)>& write_trace) {
  std::filesystem::create_directories(dir);
  write_text(dir / "results.json", to_json(r).dump(2) + "\n");
  write_text(dir / "config.json", resolved_config(s).dump(2) + "\n");
  if (timeseries != nullptr) timeseries->write(dir);
  if (s.outputs.flows) write_flows_csv(dir / "flows.csv", r.flow_rows);
  if (s.outputs.trace) {
    sim::TraceWriter trace((dir / "trace.json").string());
    write_trace(trace);
    trace.close();
  }
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
                                  c.messages_completed,
                                  c.qp_errors,
                                  c.fault_lost_bytes,
                                  c.link_failures,
                                  c.trims,
                                  c.nacks,
                                  c.packet_timeouts,
                                  c.ev_swaps,
                                  c.ev_retirements,
                                  c.ev_probes,
                                  c.ev_revivals};
  sums.insert(sums.end(), c.drops_by_reason.begin(), c.drops_by_reason.end());
  sums.insert(sums.end(), c.plane_tx_bytes.begin(), c.plane_tx_bytes.end());
  sums.insert(sums.end(), c.plane_trims.begin(), c.plane_trims.end());
  for (const models::LinkLoad& l : c.link_load) {
    sums.push_back(l.sum_bytes);
    sums.push_back(l.links);
  }
  x.sum(sums);
  std::vector<std::uint64_t> maxima{c.max_queue_bytes};
  for (const models::LinkLoad& l : c.link_load)
    maxima.push_back(l.max_bytes);
  x.max(maxima);
  models::FabricCounters out;
  std::size_t i = 0;
  for (std::uint64_t* field : {&out.packets_delivered,
                               &out.packet_hops,
                               &out.drops,
                               &out.retransmissions,
                               &out.timeouts,
                               &out.ecn_marks,
                               &out.cnps,
                               &out.pfc_pause_frames,
                               &out.pfc_resume_frames,
                               &out.bytes_delivered,
                               &out.messages_completed,
                               &out.qp_errors,
                               &out.fault_lost_bytes,
                               &out.link_failures,
                               &out.trims,
                               &out.nacks,
                               &out.packet_timeouts,
                               &out.ev_swaps,
                               &out.ev_retirements,
                               &out.ev_probes,
                               &out.ev_revivals}) {
    *field = sums[i++];
  }
  for (auto& d : out.drops_by_reason)
    d = sums[i++];
  for (auto& b : out.plane_tx_bytes)
    b = sums[i++];
  for (auto& t : out.plane_trims)
    t = sums[i++];
  for (models::LinkLoad& l : out.link_load) {
    l.sum_bytes = sums[i++];
    l.links = sums[i++];
  }
  out.max_queue_bytes = maxima[0];
  for (std::size_t k = 0; k < out.link_load.size(); ++k)
    out.link_load[k].max_bytes = maxima[k + 1];
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

std::vector<models::QpErrorRecord> share_qp_errors(const models::Fabric& fabric, sim::Exchange& x) {
  static_assert(std::is_trivially_copyable_v<models::QpErrorRecord>);
  const auto mine = fabric.qp_errors();
  std::vector<std::byte> bytes(mine.size() * sizeof(models::QpErrorRecord));
  if (!bytes.empty()) std::memcpy(bytes.data(), mine.data(), bytes.size());
  const auto from = x.all_to_all(std::vector<std::vector<std::byte>>(x.size(), bytes));
  std::vector<models::QpErrorRecord> all;
  for (const auto& part : from) {
    const std::size_t n = part.size() / sizeof(models::QpErrorRecord);
    const std::size_t at = all.size();
    all.resize(at + n);
    if (n != 0) std::memcpy(all.data() + at, part.data(), n * sizeof(models::QpErrorRecord));
  }
  std::sort(all.begin(), all.end(), models::qp_error_before);
  return all;
}

}  // namespace fabricsim::scenario
