// The fault injector: applies a FaultPlan's actions at their instants.
#include "models/faults/fault_injector.hpp"

#include <stdexcept>

namespace fabricsim::models {

const char* fault_action_name(FaultActionKind kind) {
  switch (kind) {
    case FaultActionKind::kFail:
      return "fail";
    case FaultActionKind::kDetect:
      return "detect";
    case FaultActionKind::kRestore:
      return "restore";
    case FaultActionKind::kSetRate:
      return "set_rate";
    case FaultActionKind::kSetLoss:
      return "set_loss";
    case FaultActionKind::kConverge:
      return "converge";
  }
  return "?";
}

const char* link_state_name(LinkState state) {
  switch (state) {
    case LinkState::kUp:
      return "up";
    case LinkState::kFailed:
      return "failed";
    case LinkState::kDown:
      return "down";
  }
  return "?";
}

FaultInjector::FaultInjector(sim::Simulator& sim, Fabric& fabric,
                             std::shared_ptr<const FaultPlan> plan, RouteSource* routes)
    : sim::Component(sim), fabric_(fabric), plan_(std::move(plan)), routes_(routes) {
  for (const FaultAction& a : plan_->actions) {
    if (a.kind == FaultActionKind::kConverge) {
      if (routes_ == nullptr)
        throw std::invalid_argument(
            "FaultInjector: a plan that converges "
            "needs a RouteSource");
    } else if (a.link >= plan_->links.size()) {
      throw std::out_of_range("FaultInjector: an action names a link the plan does not list");
    }
  }
  for (const LinkRef& link : plan_->links) {
    Port& a = fabric_.network_port(link.a.node, link.a.port);
    Port& b = fabric_.network_port(link.b.node, link.b.port);
    a.enable_faults();
    b.enable_faults();
    a.watch_arrivals(b);
    b.watch_arrivals(a);
  }
  schedule_next();
}

FaultInjector::FaultInjector(sim::Simulator& sim, const FaultInjector& home,
                             std::uint32_t partition)
    : sim::Component(sim, home.component_id()),
      fabric_(home.fabric_),
      plan_(home.plan_),
      routes_(home.routes_),
      partition_(partition),
      replica_(true) {
  schedule_next();
}

void FaultInjector::schedule_next() {
  if (next_ < plan_->actions.size()) schedule_at(plan_->actions[next_].at, *this, 0);
}

bool FaultInjector::runs(NodeRef node) const {
  if (fabric_.partition_count() == 1) return true;
  const std::uint32_t p = fabric_.partition_of(node);
  return p == partition_ && fabric_.runs_partition(p);
}

void FaultInjector::on_event(std::uint64_t /*arg*/) {
  if (replica_ && partition_ != 0) simulator().discount_event();
  const sim::Time t = now();
  const auto& actions = plan_->actions;
  while (next_ < actions.size() && actions[next_].at == t)
    apply(actions[next_++]);
  schedule_next();
}

void FaultInjector::apply(const FaultAction& action) {
  if (action.kind == FaultActionKind::kConverge) {
    for (std::uint32_t s = 0; s < fabric_.switch_count(); ++s) {
      if (runs(NodeRef::sw(s))) routes_->install(fabric_, s, action.step);
    }
    return;
  }
  const LinkRef& link = plan_->links[action.link];
  const LinkEnd* ends[2] = {&link.a, &link.b};
  for (std::uint32_t i = 0; i < 2; ++i) {
    const LinkEnd& end = *ends[i];
    if (!runs(end.node)) continue;
    Port& port = fabric_.network_port(end.node, end.port);
    switch (action.kind) {
      case FaultActionKind::kFail:
        port.fail_link();
        break;
      case FaultActionKind::kDetect:
        if ((action.ends & (1U << i)) != 0) port.detect_link_down();
        break;
      case FaultActionKind::kRestore:
        port.restore_link();
        break;
      case FaultActionKind::kSetRate:
        port.set_rate(action.rate_bps);
        break;
      case FaultActionKind::kSetLoss:
        port.set_loss_rate(action.loss_rate, 0xFA17'0000U + 2 * action.link + i);
        break;
      case FaultActionKind::kConverge:
        break;
    }
  }
}

}  // namespace fabricsim::models
