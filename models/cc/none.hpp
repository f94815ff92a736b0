// The absence of congestion control: the QP always sends at line rate and ignores feedback.
// Used for PFC-only experiments and as the baseline DCQCN is compared against.
#pragma once

#include <cstdint>

#include "models/cc/congestion_control.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

class None final : public CongestionControl {
 public:
  // Throws std::invalid_argument for a zero line rate.
  explicit None(std::uint64_t line_rate_bps);

  std::uint64_t rate_bps(sim::Time now) override;

 private:
  std::uint64_t line_bps_;
};

}  // namespace fabricsim::models
