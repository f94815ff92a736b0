// Swift: delay-target window control with flow and topology scaling (see swift.hpp).
#include "models/cc/swift.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fabricsim::models {

Swift::Swift(const SwiftParams& params, std::uint64_t line_rate_bps, std::uint32_t mss_bytes)
    : params_(params),
      line_bps_(line_rate_bps),
      mss_(static_cast<double>(mss_bytes)),
      fs_a_(0.0),
      fs_b_(0.0),
      cwnd_(0.0),
      rtt_(params.base_target) {
  if (line_rate_bps == 0) throw std::invalid_argument("swift: line rate must be > 0");
  if (mss_bytes == 0) throw std::invalid_argument("swift: MSS must be > 0");
  if (params.base_target <= sim::Time::zero()) {
    throw std::invalid_argument("swift: base_target must be > 0");
  }
  if (!(params.ai > 0.0) || !(params.beta > 0.0)) {
    throw std::invalid_argument("swift: ai and beta must be > 0");
  }
  if (!(params.max_mdf > 0.0 && params.max_mdf < 1.0)) {
    throw std::invalid_argument("swift: max_mdf must be in (0, 1)");
  }
  if (!(params.fs_min_cwnd > 0.0 && params.fs_min_cwnd < params.fs_max_cwnd)) {
    throw std::invalid_argument("swift: need 0 < fs_min_cwnd < fs_max_cwnd");
  }
  if (!(params.min_cwnd > 0.0 && params.min_cwnd <= params.max_cwnd)) {
    throw std::invalid_argument("swift: need 0 < min_cwnd <= max_cwnd");
  }
  fs_a_ = params.fs_range.seconds() /
          (1.0 / std::sqrt(params.fs_min_cwnd) - 1.0 / std::sqrt(params.fs_max_cwnd));
  fs_b_ = -fs_a_ / std::sqrt(params.fs_max_cwnd);
  const std::uint64_t bdp = sim::bytes_in(params.base_target, line_rate_bps);
  cwnd_ = static_cast<double>(params.initial_window_bytes != 0 ? params.initial_window_bytes : bdp);
  clamp();
}

sim::Time Swift::target_delay(std::uint32_t hops) const {
  const double fs =
      std::clamp(fs_a_ / std::sqrt(cwnd_ / mss_) + fs_b_, 0.0, params_.fs_range.seconds());
  return params_.base_target + params_.hop_scale * static_cast<std::int64_t>(hops) +
         sim::Time::ps(static_cast<std::int64_t>(fs * 1e12));
}

std::uint64_t Swift::rate_bps(sim::Time /*now*/) {
  if (cwnd_ >= mss_) return line_bps_;
  const double rate = cwnd_ * 8.0 / rtt_.seconds();
  return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(rate), 1, line_bps_);
}

std::uint64_t Swift::window_bytes() const {
  return static_cast<std::uint64_t>(std::max(cwnd_, mss_));
}

void Swift::on_ack(sim::Time now, std::uint64_t acked_bytes, const AckFeedback& feedback) {
  const sim::Time rtt = feedback.rtt;
  const std::uint32_t hops = feedback.hops;
  timeouts_in_row_ = 0;
  if (rtt <= sim::Time::zero()) return;  // no sample (a control-only ACK)
  rtt_ = rtt;
  const sim::Time target = target_delay(hops);
  const auto acked = static_cast<double>(acked_bytes);
  if (rtt < target) {
    cwnd_ += cwnd_ >= mss_ ? params_.ai * mss_ * acked / cwnd_ : params_.ai * acked;
    clamp();
  } else if (can_decrease(now)) {
    const double over = (rtt - target).seconds() / rtt.seconds();
    decrease_to(cwnd_ * std::max(1.0 - params_.beta * over, 1.0 - params_.max_mdf), now);
  }
}

void Swift::on_timeout(sim::Time now) {
  ++timeouts_in_row_;
  if (timeouts_in_row_ >= params_.retx_reset_threshold) {
    decrease_to(params_.min_cwnd * mss_, now);
  } else if (can_decrease(now)) {
    decrease_to(cwnd_ * (1.0 - params_.max_mdf), now);
  }
}

bool Swift::can_decrease(sim::Time now) const {
  return now - last_decrease_ >= rtt_;
}

void Swift::decrease_to(double cwnd, sim::Time now) {
  if (cwnd < cwnd_) {
    last_decrease_ = now;
    ++decreases_;
  }
  cwnd_ = cwnd;
  clamp();
}

void Swift::clamp() {
  cwnd_ = std::clamp(cwnd_, params_.min_cwnd * mss_, params_.max_cwnd * mss_);
}

}  // namespace fabricsim::models
