// DCQCN reaction point (Zhu et al., SIGCOMM'15, "Congestion Control for Large-Scale RDMA
// Deployments"): the per-QP rate controller that cuts the rate on CNPs and recovers it with a
// timer and a byte counter. One instance per sending QP, owned by the NIC.
//
// State: current rate Rc, target rate Rt, congestion estimate alpha, timer count T and byte
// count BC since the last cut. Three behaviours are knobs (cc_params.hpp): alpha_update,
// cut_timing and hyper_increase; the presets combine them.
//  - cut: Rt <- Rc first (always when clamp_target_rate, else only if an increase happened
//    since the last cut, as Mellanox and ns-3 HPCC do), then Rc <- max(min_rate,
//    Rc (1 - alpha/2)). A cut resets T, BC and the byte count and restarts the increase timer.
//    cut_timing on_cnp: a CNP cuts at once; with limit_rate_decrease, a CNP less than
//    rate_decrease_interval after the last cut defers the cut to last cut + interval.
//    cut_timing grid: the first CNP anchors a grid of rate_decrease_interval; a CNP asks for a
//    cut at the next grid point after it (so the first CNP never cuts at once).
//  - alpha, alpha_update on_cnp: a CNP sets alpha <- (1-g) alpha + g and restarts the alpha
//    timer; every alpha_timer period without a CNP, alpha <- (1-g) alpha.
//    alpha_update periodic: the first CNP starts a free-running timer (and leaves alpha at
//    initial_alpha); each expiry sets alpha <- (1-g) alpha + g x [a CNP arrived since the
//    previous one].
//    Either way alpha stays initial_alpha until the first CNP.
//  - increase event (T++ at each increase-timer expiry, BC++ per byte_counter bytes sent):
//      fast recovery while max(T, BC) <= F:     Rc <- (Rt + Rc)/2
//      additive while min(T, BC) <= F:          Rt <- Rt + Rai, then Rc <- (Rt + Rc)/2
//      hyper otherwise, i = min(T, BC) - F:     Rt <- Rt + i Rhai (constant: Rhai), then
//                                               Rc <- (Rt + Rc)/2
//    Without a byte counter the timer alone drives the stages as in ns-3 HPCC: fast recovery
//    while T <= F, one additive step at T = F+1, then hyper with i = T - F - 1. Rt never
//    exceeds the line rate; the gap Rt - Rc is halved rounding down, so Rc reaches Rt.
//
// Lazy timers: no simulator events. Every call first processes, in time order, all timer
// expiries up to `now`, each at its own expiry time, then applies the call's own input. At
// equal times: with cut_timing on_cnp a deferred cut comes before the alpha decay; with grid
// the alpha update comes first (ns-3 checks cuts 1 ns after the alpha timer for that reason);
// the rate increase comes last. Expiries depend only on the state left by earlier expiries and
// inputs, so the state equals that of eager timers firing as events whose ties come before any
// input at the same instant. Timers that cannot change anything stop (the increase timer at
// line rate, the alpha timer once alpha is a fixed point and no CNP is pending) and restart on
// their grid, so an idle QP costs nothing.
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
  void update_alpha_until(sim::Time limit);
  void refresh_deadline();
  sim::Time cut_deadline() const;
  void on_cnp_immediate(sim::Time now);

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
  bool alpha_periodic_;
  bool cut_on_grid_;
  bool hyper_constant_;

  // Reaction-point state.
  std::uint64_t rc_;
  std::uint64_t rt_;
  double alpha_;
  std::uint64_t bytes_since_increase_ = 0;
  std::uint64_t cuts_ = 0;
  std::uint32_t timer_count_ = 0;
  std::uint32_t byte_count_ = 0;
  bool cut_pending_ = false;
  bool cnp_seen_ = false;                    // a CNP has arrived (alpha and grids start then)
  bool cnp_in_period_ = false;               // periodic alpha: a CNP since the last alpha update
  sim::Time first_cnp_ = sim::Time::zero();  // anchor of the periodic timers' grids
  sim::Time grid_cut_ = sim::Time::max();    // grid: the point of the pending cut
  sim::Time last_cut_ = sim::Time::zero();
  sim::Time alpha_deadline_ = sim::Time::max();
  sim::Time increase_deadline_ = sim::Time::max();
  sim::Time next_deadline_ = sim::Time::max();  // min of the three timers: the fast-path check
};

}  // namespace fabricsim::models
