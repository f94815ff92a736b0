// Completion interface of the in-switch (NVLS-like) all-reduce of an NVLink domain.
#pragma once

#include <cstdint>

#include "models/packet.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

class NvlsObserver {
 public:
  virtual ~NvlsObserver() = default;
  // GPU `gpu` holds the reduced result of the all-reduce `cookie` (every chunk arrived).
  virtual void on_nvls_allreduce_done(EndpointId gpu, std::uint64_t cookie, sim::Time t) = 0;
};

// Packet flags of NVLink traffic (Packet::flags; the RoCE flags use bits 0-1).
inline constexpr std::uint8_t kNvFlagReduce = 0x10;     // a contribution to an in-switch sum
inline constexpr std::uint8_t kNvFlagMulticast = 0x20;  // a reduced chunk multicast by a switch

}  // namespace fabricsim::models
