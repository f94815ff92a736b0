// DCQCN reaction point: rate cut on CNP, alpha EWMA, timer/byte-counter driven recovery, with
// timers evaluated lazily (see dcqcn.hpp for the algorithm and the equivalence argument).
#include "models/cc/dcqcn.hpp"

#include <algorithm>
#include <stdexcept>

namespace fabricsim::models {
namespace {

// Scaling of the HPCC preset: RATE_AI = 5 Mb/s and RATE_HAI = 50 Mb/s per 25 Gb/s of NIC rate.
constexpr std::uint64_t kAutoAiDivisor = 5000;
constexpr std::uint64_t kAutoHaiDivisor = 500;

// The first point of the grid anchor + k period (k >= 1) strictly after t >= anchor.
sim::Time next_grid_point(sim::Time anchor, sim::Time period, sim::Time t) {
  return anchor + period * ((t - anchor) / period + 1);
}

// rate + k * step, saturating at cap (rate <= cap).
std::uint64_t add_capped(std::uint64_t rate, std::uint64_t k, std::uint64_t step,
                         std::uint64_t cap) {
  const std::uint64_t room = cap - rate;
  if (step == 0 || k == 0) return rate;
  if (k > room / step) return cap;
  return rate + k * step;
}

}  // namespace

Dcqcn::Dcqcn(const DcqcnParams& params, std::uint64_t line_rate_bps)
    : line_bps_(line_rate_bps),
      rai_bps_(params.rate_ai_bps != 0
                   ? params.rate_ai_bps
                   : std::max<std::uint64_t>(1, line_rate_bps / kAutoAiDivisor)),
      rhai_bps_(params.rate_hai_bps != 0
                    ? params.rate_hai_bps
                    : std::max<std::uint64_t>(1, line_rate_bps / kAutoHaiDivisor)),
      min_bps_(std::min(params.min_rate_bps, line_rate_bps)),
      byte_counter_bytes_(params.byte_counter_bytes),
      g_(params.g),
      alpha_period_(params.alpha_timer),
      increase_period_(params.rate_increase_timer),
      decrease_interval_(params.limit_rate_decrease || params.cut_timing == DcqcnCutTiming::kGrid
                             ? params.rate_decrease_interval
                             : sim::Time::zero()),
      fast_recovery_stages_(params.fast_recovery_stages),
      clamp_target_rate_(params.clamp_target_rate),
      alpha_periodic_(params.alpha_update == DcqcnAlphaUpdate::kPeriodic),
      cut_on_grid_(params.cut_timing == DcqcnCutTiming::kGrid),
      hyper_constant_(params.hyper_increase == DcqcnHyperIncrease::kConstant),
      rc_(line_rate_bps),
      rt_(line_rate_bps),
      alpha_(params.initial_alpha) {
  if (line_rate_bps == 0) throw std::invalid_argument("dcqcn: line rate must be > 0");
  if (params.min_rate_bps == 0) throw std::invalid_argument("dcqcn: min_rate must be > 0");
  if (!(params.g > 0.0 && params.g <= 1.0)) {
    throw std::invalid_argument("dcqcn: g must be in (0, 1]");
  }
  if (!(params.initial_alpha >= 0.0 && params.initial_alpha <= 1.0)) {
    throw std::invalid_argument("dcqcn: initial_alpha must be in [0, 1]");
  }
  if (params.alpha_timer <= sim::Time::zero()) {
    throw std::invalid_argument("dcqcn: alpha_timer must be > 0");
  }
  if (params.rate_increase_timer <= sim::Time::zero()) {
    throw std::invalid_argument("dcqcn: rate_increase_timer must be > 0");
  }
  if (params.rate_decrease_interval < sim::Time::zero()) {
    throw std::invalid_argument("dcqcn: rate_decrease_interval must be >= 0");
  }
  if (cut_on_grid_ && params.rate_decrease_interval == sim::Time::zero()) {
    throw std::invalid_argument("dcqcn: cut_timing grid needs rate_decrease_interval > 0");
  }
}

std::uint64_t Dcqcn::rate_bps(sim::Time now) {
  advance(now);
  return rc_;
}

sim::Time Dcqcn::next_change(sim::Time now) const {
  // Only a deferred cut and the increase timer move the rate; alpha alone does not.
  const sim::Time next = std::min(cut_deadline(), increase_deadline_);
  if (next == sim::Time::max()) return next;
  return std::max(next, now);
}

void Dcqcn::on_send(sim::Time now, std::uint32_t bytes) {
  advance(now);
  if (byte_counter_bytes_ == 0 || rc_ >= line_bps_) return;
  bytes_since_increase_ += bytes;
  while (bytes_since_increase_ >= byte_counter_bytes_) {
    bytes_since_increase_ -= byte_counter_bytes_;
    ++byte_count_;
    increase();
    if (rc_ >= line_bps_) {
      bytes_since_increase_ = 0;
      break;
    }
  }
  refresh_deadline();
}

void Dcqcn::on_cnp(sim::Time now) {
  advance(now);
  const bool first = !cnp_seen_;
  if (first) {
    cnp_seen_ = true;
    first_cnp_ = now;
  }
  if (cut_on_grid_) {
    if (!cut_pending_) {
      cut_pending_ = true;
      grid_cut_ = next_grid_point(first_cnp_, decrease_interval_, now);
    }
  } else {
    on_cnp_immediate(now);
  }
  if (!alpha_periodic_) {
    alpha_ = (1.0 - g_) * alpha_ + g_;
    alpha_deadline_ = now + alpha_period_;
  } else if (first) {
    alpha_deadline_ = now + alpha_period_;  // the first CNP starts the timer, alpha unchanged
  } else {
    cnp_in_period_ = true;
    if (alpha_deadline_ == sim::Time::max()) {
      alpha_deadline_ = next_grid_point(first_cnp_, alpha_period_, now);
    }
  }
  refresh_deadline();
}

void Dcqcn::on_cnp_immediate(sim::Time now) {
  const bool may_cut = decrease_interval_ == sim::Time::zero() || cuts_ == 0 ||
                       now >= last_cut_ + decrease_interval_;
  if (may_cut) {
    cut(now);
  } else {
    cut_pending_ = true;
  }
}

void Dcqcn::advance(sim::Time now) {
  while (next_deadline_ <= now) {
    const sim::Time cut_at = cut_deadline();
    if (alpha_deadline_ == next_deadline_ && (cut_on_grid_ || cut_at != next_deadline_)) {
      // Alpha expiries at the increase timer's instant come first; at a deferred cut's, after
      // it; at a grid cut's, before it.
      sim::Time limit = std::min(now, increase_deadline_);
      if (cut_at != sim::Time::max()) {
        limit = std::min(limit, cut_on_grid_ ? cut_at : cut_at - sim::Time::ps(1));
      }
      update_alpha_until(limit);
    } else if (cut_at == next_deadline_) {
      cut(cut_at);
    } else {
      ++timer_count_;
      increase_deadline_ += increase_period_;
      increase();
    }
    refresh_deadline();
  }
}

void Dcqcn::cut(sim::Time at) {
  if (clamp_target_rate_ || timer_count_ > 0 || byte_count_ > 0) rt_ = rc_;
  const double kept = static_cast<double>(rc_) * (1.0 - alpha_ / 2.0);
  rc_ = std::max(min_bps_, static_cast<std::uint64_t>(kept));
  timer_count_ = 0;
  byte_count_ = 0;
  bytes_since_increase_ = 0;
  cut_pending_ = false;
  grid_cut_ = sim::Time::max();
  last_cut_ = at;
  ++cuts_;
  increase_deadline_ = rc_ < line_bps_ ? at + increase_period_ : sim::Time::max();
}

void Dcqcn::increase() {
  const std::uint32_t f = fast_recovery_stages_;
  std::uint32_t hyper_steps = 0;  // i of the hyper stage; 0 for fast recovery and additive
  bool additive = false;
  if (byte_counter_bytes_ == 0) {
    const std::uint32_t t = timer_count_;
    additive = t == f + 1;
    if (t > f + 1) hyper_steps = t - f - 1;
  } else {
    const std::uint32_t lo = std::min(timer_count_, byte_count_);
    const std::uint32_t hi = std::max(timer_count_, byte_count_);
    if (lo > f) {
      hyper_steps = lo - f;
    } else {
      additive = hi > f;
    }
  }
  if (additive) {
    rt_ = add_capped(rt_, 1, rai_bps_, line_bps_);
  } else if (hyper_steps > 0) {
    rt_ = add_capped(rt_, hyper_constant_ ? 1 : hyper_steps, rhai_bps_, line_bps_);
  }
  rc_ = rt_ - (rt_ - rc_) / 2;
  if (rc_ >= line_bps_) increase_deadline_ = sim::Time::max();
}

void Dcqcn::update_alpha_until(sim::Time limit) {
  const std::int64_t expiries = (limit - alpha_deadline_) / alpha_period_ + 1;
  const double keep = 1.0 - g_;
  std::int64_t k = 0;
  if (cnp_in_period_) {  // periodic: the first expiry counts the CNPs of its period
    alpha_ = keep * alpha_ + g_;
    cnp_in_period_ = false;
    k = 1;
  }
  for (; k < expiries; ++k) {
    const double next = alpha_ * keep;
    if (next == alpha_) {  // a fixed point (0 or the smallest subnormal): the timer is moot
      alpha_deadline_ = sim::Time::max();
      return;
    }
    alpha_ = next;
  }
  alpha_deadline_ += alpha_period_ * expiries;
}

void Dcqcn::refresh_deadline() {
  next_deadline_ = std::min({cut_deadline(), alpha_deadline_, increase_deadline_});
}

sim::Time Dcqcn::cut_deadline() const {
  if (!cut_pending_) return sim::Time::max();
  return cut_on_grid_ ? grid_cut_ : last_cut_ + decrease_interval_;
}

}  // namespace fabricsim::models
