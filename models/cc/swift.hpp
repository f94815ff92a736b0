// Swift (Kumar et al., SIGCOMM'20, "Swift: Delay is Simple and Effective for Congestion Control
// in the Datacenter"): a window controller driven by the delay each ACK measures. One instance
// per sending QP, owned by the NIC.
//
// State: the window cwnd (bytes) and the time of the last decrease. The MSS is the NIC's MTU.
//  - target(hops) = base_target + hops x hop_scale + fs, with flow scaling
//    fs = clamp(a / sqrt(cwnd / MSS) + b, 0, fs_range), a = fs_range / (1/sqrt(fs_min_cwnd) -
//    1/sqrt(fs_max_cwnd)), b = -a / sqrt(fs_max_cwnd): small windows get a larger target.
//  - ACK of `acked` bytes with delay d (the RTT sample the receiver's echo gives):
//      d < target:  cwnd += ai x MSS x acked / cwnd   (cwnd >= MSS: ai MSS per RTT)
//                   cwnd += ai x acked                (cwnd < MSS)
//      otherwise, at most once per RTT since the last decrease:
//                   cwnd *= max(1 - beta (d - target) / d, 1 - max_mdf)
//  - timeout: after retx_reset_threshold timeouts in a row cwnd = min_cwnd, else (once per
//    RTT) cwnd *= 1 - max_mdf. An ACK resets the count.
//  - cwnd stays in [min_cwnd, max_cwnd] packets. The QP may have max(cwnd, MSS) bytes
//    unacknowledged; below one MSS it is paced at cwnd / RTT (one packet per RTT x MSS / cwnd).
// The RTT for "once per RTT" and for pacing is the latest sample (base_target before any).
// No timers: nothing happens between ACKs.
#pragma once

#include <cstdint>

#include "models/cc/cc_params.hpp"
#include "models/cc/congestion_control.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

class Swift final : public CongestionControl {
 public:
  // Throws std::invalid_argument for a zero line rate or MSS, a non-positive base target, beta
  // or ai, max_mdf outside (0, 1), or fs_min_cwnd >= fs_max_cwnd.
  Swift(const SwiftParams& params, std::uint64_t line_rate_bps, std::uint32_t mss_bytes);

  std::uint64_t rate_bps(sim::Time now) override;
  std::uint64_t window_bytes() const override;
  void on_ack(sim::Time now, std::uint64_t acked_bytes, const AckFeedback& feedback) override;
  void on_timeout(sim::Time now) override;

  // Introspection for tests and statistics.
  double cwnd_bytes() const { return cwnd_; }
  sim::Time target_delay(std::uint32_t hops) const;
  sim::Time last_rtt() const { return rtt_; }
  std::uint64_t decreases() const { return decreases_; }

 private:
  bool can_decrease(sim::Time now) const;
  void decrease_to(double cwnd, sim::Time now);
  void clamp();

  SwiftParams params_;
  std::uint64_t line_bps_;
  double mss_;
  double fs_a_;
  double fs_b_;
  double cwnd_;
  sim::Time rtt_;
  sim::Time last_decrease_ = sim::Time::ps(-(1LL << 62));
  std::uint32_t timeouts_in_row_ = 0;
  std::uint64_t decreases_ = 0;
};

}  // namespace fabricsim::models
