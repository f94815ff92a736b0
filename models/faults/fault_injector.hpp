// Runs a FaultPlan in the simulator: one event per instant of the plan, applying its actions
// to the ports and switches this partition runs. In a parallel run every partition has a
// replica with the same component id scheduling the same events (one of them counts them), so
// event order and results do not depend on the partitioning.
#pragma once

#include <cstdint>
#include <memory>

#include "models/fabric.hpp"
#include "models/faults/fault_plan.hpp"
#include "sim/simulator.hpp"

namespace fabricsim::models {

class FaultInjector final : public sim::Component {
 public:
  // `fabric` and `routes` (may be null when the plan never converges) must outlive the
  // injector. Gives every port the plan touches its fault state (Port::enable_faults) and
  // schedules the first instant.
  FaultInjector(sim::Simulator& sim, Fabric& fabric, std::shared_ptr<const FaultPlan> plan,
                RouteSource* routes);
  // The replica of `home` in partition `partition`, whose simulator is `sim`.
  FaultInjector(sim::Simulator& sim, const FaultInjector& home, std::uint32_t partition);

  void on_event(std::uint64_t arg) override;
  std::size_t actions_done() const { return next_; }

 private:
  bool runs(NodeRef node) const;
  void apply(const FaultAction& action);
  void schedule_next();

  Fabric& fabric_;
  std::shared_ptr<const FaultPlan> plan_;
  RouteSource* routes_;
  std::size_t next_ = 0;
  std::uint32_t partition_ = 0;
  bool replica_ = false;
};

}  // namespace fabricsim::models
