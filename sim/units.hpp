// The one parser for quantities with units in configs: times ("1.5us"), sizes ("64MiB"),
// rates ("400Gbps", "900GBps"). Errors say what was given and what was expected.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sim/time.hpp"

namespace fabricsim::sim {

// Thrown on a malformed quantity; what() names the text and the accepted units.
class UnitError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// "500ns", "1.5us", "2ms", "1s", "100ps". Must be >= 0 and land on a whole picosecond.
Time parse_time(std::string_view text);
// "2KB" (1000), "2KiB" (1024), "64MiB", "1GB", "4096B". Decimal (KB, MB, GB, TB) and binary
// (KiB, MiB, GiB, TiB) prefixes; a plain number is a byte count. Must be a whole byte count.
std::uint64_t parse_bytes(std::string_view text);
// "400Gbps", "100Mbps", "1.6Tbps" (bits/s) or "900GBps", "25GB/s" (bytes/s); returns bits/s.
std::uint64_t parse_rate_bps(std::string_view text);

// Human-readable forms used in summaries: "1.5 us", "64 MiB", "400 Gbps".
std::string format_time(Time t);
std::string format_bytes(std::uint64_t bytes);
std::string format_rate(std::uint64_t bps);

}  // namespace fabricsim::sim
