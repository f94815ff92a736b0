// What one run reports: the fabricsim.results/1 document of shared DESIGN.md (fields may be
// added, never renamed), built by the runner and written as results.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fabricsim::scenario {

struct CollectiveResult {
  std::string phase;         // training steps: the phase's name (empty otherwise)
  std::uint32_t groups = 1;  // training steps: groups that ran it at once
  std::string op;
  std::string algorithm;
  std::string protocol = "ideal";  // the GPU-side model's protocol (workloads/nccl)
  std::uint32_t channels = 1;      // schedule channels
  std::string nccl_algorithm;      // NCCL's choice per its tuner (empty: ideal protocol)
  std::uint64_t bytes = 0;
  std::uint32_t ranks = 0;
  std::uint32_t iteration = 0;
  std::int64_t time_ps = 0;
  double algbw_GBps = 0.0;
  double busbw_GBps = 0.0;
};

// One phase of a training step (times -1 when it never started or ended).
struct PhaseResult {
  std::string name;
  std::string kind;  // "compute" or "collective"
  std::uint32_t groups = 0;
  std::int64_t start_ps = -1;
  std::int64_t end_ps = -1;
};

// One row of flows.csv.
struct FlowRow {
  std::uint64_t id = 0;  // index of the flow in start order (ties keep the workload's order)
  std::uint32_t src = 0;
  std::uint32_t dst = 0;
  std::uint64_t bytes = 0;
  std::int64_t start_ps = 0;
  std::int64_t finish_ps = 0;
  std::int64_t ideal_ps = 0;  // the ideal FCT (scenario/flow_table.hpp); -1 = no path
  std::uint64_t retransmitted_bytes = 0;
  // FCT / ideal FCT (>= 1 up to rounding); 0 without an ideal FCT.
  double slowdown() const {
    if (ideal_ps <= 0) return 0.0;
    return static_cast<double>(finish_ps - start_ps) / static_cast<double>(ideal_ps);
  }
};

// Slowdown percentiles of the flows whose size is in [min_bytes, max_bytes) (max_bytes 0 = no
// upper bound). Nearest rank: the smallest slowdown with at least p% of the bin's flows at or
// below it, as results.json's FCT percentiles.
struct SlowdownBin {
  std::uint64_t min_bytes = 0;
  std::uint64_t max_bytes = 0;
  std::uint64_t count = 0;
  double p50 = 0.0;
  double p95 = 0.0;
  double p99 = 0.0;
  double max = 0.0;
  double mean = 0.0;
};

struct FlowSummary {
  std::uint64_t count = 0;
  std::uint64_t completed = 0;
  std::uint64_t bytes = 0;
  std::int64_t fct_p50_ps = 0;
  std::int64_t fct_p99_ps = 0;
  std::int64_t fct_max_ps = 0;
  double fct_mean_ps = 0.0;
  // Traffic workloads: FCT / ideal FCT per flow-size bin (flow_table.hpp), every flow last.
  std::vector<SlowdownBin> slowdown_by_size;
};

struct FabricSummary {
  std::uint64_t packets_delivered = 0;
  std::uint64_t packet_hops = 0;
  std::uint64_t drops = 0;
  std::uint64_t retransmissions = 0;
  std::uint64_t ecn_marks = 0;
  std::uint64_t cnps = 0;
  std::uint64_t pfc_pause_frames = 0;
  std::uint64_t max_queue_bytes = 0;
  std::uint64_t timeouts = 0;         // local ACK timeouts that expired
  std::uint64_t qp_errors = 0;        // QPs that went to the error state
  std::uint64_t bytes_delivered = 0;  // payload delivered in order, each byte once
};

// Multipath fabrics (several planes, nic.transport mrc, or switch trimming): what the
// mechanisms did, and how the planes shared the traffic.
struct MultipathSummary {
  bool configured = false;
  std::string transport;  // nic.transport
  std::uint32_t planes = 1;
  std::uint64_t trims = 0;
  std::uint64_t nacks = 0;
  std::uint64_t selective_resends = 0;  // MRC: packets sent again (after a NACK or their timer)
  std::uint64_t packet_timeouts = 0;
  std::uint64_t ev_swaps = 0;
  std::uint64_t ev_retirements = 0;
  std::uint64_t ev_probes = 0;
  std::uint64_t ev_revivals = 0;
  std::vector<std::uint64_t> plane_tx_bytes;  // per plane: sent by the NICs' ports
  std::vector<std::uint64_t> plane_trims;     // per plane: trimmed by its switches
  double plane_imbalance = 0.0;               // max / mean of plane_tx_bytes
};

// Bytes sent over the switch-to-switch links of one level and direction (leaf_up, ...).
struct LinkLoadSummary {
  std::string level;
  std::uint64_t links = 0;
  double mean_bytes = 0.0;
  std::uint64_t max_bytes = 0;
  double max_over_mean = 0.0;  // 1 = perfectly balanced
};

// Why (part of) a workload failed: one entry per QP that went to the error state.
struct RunError {
  std::string kind;  // "qp_error"
  std::int64_t time_ps = 0;
  std::uint64_t src = 0;  // the requester's endpoint
  std::uint64_t dst = 0;
  std::uint32_t channel = 0;
  std::string message;  // one line, also printed on stderr
};

// One planned fault and the fabric's reaction instants (-1: none, e.g. never restored).
struct FaultEventResult {
  std::string kind;  // link_down, flap, switch_reboot, nic_down, degrade
  std::string target;
  std::int64_t at_ps = 0;
  std::int64_t detected_ps = -1;
  std::int64_t converged_ps = -1;
  std::int64_t restored_ps = -1;
  std::int64_t reconverged_ps = -1;
  std::uint32_t links = 0;
};

// What the faults cost (scenarios with a `faults` section only).
struct FaultSummary {
  bool configured = false;
  std::int64_t detection_ps = 0;
  std::int64_t convergence_ps = -1;  // -1: no routing convergence ("never")
  std::uint64_t events = 0;          // faults that started before the run ended (flaps included)
  std::uint64_t planned_events = 0;  // every fault planned (a flap process may plan past the end)
  std::uint64_t link_outages = 0;    // links that failed (outages that overlap count once)
  std::uint64_t packets_blackholed = 0;    // sent into a failed link, or on the wire then
  std::uint64_t packets_link_down = 0;     // queued on, or routed to, a link detected down
  std::uint64_t lost_bytes = 0;            // wire bytes of both
  std::uint64_t stragglers = 0;            // straggler GPUs (faults.stragglers)
  std::vector<FaultEventResult> timeline;  // the first kMaxTimeline faults of `events`
  static constexpr std::size_t kMaxTimeline = 10'000;
  // The same scenario without faults (RunOptions::compare_fault_free): its completion time
  // and the ratio of this run's to it (for flows: also the FCT p99 ratio). -1: not run.
  std::int64_t fault_free_time_ps = -1;
  double slowdown = -1.0;
  std::int64_t fault_free_fct_p99_ps = -1;
  double fct_p99_slowdown = -1.0;
};

struct TopologySummary {
  std::string kind;
  std::uint64_t gpus = 0;
  std::uint64_t hosts = 0;
  std::uint64_t switches = 0;
  std::uint64_t links = 0;
};

struct Results {
  std::string scenario;
  std::uint64_t seed = 1;
  std::int64_t sim_time_ps = 0;
  std::uint64_t events = 0;
  bool completed = true;  // false when stop_at cut the workload short
  // Measured, so they differ between runs; everything else is deterministic.
  double wall_seconds = 0.0;   // setup + run + results
  double setup_seconds = 0.0;  // topology graph, routing, fabric build, workload generation
  double run_seconds = 0.0;    // the event loop alone
  std::uint64_t peak_rss_bytes = 0;
  TopologySummary topology;
  std::vector<CollectiveResult> collectives;
  std::vector<PhaseResult> phases;  // training steps only
  FlowSummary flows;
  FabricSummary fabric;
  FaultSummary faults;
  MultipathSummary multipath;
  std::vector<LinkLoadSummary> load_balance;  // the levels that have links
  std::vector<std::string> warnings;          // e.g. a time series skipped for size; also on stderr
  std::vector<RunError> errors;    // the first kMaxReportedErrors (fabric.qp_errors counts all)
  std::vector<FlowRow> flow_rows;  // traffic workloads: completed flows (flows.csv), id order
  static constexpr std::size_t kMaxReportedErrors = 100;
  // About how this run ran, not about the results (e.g. threads that held no GPU): printed on
  // stderr, never written to results.json (which must not depend on the thread count).
  std::vector<std::string> run_notes;
};

// The fabricsim.results/1 JSON document. `include_measured` = false leaves out wall time,
// events/s and memory, giving the bit-for-bit reproducible part (used by determinism tests).
nlohmann::json to_json(const Results& results, bool include_measured = true);

// Peak resident set size of this process so far, in bytes (getrusage).
std::uint64_t peak_rss_bytes();

}  // namespace fabricsim::scenario
