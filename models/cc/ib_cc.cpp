// InfiniBand CCTI-based injection rate control (see ib_cc.hpp).
#include "models/cc/ib_cc.hpp"

#include <algorithm>
#include <stdexcept>

namespace fabricsim::models {

IbCc::IbCc(const IbCcParams& params, std::uint64_t line_rate_bps)
    : params_(params), line_bps_(line_rate_bps), ccti_(params.ccti_min) {
  if (line_rate_bps == 0) throw std::invalid_argument("ib cc: line rate must be > 0");
  if (params.ccti_timer <= sim::Time::zero()) {
    throw std::invalid_argument("ib cc: ccti_timer must be > 0");
  }
  if (!(params.cct_step >= 0.0)) throw std::invalid_argument("ib cc: cct_step must be >= 0");
  if (params.ccti_min > params.ccti_limit) {
    throw std::invalid_argument("ib cc: ccti_min must not exceed ccti_limit");
  }
}

void IbCc::advance(sim::Time now) {
  if (now < next_decrement_) return;
  // One decrement per whole timer period elapsed, never below the minimum.
  const std::int64_t periods = 1 + (now - next_decrement_) / params_.ccti_timer;
  const auto above = static_cast<std::int64_t>(ccti_ - params_.ccti_min);
  if (periods >= above) {
    ccti_ = params_.ccti_min;
    next_decrement_ = sim::Time::max();
  } else {
    ccti_ -= static_cast<std::uint32_t>(periods);
    next_decrement_ += params_.ccti_timer * periods;
  }
}

std::uint64_t IbCc::rate_bps(sim::Time now) {
  advance(now);
  if (ccti_ == 0) return line_bps_;
  const double factor = 1.0 + static_cast<double>(ccti_) * params_.cct_step;
  return std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(static_cast<double>(line_bps_) / factor));
}

sim::Time IbCc::next_change(sim::Time /*now*/) const {
  return next_decrement_;
}

void IbCc::on_cnp(sim::Time now) {
  advance(now);
  const bool was_min = ccti_ == params_.ccti_min;
  ccti_ = std::min(params_.ccti_limit, ccti_ + params_.ccti_increase);
  // The timer runs while the index is above its minimum; it starts with the first increase.
  if (was_min && ccti_ > params_.ccti_min) next_decrement_ = now + params_.ccti_timer;
}

}  // namespace fabricsim::models
