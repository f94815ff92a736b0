// The line-rate "algorithm": a constant rate, no timers, no reaction to CNPs or losses.
#include "models/cc/none.hpp"

#include <stdexcept>

namespace fabricsim::models {

None::None(std::uint64_t line_rate_bps) : line_bps_(line_rate_bps) {
  if (line_rate_bps == 0) throw std::invalid_argument("cc none: line rate must be > 0");
}

std::uint64_t None::rate_bps(sim::Time /*now*/) {
  return line_bps_;
}

}  // namespace fabricsim::models
