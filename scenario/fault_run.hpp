// A scenario's faults wired into a run: plans them on the built topology, arms the injector
// (and its replicas in a parallel run) with routing convergence from the topology layer, and
// reports the timeline and what the faults cost. Inert, and costs nothing, without faults.
#pragma once

#include <memory>
#include <vector>

#include "models/fabric.hpp"
#include "models/faults/fault_injector.hpp"
#include "scenario/fault_timeline.hpp"
#include "scenario/results.hpp"
#include "scenario/scenario.hpp"
#include "sim/parallel.hpp"
#include "sim/trace.hpp"
#include "topologies/fault_routes.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"

namespace fabricsim::scenario {

class FaultRun {
 public:
  // `graph`, `routes` and `fabric` must outlive this. Makes the injector in `home` (the
  // simulator of partition 0 in a parallel run): call where the single-simulator run and the
  // parallel one make the same components before it, so component ids match.
  FaultRun(const Scenario& s, const topologies::NetworkGraph& graph,
           const topologies::Routes& routes, models::Fabric& fabric, sim::Simulator& home);
  // Parallel runs: a replica of the injector in every other partition.
  void add_replicas(sim::ParallelEngine& engine);
  bool active() const { return injector_ != nullptr; }
  // results.faults from the plan and the run's counters, compared with `fault_free` (the same
  // scenario run without faults) when given.
  void report(Results& r, const models::FabricCounters& c, const Results* fault_free) const;
  // A "faults" track in trace.json: each fault from its start to its end, with its reaction
  // instants.
  void write_trace(sim::TraceWriter& trace) const;

 private:
  FaultSetup setup_;
  bool converge_ = true;
  std::size_t stragglers_ = 0;
  std::unique_ptr<topologies::FaultRoutes> routes_;
  std::unique_ptr<models::FaultInjector> injector_;
  std::vector<std::unique_ptr<models::FaultInjector>> replicas_;
};

// The scenario with its faults removed (for the fault-free comparison run).
Scenario without_faults(const Scenario& s);

}  // namespace fabricsim::scenario
