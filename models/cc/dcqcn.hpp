// DCQCN reaction point (Zhu et al., SIGCOMM'15, "Congestion Control for Large-Scale RDMA
// Deployments"): the per-QP rate controller that cuts the rate on CNPs and recovers it with a
// timer and a byte counter. One instance per sending QP, owned by the NIC.
//
// State: current rate Rc, target rate Rt, congestion estimate alpha, timer count T and byte
// count BC since the last cut.
//  - CNP: cut Rc <- max(min_rate, Rc (1 - alpha/2)) with Rt <- Rc first (always when
//    clamp_target_rate, else only if an increase happened since the last cut, as Mellanox and
//    ns-3 HPCC do); then alpha <- (1-g) alpha + g and the alpha timer restarts. A cut resets
//    T, BC and the byte count and restarts the increase timer. With limit_rate_decrease, a CNP
//    less than rate_decrease_interval after the last cut defers the cut to last cut + interval.
//  - alpha timer: every alpha_timer period without a CNP, alpha <- (1-g) alpha. It starts at the
//    first CNP (alpha stays initial_alpha until then).
//  - increase event (T++ at each increase-timer expiry, BC++ per byte_counter bytes sent):
//      fast recovery while max(T, BC) <= F:     Rc <- (Rt + Rc)/2
//      additive while min(T, BC) <= F:          Rt <- Rt + Rai, then Rc <- (Rt + Rc)/2
//      hyper otherwise, i = min(T, BC) - F:     Rt <- Rt + i Rhai, then Rc <- (Rt + Rc)/2
//    Without a byte counter the timer alone drives the stages as in ns-3 HPCC: fast recovery
//    while T <= F, one additive step at T = F+1, then hyper with i = T - F - 1. Rt never
//    exceeds the line rate; the gap Rt - Rc is halved rounding down, so Rc reaches Rt.
//
// Lazy timers: no simulator events. Every call first processes, in time order, all timer
// expiries up to `now` (at equal times: deferred cut, alpha decay, rate increase), each at its
// own expiry time, then applies the call's own input. Expiries depend only on the state left
// by earlier expiries and inputs, so the state equals that of eager timers firing as events
// whose ties come before any input at the same instant. Timers that cannot change anything
// stop (the increase timer at line rate, the alpha timer once alpha is a fixed point of the
// decay), so an idle QP costs nothing.
#pragma once

#include <cstdint>

#include "models/cc/cc_params.hpp"
#include "models/cc/congestion_control.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

class Dcqcn final : public CongestionControl {
 public:
  // Throws std::invalid_argument for a non-positive timer period, g outside (0, 1], an alpha
  // outside [0, 1] or a zero line rate. Auto (0) Rai/Rhai are scaled from line_rate_bps.
  Dcqcn(const DcqcnParams& params, std::uint64_t line_rate_bps);

  std::uint64_t rate_bps(sim::Time now) override;
  sim::Time next_change(sim::Time now) const override;
  void on_send(sim::Time now, std::uint32_t bytes) override;
  void on_cnp(sim::Time now) override;

  // Introspection for tests and statistics; values as of the last call (no lazy update).
  std::uint64_t current_rate_bps() const { return rc_; }
  std::uint64_t target_rate_bps() const { return rt_; }
  double alpha() const { return alpha_; }
  std::uint32_t timer_count() const { return timer_count_; }
  std::uint32_t byte_count() const { return byte_count_; }
  std::uint64_t cuts() const { return cuts_; }
  std::uint64_t line_rate_bps() const { return line_bps_; }
  std::uint64_t rate_ai_bps() const { return rai_bps_; }
  std::uint64_t rate_hai_bps() const { return rhai_bps_; }
  std::uint64_t min_rate_bps() const { return min_bps_; }

 private:
  void advance(sim::Time now);
  void cut(sim::Time at);
  void increase();
  void decay_alpha_until(sim::Time limit);
  void refresh_deadline();
  sim::Time cut_deadline() const;

  // Resolved configuration.
  std::uint64_t line_bps_;
  std::uint64_t rai_bps_;
  std::uint64_t rhai_bps_;
  std::uint64_t min_bps_;
  std::uint64_t byte_counter_bytes_;
  double g_;
  sim::Time alpha_period_;
  sim::Time increase_period_;
  sim::Time decrease_interval_;  // zero when cuts are not limited
  std::uint32_t fast_recovery_stages_;
  bool clamp_target_rate_;

  // Reaction-point state.
  std::uint64_t rc_;
  std::uint64_t rt_;
  double alpha_;
  std::uint64_t bytes_since_increase_ = 0;
  std::uint64_t cuts_ = 0;
  std::uint32_t timer_count_ = 0;
  std::uint32_t byte_count_ = 0;
  bool cut_pending_ = false;
  sim::Time last_cut_ = sim::Time::zero();
  sim::Time alpha_deadline_ = sim::Time::max();
  sim::Time increase_deadline_ = sim::Time::max();
  sim::Time next_deadline_ = sim::Time::max();  // min of the three timers: the fast-path check
};

}  // namespace fabricsim::models
