// HPCC (Li et al., SIGCOMM'19, "HPCC: High Precision Congestion Control") driven by the
// utilization telemetry of HPCC-PINT (Ben Basat et al., SIGCOMM'20): every switch egress port
// keeps HPCC's estimate U of its own utilization (models/switch, enable_utilization_telemetry)
// and a data packet carries the largest U of its path, which the ACK echoes. One instance per
// sending QP, owned by the NIC.
//
// State: window W, the per-RTT reference Wc, the stage counter and the time of the last
// reference update. W_AI = rate_ai x T, W_init = line rate x T (T = base_rtt).
//  - ACK with path utilization U (ns-3 rdma-hw.cc UpdateRateHp, in windows):
//      U >= eta or stage >= max_stage:  W = Wc / (U / eta) + W_AI   (per-RTT update: stage = 0)
//      otherwise:                        W = Wc + W_AI               (per-RTT update: stage++)
//    W is kept in [min_rate x T, W_init]. An ACK of a packet sent after the last reference
//    update is the per-RTT update: Wc <- W. Other ACKs change W from Wc without moving Wc
//    (fast reaction), or nothing with fast_react off.
//  - The QP may have W bytes unacknowledged and is paced at W / T (at most the line rate).
// The first ACK only starts the reference clock. Timeouts change nothing (as in ns-3).
#pragma once

#include <cstdint>

#include "models/cc/cc_params.hpp"
#include "models/cc/congestion_control.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

class Hpcc final : public CongestionControl {
 public:
  // base_rtt must be resolved (> 0; topologies/ sets the auto value). Throws
  // std::invalid_argument for a zero line rate, a non-positive base_rtt or eta outside (0, 1].
  Hpcc(const HpccParams& params, std::uint64_t line_rate_bps, std::uint32_t mss_bytes);

  std::uint64_t rate_bps(sim::Time now) override;
  std::uint64_t window_bytes() const override;
  void on_ack(sim::Time now, std::uint64_t acked_bytes, const AckFeedback& feedback) override;

  // Introspection for tests and statistics.
  double window() const { return w_; }
  double reference_window() const { return wc_; }
  std::uint32_t stage() const { return stage_; }
  double additive_step() const { return w_ai_; }
  double initial_window() const { return w_init_; }

 private:
  HpccParams params_;
  std::uint64_t line_bps_;
  double mss_;
  double t_;  // base RTT, seconds
  double w_init_;
  double w_min_;
  double w_ai_;
  double w_;
  double wc_;
  std::uint32_t stage_ = 0;
  bool started_ = false;
  sim::Time last_update_ = sim::Time::zero();
};

}  // namespace fabricsim::models
