// results.json writer (see results.hpp).
#include "scenario/results.hpp"

#include <sys/resource.h>

#include <algorithm>

#include "scenario/version.hpp"

namespace fabricsim::scenario {

namespace {
nlohmann::json faults_json(const FaultSummary& f) {
  nlohmann::json timeline = nlohmann::json::array();
  for (const auto& e : f.timeline) {
    timeline.push_back({{"kind", e.kind},
                        {"target", e.target},
                        {"links", e.links},
                        {"at_ps", e.at_ps},
                        {"detected_ps", e.detected_ps},
                        {"converged_ps", e.converged_ps},
                        {"restored_ps", e.restored_ps},
                        {"reconverged_ps", e.reconverged_ps}});
  }
  nlohmann::json doc = {{"detection_ps", f.detection_ps},
                        {"convergence_ps", f.convergence_ps},
                        {"events", f.events},
                        {"planned_events", f.planned_events},
                        {"link_outages", f.link_outages},
                        {"packets_blackholed", f.packets_blackholed},
                        {"packets_link_down", f.packets_link_down},
                        {"lost_bytes", f.lost_bytes},
                        {"stragglers", f.stragglers},
                        {"timeline", std::move(timeline)}};
  if (f.fault_free_time_ps >= 0) {
    doc["fault_free_time_ps"] = f.fault_free_time_ps;
    doc["slowdown"] = f.slowdown;
    if (f.fault_free_fct_p99_ps >= 0) {
      doc["fault_free_fct_p99_ps"] = f.fault_free_fct_p99_ps;
      doc["fct_p99_slowdown"] = f.fct_p99_slowdown;
    }
  }
  return doc;
}
}  // namespace

nlohmann::json to_json(const Results& r, bool include_measured) {
  nlohmann::json doc;
  doc["schema"] = "fabricsim.results/1";
  doc["version"] = kVersion;
  doc["scenario"] = r.scenario;
  doc["seed"] = r.seed;
  doc["sim_time_ps"] = r.sim_time_ps;
  doc["completed"] = r.completed;
  doc["events"] = r.events;
  if (include_measured) {
    doc["wall_seconds"] = r.wall_seconds;
    doc["setup_seconds"] = r.setup_seconds;
    doc["run_seconds"] = r.run_seconds;
    doc["events_per_second"] =
        r.wall_seconds > 0 ? static_cast<double>(r.events) / r.wall_seconds : 0.0;
    doc["packet_hops_per_second"] =
        r.wall_seconds > 0 ? static_cast<double>(r.fabric.packet_hops) / r.wall_seconds : 0.0;
    doc["peak_rss_bytes"] = r.peak_rss_bytes;
  }
  doc["topology"] = {{"kind", r.topology.kind},
                     {"gpus", r.topology.gpus},
                     {"hosts", r.topology.hosts},
                     {"switches", r.topology.switches},
                     {"links", r.topology.links}};
  auto& collectives = doc["collectives"] = nlohmann::json::array();
  for (const auto& c : r.collectives) {
    nlohmann::json entry = {{"op", c.op},
                            {"algorithm", c.algorithm},
                            {"protocol", c.protocol},
                            {"channels", c.channels},
                            {"bytes", c.bytes},
                            {"ranks", c.ranks},
                            {"iteration", c.iteration},
                            {"time_ps", c.time_ps},
                            {"algbw_GBps", c.algbw_GBps},
                            {"busbw_GBps", c.busbw_GBps}};
    if (!c.nccl_algorithm.empty()) entry["nccl_algorithm"] = c.nccl_algorithm;
    if (!c.phase.empty()) {
      entry["phase"] = c.phase;
      entry["groups"] = c.groups;
    }
    collectives.push_back(std::move(entry));
  }
  if (!r.phases.empty()) {
    nlohmann::json phases = nlohmann::json::array();
    std::int64_t end = 0;
    for (const auto& p : r.phases) {
      phases.push_back({{"name", p.name},
                        {"kind", p.kind},
                        {"groups", p.groups},
                        {"start_ps", p.start_ps},
                        {"end_ps", p.end_ps}});
      end = std::max(end, p.end_ps);
    }
    doc["training_step"] = {{"time_ps", end}, {"phases", phases}};
  }
  doc["flows"] = {{"count", r.flows.count},
                  {"completed", r.flows.completed},
                  {"bytes", r.flows.bytes},
                  {"fct_ps",
                   {{"p50", r.flows.fct_p50_ps},
                    {"p99", r.flows.fct_p99_ps},
                    {"max", r.flows.fct_max_ps},
                    {"mean", r.flows.fct_mean_ps}}}};
  nlohmann::json bins = nlohmann::json::array();
  for (const SlowdownBin& b : r.flows.slowdown_by_size) {
    nlohmann::json bin = {
        {"min_bytes", b.min_bytes},
        {"max_bytes", b.max_bytes == 0 ? nlohmann::json() : nlohmann::json(b.max_bytes)},
        {"count", b.count},
        {"p50", b.p50},
        {"p95", b.p95},
        {"p99", b.p99},
        {"max", b.max},
        {"mean", b.mean}};
    bins.push_back(std::move(bin));
  }
  // The last bin holds every flow: its figures are the run's overall slowdown.
  if (!bins.empty()) {
    doc["flows"]["slowdown"] = bins.back();
    doc["flows"]["slowdown"].erase("min_bytes");
    doc["flows"]["slowdown"].erase("max_bytes");
    bins.erase(bins.size() - 1);
  }
  doc["flows"]["slowdown_by_size"] = std::move(bins);
  doc["fabric"] = {{"packets_delivered", r.fabric.packets_delivered},
                   {"packet_hops", r.fabric.packet_hops},
                   {"drops", r.fabric.drops},
                   {"retransmissions", r.fabric.retransmissions},
                   {"ecn_marks", r.fabric.ecn_marks},
                   {"cnps", r.fabric.cnps},
                   {"pfc_pause_frames", r.fabric.pfc_pause_frames},
                   {"max_queue_bytes", r.fabric.max_queue_bytes},
                   {"timeouts", r.fabric.timeouts},
                   {"qp_errors", r.fabric.qp_errors},
                   {"bytes_delivered", r.fabric.bytes_delivered}};
  if (r.faults.configured) doc["faults"] = faults_json(r.faults);
  if (r.multipath.configured) {
    const MultipathSummary& m = r.multipath;
    doc["multipath"] = {{"transport", m.transport},
                        {"planes", m.planes},
                        {"trims", m.trims},
                        {"nacks", m.nacks},
                        {"selective_resends", m.selective_resends},
                        {"packet_timeouts", m.packet_timeouts},
                        {"ev",
                         {{"swaps", m.ev_swaps},
                          {"retirements", m.ev_retirements},
                          {"probes", m.ev_probes},
                          {"revivals", m.ev_revivals}}},
                        {"plane_tx_bytes", m.plane_tx_bytes},
                        {"plane_trims", m.plane_trims},
                        {"plane_imbalance", m.plane_imbalance}};
  }
  nlohmann::json load = nlohmann::json::object();
  for (const LinkLoadSummary& l : r.load_balance) {
    load[l.level] = {{"links", l.links},
                     {"mean_bytes", l.mean_bytes},
                     {"max_bytes", l.max_bytes},
                     {"max_over_mean", l.max_over_mean}};
  }
  doc["load_balance"] = std::move(load);
  doc["warnings"] = r.warnings;
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : r.errors) {
    errors.push_back({{"kind", e.kind},
                      {"time_ps", e.time_ps},
                      {"src", e.src},
                      {"dst", e.dst},
                      {"channel", e.channel},
                      {"message", e.message}});
  }
  doc["errors"] = errors;
  return doc;
}

std::uint64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024U;  // Linux reports KiB
}

}  // namespace fabricsim::scenario
