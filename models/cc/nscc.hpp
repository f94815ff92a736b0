// NSCC, the Ultra Ethernet sender congestion control ("network signal"): a window controller that
// reads two signals on every ACK, the CE echo and the queueing delay, and places the ACK in one
// of four quadrants. One instance per sending QP, owned by the NIC. The rules follow the UEC
// htsim reference (UecSrc in uec.cpp; models/cc/sources.md 5.3); the MSS is the NIC's MTU.
//
// Derived at construction from the network's base RTT R (base_rtt) and line rate C:
//   BDP = C x R, a = BDP / (reference_rate x reference_rtt), target T = target_qdelay or R
//   (0.75 R with trimming), b = T / reference_rtt, fi = fair_increase x MSS x a,
//   alpha = proportional_increase x MSS x a x b / T, eta = eta x MSS x a.
// Each QP keeps its own base RTT r (R at first, lowered to the smallest RTT sample) and a
// window cwnd in [MSS, max_window_bdp x C x r]; its queueing delay is d = RTT - r, and an EWMA
// avg of d (gain delay_gain; a clean ACK with d > T feeds r / 4 instead of d, pulling it down).
//  - ACK of `acked` bytes, after quick adapt (below) had its say:
//      no ECN, d >= T:  fair increase         inc += fi x acked
//      no ECN, d <  T:  proportional increase inc += alpha x acked x (T - d), or fast increase
//                       cwnd += fast_increase x a x acked once a whole window of ACKs had
//                       d < fast_increase_delay (then on every such ACK until one has not)
//      ECN,    d >= T:  multiplicative decrease, at most once per r and only if avg > T:
//                       cwnd *= max(1 - md_gain (avg - T) / avg, 1 - max_mdf)
//      ECN,    d <  T:  nothing (the transport's load balancing moves the flow)
//    Every adjust_packets MSS of ACKs, or when R has passed since the last adjustment, the
//    gathered increase is applied, cwnd += inc / cwnd (a window of ACKs adds fi, or alpha x
//    (T - d), bytes), and once per R cwnd += eta.
//  - Quick adapt: at the end of each measuring period (r + T long), if a loss, or a delay above
//    qa_threshold x T, came and the bytes acknowledged in the period are below max window /
//    2^qa_gate, cwnd = max(those bytes, MSS); ECN-marked ACKs of the window sent before it are
//    then ignored. htsim counts that window as its bytes in flight; here it is the window just
//    before the cut, which bounds them (the NIC keeps at most a window in flight).
//  - Loss (on_loss, a NACK of a trimmed or lost packet): avg takes R as a sample (htsim's
//    estimate of the trimming point), quick adapt is asked for; without it cwnd -= bytes.
//  - Timeout: cwnd -= MSS (htsim takes one packet's size off per expired packet).
// The QP sends at line rate within its window (NSCC has no pacing). No timers.
// ECN comes per ACK (AckFeedback::ce, multipath transports). The RoCE NIC echoes CE as a CNP
// instead, so a CNP marks the next ACK that covers new data: with nic.ce_echo "ack" that is the
// flagged ACK itself (the NIC hands over its CNP flag just before the ACK).
#pragma once

#include <cstdint>

#include "models/cc/cc_params.hpp"
#include "models/cc/congestion_control.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

class Nscc final : public CongestionControl {
 public:
  // base_rtt must be resolved (> 0; topologies/ sets the auto value). Throws
  // std::invalid_argument for a zero line rate or MSS, a non-positive base_rtt or reference,
  // a negative target or gain, max_mdf outside (0, 1), delay_gain outside (0, 1], qa_gate >= 64,
  // a zero adjust_packets or a non-positive max_window_bdp or qa_threshold.
  Nscc(const NsccParams& params, std::uint64_t line_rate_bps, std::uint32_t mss_bytes);

  std::uint64_t rate_bps(sim::Time now) override;
  std::uint64_t window_bytes() const override;
  void on_ack(sim::Time now, std::uint64_t acked_bytes, const AckFeedback& feedback) override;
  void on_cnp(sim::Time now) override;
  void on_timeout(sim::Time now) override;
  void on_loss(sim::Time now, std::uint32_t bytes) override;

  // Introspection for tests and statistics.
  double cwnd_bytes() const { return cwnd_; }
  double min_window() const { return mss_; }
  double max_window() const { return max_window_; }
  sim::Time base_rtt() const { return base_rtt_; }
  sim::Time target_qdelay() const { return target_; }
  double avg_delay_seconds() const { return avg_delay_s_; }
  double scaling_a() const { return a_; }
  double scaling_b() const { return b_; }
  double pending_increase() const { return inc_; }  // bytes^2, applied as inc / cwnd
  std::uint64_t decreases() const { return decreases_; }
  std::uint64_t quick_adapts() const { return quick_adapts_; }

 private:
  void lower_base_rtt(sim::Time rtt);
  void average_delay(double sample_s);
  bool quick_adapt(sim::Time now, bool loss, bool ce, sim::Time delay);
  void proportional_increase(std::uint64_t acked, sim::Time delay);
  bool fast_increase(std::uint64_t acked, sim::Time delay);
  void multiplicative_decrease(sim::Time now);
  void fulfill(sim::Time now);
  void clamp();

  NsccParams params_;
  std::uint64_t line_bps_;
  double mss_;
  sim::Time network_rtt_;
  sim::Time target_;
  sim::Time qa_threshold_;
  double a_ = 0.0;
  double b_ = 0.0;
  double fi_ = 0.0;     // bytes per window of ACKs
  double alpha_ = 0.0;  // bytes per second of (T - d), per window of ACKs
  double eta_ = 0.0;    // bytes per R
  double adjust_bytes_ = 0.0;
  double max_window_ = 0.0;
  double cwnd_ = 0.0;
  sim::Time base_rtt_;
  double avg_delay_s_ = 0.0;
  double inc_ = 0.0;
  std::uint64_t received_ = 0;    // acked since the last adjustment
  std::uint64_t achieved_ = 0;    // acked in the current quick-adapt period
  std::uint64_t ignored_ = 0;     // acked or lost since the last quick adapt
  std::uint64_t to_ignore_ = 0;   // the window before the last quick adapt
  std::uint64_t fast_count_ = 0;  // acked in a row with d < fast_increase_delay
  bool fast_ = false;             // in fast increase
  bool trigger_qa_ = false;       // a loss asked for quick adapt
  bool cnp_ = false;              // a CNP marks the next ACK
  bool qa_armed_ = false;         // a measuring period is running
  sim::Time qa_end_ = sim::Time::zero();
  sim::Time last_adjust_ = sim::Time::zero();
  sim::Time last_decrease_ = sim::Time::zero();
  std::uint64_t decreases_ = 0;
  std::uint64_t quick_adapts_ = 0;
};

}  // namespace fabricsim::models
