// Out-of-line parts of the kernel: component registration, cancellation, progress.
#include "sim/simulator.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace fabricsim::sim {

std::uint32_t Simulator::register_component() {
  if (*next_component_ > TieKey::kMaxComponent) {
    throw std::length_error(
        fmt::format("too many simulated components (limit {})", TieKey::kMaxComponent));
  }
  return (*next_component_)++;
}

bool Simulator::cancel(EventId id) {
  // Events run in (time, tie) order, so anything at or before the last one run is gone.
  if (id.at < now_ || (id.at == now_ && events_ > 0 && id.tie <= last_tie_)) return false;
  return cancelled_.insert(id.tie).second;
}

StopReason Simulator::run_through(Time t, std::uint64_t tie) {
  stop_requested_ = false;
  while (!queue_.empty()) {
    const Time at = queue_.top_time();
    if (at > t || (at == t && queue_.top_tie() > tie)) return StopReason::kTimeLimit;
    const Event e = queue_.pop();
    if (!cancelled_.empty() && cancelled_.erase(e.tie) != 0) continue;
    now_ = e.at;
    last_tie_ = e.tie;
    ++events_;
    if (fingerprint_enabled_) fold_fingerprint(e);
    e.target->on_event(e.arg);
    if (stop_requested_) return StopReason::kStopRequested;
  }
  return StopReason::kEmpty;
}

StopReason Simulator::run_until(Time t) {
  const StopReason reason = run_loop(t, [] { return false; });
  if (reason == StopReason::kTimeLimit || reason == StopReason::kEmpty) {
    if (now_ < t) now_ = t;
    return StopReason::kTimeLimit;
  }
  return reason;
}

void Simulator::set_progress(std::uint64_t every_events,
                             std::function<void(const Simulator&)> callback) {
  progress_every_ = every_events;
  progress_ = std::move(callback);
  progress_countdown_ = (progress_ && every_events > 0) ? every_events : ~0ULL;
}

void Simulator::fire_progress() {
  if (progress_) {
    progress_(*this);
    progress_countdown_ = progress_every_;
  } else {
    progress_countdown_ = ~0ULL;
  }
}

void Simulator::throw_past(Time at) const {
  throw std::logic_error(fmt::format("event scheduled in the past: at {} ps, now {} ps",
                                     at.picoseconds(), now_.picoseconds()));
}

}  // namespace fabricsim::sim
