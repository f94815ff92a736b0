// RED-style ECN marking probability of an egress queue (Kmin, Kmax, Pmax), as in DCQCN's
// deployment: 0 up to Kmin, rising linearly to Pmax at Kmax, 1 above Kmax.
#pragma once

#include <cstdint>

#include "models/params.hpp"

namespace fabricsim::models {

inline double ecn_mark_probability(const EcnParams& ecn, std::uint64_t queue_bytes) {
  if (!ecn.enabled || queue_bytes <= ecn.kmin_bytes) return 0.0;
  if (queue_bytes > ecn.kmax_bytes) return 1.0;
  if (ecn.kmax_bytes == ecn.kmin_bytes) return 1.0;
  return ecn.pmax * static_cast<double>(queue_bytes - ecn.kmin_bytes) /
         static_cast<double>(ecn.kmax_bytes - ecn.kmin_bytes);
}

}  // namespace fabricsim::models
