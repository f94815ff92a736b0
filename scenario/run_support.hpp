// What the single-simulator and the parallel scenario runners share: the flow starter, the
// stop-on-completion observer, the workloads' set-up and the results' common parts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/fabric.hpp"
#include "scenario/collective_run.hpp"
#include "scenario/flow_table.hpp"
#include "scenario/results.hpp"
#include "scenario/scenario.hpp"
#include "scenario/timeseries.hpp"
#include "scenario/training_step.hpp"
#include "sim/parallel.hpp"
#include "sim/simulator.hpp"
#include "sim/trace.hpp"
#include "topologies/network_graph.hpp"
#include "workloads/transports/sim/sim_transport.hpp"

namespace fabricsim::scenario {

// Starts each flow at its start time: one event per distinct start time, not per flow. In a
// parallel run every partition has a replica (same component id, same events) that starts
// the flows of its own NICs; only partition 0's replica counts its events.
class FlowStarter : public sim::Component {
 public:
  using Flows = std::shared_ptr<const std::vector<FlowSpec>>;
  // `flows` sorted by start time (sort_flows).
  FlowStarter(sim::Simulator& sim, models::Fabric& fabric, Flows flows);
  // The replica in `partition`'s simulator `sim` of the starter `home`.
  FlowStarter(sim::Simulator& sim, const FlowStarter& home, std::uint32_t partition);
  static Flows sort_flows(std::vector<FlowSpec> flows);
  void on_event(std::uint64_t) override;

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

inline bool is_flow_workload(WorkloadKind kind) {
  return kind == WorkloadKind::kTraffic || kind == WorkloadKind::kFlows;
}

// The flows of a traffic or flows workload (`sim` gives the seeded generator).
std::vector<FlowSpec> workload_flows(const Scenario& s, const topologies::NetworkGraph& graph,
                                     const sim::Simulator& sim);

// Refuses, before the run, a workload whose endpoints have no path between them (a disconnected
// explicit topology): a flow's source and destination, or the ranks of a collective or training
// step (every pair may talk). ConfigError naming the scenario, the pair and the topology.
// One pass over the graph when it is connected.
void check_workload_connected(const Scenario& s, const topologies::NetworkGraph& graph,
                              const std::vector<FlowSpec>& flows);

// A collective or training-step workload on a fabric: the sim transport and the run, made
// (schedules generated, queue pairs connected) but not started. Bad settings throw
// ConfigError naming the scenario file and the JSON path.
struct GpuWorkload {
  std::unique_ptr<workloads::SimNetwork> network;  // before the runs that use it
  std::unique_ptr<CollectiveRun> collective;
  std::unique_ptr<TrainingStepRun> training;
};
GpuWorkload make_gpu_workload(const Scenario& s, const topologies::NetworkGraph& graph,
                              models::Fabric& fabric);

// Results with the scenario and topology parts filled in.
Results base_results(const Scenario& s, const topologies::NetworkGraph& graph);
// FCTs of the fabric's flow log (for flow workloads), their slowdowns against `ideal` (per
// flow in r.flow_rows, by size bin in r.flows) and the fabric counters `c`.
// QP errors become r.errors (and end the workload as not completed).
void flow_and_fabric_results(Results& r, const models::Fabric& fabric, bool flow_workload,
                             const IdealFct& ideal, const models::FabricCounters& c,
                             const std::vector<models::QpErrorRecord>& qp_errors);

// Writes results.json, config.json, the time series (when recorded), flows.csv (when asked
// for) and, when the scenario asks for one, trace.json through `write_trace`.
void write_outputs(const std::filesystem::path& dir, const Scenario& s, const Results& r,
                   const TimeSeriesRecorder* timeseries,
                   const std::function<void(sim::TraceWriter&)>& write_trace);

// Distributed runs: every process counted only its own partition's components.
models::FabricCounters combine_processes(const models::FabricCounters& c, sim::Exchange& x);
// Distributed runs: every process gets every partition's flow log.
void share_flow_logs(models::Fabric& fabric, sim::Exchange& x);
// Distributed runs: every process's QP errors, in the order Fabric::qp_errors gives them.
std::vector<models::QpErrorRecord> share_qp_errors(const models::Fabric& fabric, sim::Exchange& x);

}  // namespace fabricsim::scenario
