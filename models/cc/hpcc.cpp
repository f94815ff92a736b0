// HPCC window control from path utilization (see hpcc.hpp).
#include "models/cc/hpcc.hpp"

#include <algorithm>
#include <stdexcept>

namespace fabricsim::models {
namespace {

// ns-3 HPCC run.py: RATE_AI = 10 Mb/s x bw / 25 Gb/s.
constexpr std::uint64_t kAutoAiDivisor = 2500;

}  // namespace

Hpcc::Hpcc(const HpccParams& params, std::uint64_t line_rate_bps, std::uint32_t mss_bytes)
    : params_(params),
      line_bps_(line_rate_bps),
      mss_(static_cast<double>(mss_bytes)),
      t_(params.base_rtt.seconds()),
      w_init_(0.0),
      w_min_(0.0),
      w_ai_(0.0),
      w_(0.0),
      wc_(0.0) {
  if (line_rate_bps == 0) throw std::invalid_argument("hpcc: line rate must be > 0");
  if (params.base_rtt <= sim::Time::zero()) {
    throw std::invalid_argument("hpcc: base_rtt must be > 0 (auto is resolved by the topology)");
  }
  if (!(params.eta > 0.0 && params.eta <= 1.0)) {
    throw std::invalid_argument("hpcc: eta must be in (0, 1]");
  }
  const std::uint64_t ai = params.rate_ai_bps != 0
                               ? params.rate_ai_bps
                               : std::max<std::uint64_t>(1, line_rate_bps / kAutoAiDivisor);
  auto bytes_in_t = [&](std::uint64_t rate_bps) {
    return static_cast<double>(sim::bytes_in(params.base_rtt, rate_bps));
  };
  w_init_ = bytes_in_t(line_rate_bps);
  w_ai_ = bytes_in_t(ai);
  w_min_ = std::min(w_init_, bytes_in_t(params.min_rate_bps));
  w_ = w_init_;
  wc_ = w_init_;
}

std::uint64_t Hpcc::rate_bps(sim::Time /*now*/) {
  const double rate = w_ * 8.0 / t_;
  return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(rate), 1, line_bps_);
}

std::uint64_t Hpcc::window_bytes() const {
  return static_cast<std::uint64_t>(std::max(w_, mss_));
}

void Hpcc::on_ack(sim::Time now, std::uint64_t /*acked_bytes*/, const AckFeedback& feedback) {
  if (!started_) {  // ns-3 keeps the first ACK's telemetry as the reference only
    started_ = true;
    last_update_ = now;
    return;
  }
  const bool per_rtt = now - feedback.rtt >= last_update_;  // sent after the last update
  if (!per_rtt && !params_.fast_react) return;
  const double u = feedback.utilization;
  double w;
  std::uint32_t stage = stage_;
  if (u >= params_.eta || stage_ >= params_.max_stage) {
    w = u > 0.0 ? wc_ / (u / params_.eta) + w_ai_ : w_init_;
    stage = 0;
  } else {
    w = wc_ + w_ai_;
    ++stage;
  }
  w = std::clamp(w, w_min_, w_init_);
  w_ = w;
  if (per_rtt) {
    wc_ = w;
    stage_ = stage;
    last_update_ = now;
  }
}

}  // namespace fabricsim::models
