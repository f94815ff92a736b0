// The time source the Executor reads for its per-op trace. Injected so that the same code
// runs on simulated time (the DES clock) and on wall-clock time (hardware transports).
#pragma once

#include <cstdint>

namespace fabricsim::workloads {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ps() const = 0;  // picoseconds since an arbitrary epoch
};

}  // namespace fabricsim::workloads
