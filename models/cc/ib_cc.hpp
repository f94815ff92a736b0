// InfiniBand congestion control (IBA annex A10 style), the source side: a switch marks FECN on
// packets leaving a congested egress (the ECN mark of the switch model), the destination answers
// with a BECN (the NIC's CNP, at most one per nic.cnp_interval and QP), and the source raises
// its congestion control table index CCTI by ccti_increase per BECN (up to ccti_limit); a timer
// lowers it by one every ccti_timer (down to ccti_min). The table is linear: index i adds an
// inter-packet delay of i x cct_step packet times, so the QP sends at
// line_rate / (1 + i x cct_step). Timer steps are applied lazily when the rate is asked for.
#pragma once

#include <cstdint>

#include "models/cc/cc_params.hpp"
#include "models/cc/congestion_control.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

class IbCc final : public CongestionControl {
 public:
  // Throws std::invalid_argument for a zero line rate, a zero timer or a negative step.
  IbCc(const IbCcParams& params, std::uint64_t line_rate_bps);

  std::uint64_t rate_bps(sim::Time now) override;
  sim::Time next_change(sim::Time now) const override;
  void on_cnp(sim::Time now) override;  // a BECN

  std::uint32_t ccti() const { return ccti_; }

 private:
  void advance(sim::Time now);  // applies the timer decrements due by `now`

  IbCcParams params_;
  std::uint64_t line_bps_;
  sim::Time next_decrement_ = sim::Time::max();  // while ccti_ > ccti_min
  std::uint32_t ccti_;
};

}  // namespace fabricsim::models
