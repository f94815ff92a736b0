// Builds the congestion control of one QP from the scenario's CcParams. The caller (the NIC)
// owns the returned object, one per queue pair.
#pragma once

#include <cstdint>
#include <memory>

#include "models/cc/cc_params.hpp"
#include "models/cc/congestion_control.hpp"

namespace fabricsim::models {

// line_rate_bps is the rate of the NIC port the QP sends on (DCQCN scales its auto Rai/Rhai
// from it and never exceeds it), mss_bytes its MTU (the window unit of Swift and NSCC). Throws
// std::invalid_argument on invalid parameters.
std::unique_ptr<CongestionControl> make_congestion_control(const CcParams& params,
                                                           std::uint64_t line_rate_bps,
                                                           std::uint32_t mss_bytes = 4096);

}  // namespace fabricsim::models
