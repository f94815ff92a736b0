// NSCC: the four-quadrant ECN and delay window control of Ultra Ethernet (see nscc.hpp).
#include "models/cc/nscc.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fabricsim::models {
namespace {

bool non_negative(double x) {
  return std::isfinite(x) && x >= 0.0;
}

}  // namespace

Nscc::Nscc(const NsccParams& params, std::uint64_t line_rate_bps, std::uint32_t mss_bytes)
    : params_(params),
      line_bps_(line_rate_bps),
      mss_(static_cast<double>(mss_bytes)),
      network_rtt_(params.base_rtt),
      target_(params.target_qdelay),
      qa_threshold_(sim::Time::zero()),
      base_rtt_(params.base_rtt) {
  if (line_rate_bps == 0) throw std::invalid_argument("nscc: line rate must be > 0");
  if (mss_bytes == 0) throw std::invalid_argument("nscc: MSS must be > 0");
  if (params.base_rtt <= sim::Time::zero()) {
    throw std::invalid_argument("nscc: base_rtt must be > 0 (auto is resolved by the topology)");
  }
  if (params.reference_rate_bps == 0 || params.reference_rtt <= sim::Time::zero()) {
    throw std::invalid_argument("nscc: reference_rate and reference_rtt must be > 0");
  }
  if (params.target_qdelay < sim::Time::zero()) {
    throw std::invalid_argument("nscc: target_qdelay must be >= 0 (0 = auto)");
  }
  if (!non_negative(params.fair_increase) || !non_negative(params.proportional_increase) ||
      !non_negative(params.fast_increase) || !non_negative(params.eta) ||
      !non_negative(params.md_gain)) {
    throw std::invalid_argument("nscc: the increase and decrease gains must be >= 0");
  }
  if (!(params.max_mdf > 0.0 && params.max_mdf < 1.0)) {
    throw std::invalid_argument("nscc: max_mdf must be in (0, 1)");
  }
  if (!(params.delay_gain > 0.0 && params.delay_gain <= 1.0)) {
    throw std::invalid_argument("nscc: delay_gain must be in (0, 1]");
  }
  if (params.qa_gate >= 64) throw std::invalid_argument("nscc: qa_gate must be < 64");
  if (!(params.qa_threshold > 0.0)) throw std::invalid_argument("nscc: qa_threshold must be > 0");
  if (params.adjust_packets == 0) throw std::invalid_argument("nscc: adjust_packets must be >= 1");
  if (!(params.max_window_bdp > 0.0)) {
    throw std::invalid_argument("nscc: max_window_bdp must be > 0");
  }
  if (target_ == sim::Time::zero()) {
    target_ = params.trimming ? sim::Time::ps(network_rtt_.picoseconds() * 3 / 4) : network_rtt_;
  }
  const auto bdp = static_cast<double>(sim::bytes_in(network_rtt_, line_rate_bps));
  const auto reference_bdp =
      static_cast<double>(sim::bytes_in(params.reference_rtt, params.reference_rate_bps));
  a_ = bdp / reference_bdp;
  b_ = target_.seconds() / params.reference_rtt.seconds();
  fi_ = params.fair_increase * mss_ * a_;
  alpha_ = params.proportional_increase * mss_ * a_ * b_ / target_.seconds();
  eta_ = params.eta * mss_ * a_;
  qa_threshold_ = sim::Time::ps(static_cast<std::int64_t>(
      std::llround(params.qa_threshold * static_cast<double>(target_.picoseconds()))));
  adjust_bytes_ = static_cast<double>(params.adjust_packets) * mss_;
  max_window_ = std::max(params.max_window_bdp * bdp, mss_);
  cwnd_ = params.initial_window_bytes != 0 ? static_cast<double>(params.initial_window_bytes)
                                           : max_window_;
  clamp();
}

std::uint64_t Nscc::rate_bps(sim::Time /*now*/) {
  return line_bps_;
}

std::uint64_t Nscc::window_bytes() const {
  return static_cast<std::uint64_t>(cwnd_);
}

void Nscc::on_ack(sim::Time now, std::uint64_t acked_bytes, const AckFeedback& echo) {
  AckFeedback feedback = echo;
  feedback.ce = echo.ce || cnp_;
  cnp_ = false;
  received_ += acked_bytes;
  achieved_ += acked_bytes;
  ignored_ += acked_bytes;
  sim::Time delay;
  if (feedback.rtt > sim::Time::zero()) {
    if (feedback.rtt < base_rtt_) lower_base_rtt(feedback.rtt);
    delay = feedback.rtt - base_rtt_;
    // A clean ACK above the target says the queue is not this flow's: it pulls the average
    // down (htsim update_delay).
    average_delay(!feedback.ce && delay > target_ ? base_rtt_.seconds() / 4.0 : delay.seconds());
  } else {  // no sample (a control-only ACK): the average stands in
    delay = sim::Time::ps(static_cast<std::int64_t>(avg_delay_s_ * 1e12));
  }
  if (quick_adapt(now, false, feedback.ce, delay)) return;
  if (!feedback.ce) {
    if (delay >= target_) {
      inc_ += fi_ * static_cast<double>(acked_bytes);  // fair increase
    } else {
      proportional_increase(acked_bytes, delay);
    }
  } else if (delay >= target_) {
    multiplicative_decrease(now);
  }  // ECN with a low delay: no change
  clamp();
  if (static_cast<double>(received_) > adjust_bytes_ || now - last_adjust_ > network_rtt_) {
    fulfill(now);
  }
  clamp();
}

void Nscc::on_loss(sim::Time now, std::uint32_t bytes) {
  ignored_ += bytes;
  average_delay(network_rtt_.seconds());
  trigger_qa_ = true;
  if (quick_adapt(now, true, true, sim::Time::zero())) return;
  cwnd_ -= static_cast<double>(bytes);
  clamp();
}

void Nscc::on_cnp(sim::Time /*now*/) {
  cnp_ = true;
}

void Nscc::on_timeout(sim::Time /*now*/) {
  cwnd_ -= mss_;
  clamp();
}

void Nscc::lower_base_rtt(sim::Time rtt) {
  base_rtt_ = rtt;
  max_window_ =
      std::max(params_.max_window_bdp * static_cast<double>(sim::bytes_in(rtt, line_bps_)), mss_);
  clamp();
}

void Nscc::average_delay(double sample_s) {
  avg_delay_s_ += params_.delay_gain * (sample_s - avg_delay_s_);
}

bool Nscc::quick_adapt(sim::Time now, bool loss, bool ce, sim::Time delay) {
  if (!params_.quick_adapt) return false;
  bool done = false;
  if (ignored_ < to_ignore_ && ce) {
    done = true;  // a mark on a packet sent before the last quick adapt
  } else if (!qa_armed_ || now > qa_end_) {
    if (qa_armed_ && (trigger_qa_ || loss || delay > qa_threshold_) &&
        static_cast<double>(achieved_) <
            std::ldexp(max_window_, -static_cast<int>(params_.qa_gate))) {
      to_ignore_ = static_cast<std::uint64_t>(cwnd_);
      cwnd_ = std::max(static_cast<double>(achieved_), mss_);
      ignored_ = 0;
      trigger_qa_ = false;
      ++quick_adapts_;
      done = true;
    }
    achieved_ = 0;
    qa_end_ = now + base_rtt_ + target_;
    qa_armed_ = true;
  }
  if (done) {
    inc_ = 0.0;
    received_ = 0;
  }
  return done;
}

void Nscc::proportional_increase(std::uint64_t acked, sim::Time delay) {
  if (fast_increase(acked, delay)) return;
  inc_ += alpha_ * static_cast<double>(acked) * (target_ - delay).seconds();
}

bool Nscc::fast_increase(std::uint64_t acked, sim::Time delay) {
  if (delay < params_.fast_increase_delay) {
    fast_count_ += acked;
    if (static_cast<double>(fast_count_) > cwnd_ || fast_) {
      cwnd_ += static_cast<double>(acked) * params_.fast_increase * a_;
      fast_ = true;
      return true;
    }
  } else {
    fast_count_ = 0;
  }
  fast_ = false;
  return false;
}

void Nscc::multiplicative_decrease(sim::Time now) {
  fast_ = false;
  fast_count_ = 0;
  const double target_s = target_.seconds();
  if (avg_delay_s_ > target_s && now - last_decrease_ > base_rtt_) {
    const double over = (avg_delay_s_ - target_s) / avg_delay_s_;
    cwnd_ = std::max(cwnd_ * std::max(1.0 - params_.md_gain * over, 1.0 - params_.max_mdf), mss_);
    last_decrease_ = now;
    ++decreases_;
  }
}

void Nscc::fulfill(sim::Time now) {
  cwnd_ += inc_ / cwnd_;
  if (now - last_adjust_ >= network_rtt_) {
    cwnd_ += eta_;
    last_adjust_ = now;
  }
  inc_ = 0.0;
  received_ = 0;
}

void Nscc::clamp() {
  cwnd_ = std::clamp(cwnd_, mss_, max_window_);
}

}  // namespace fabricsim::models
