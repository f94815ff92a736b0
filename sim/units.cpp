// Parsing and formatting of quantities with units (see units.hpp).
#include "sim/units.hpp"

#include <fmt/format.h>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

namespace fabricsim::sim {
namespace {

struct Unit {
  std::string_view suffix;
  long double factor;
};

// Splits "1.5us" into 1.5 and "us"; rejects signs, blanks and empty numbers.
std::pair<long double, std::string_view> split_number(std::string_view text, const char* kind,
                                                      const char* expected) {
  std::size_t i = 0;
  bool digits = false;
  bool dot = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  // Scientific notation ("1e9bps") is accepted when followed by digits.
  if (digits && i + 1 < text.size() && (text[i] == 'e' || text[i] == 'E') &&
      std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
  }
  if (!digits) {
    throw UnitError(fmt::format("invalid {} \"{}\": expected a non-negative number followed by {}",
                                kind, text, expected));
  }
  const std::string number(text.substr(0, i));
  const long double value = std::strtold(number.c_str(), nullptr);
  return {value, text.substr(i)};
}

template <std::size_t N>
long double lookup(std::string_view text, std::string_view suffix, const std::array<Unit, N>& units,
                   const char* kind, const char* expected) {
  for (const auto& u : units) {
    if (u.suffix == suffix) return u.factor;
  }
  throw UnitError(fmt::format("invalid {} \"{}\": unknown unit \"{}\", expected {}", kind, text,
                              suffix, expected));
}

std::uint64_t to_integer(long double value, std::string_view text, const char* kind,
                         const char* what) {
  const long double rounded = std::round(value);
  if (std::fabs(value - rounded) > 1e-6L * std::max<long double>(1.0L, rounded)) {
    throw UnitError(fmt::format("invalid {} \"{}\": not a whole number of {}", kind, text, what));
  }
  if (rounded >= 9.2e18L) {
    throw UnitError(fmt::format("invalid {} \"{}\": too large", kind, text));
  }
  return static_cast<std::uint64_t>(rounded);
}

}  // namespace

Time parse_time(std::string_view text) {
  static constexpr const char* kExpected = "a unit: ps, ns, us, ms or s (e.g. \"1.5us\")";
  static constexpr std::array<Unit, 5> kUnits{
      {{"ps", 1.0L}, {"ns", 1e3L}, {"us", 1e6L}, {"ms", 1e9L}, {"s", 1e12L}}};
  auto [value, suffix] = split_number(text, "time", kExpected);
  if (suffix.empty()) {
    throw UnitError(fmt::format("invalid time \"{}\": missing unit, expected {}", text, kExpected));
  }
  const long double ps = value * lookup(text, suffix, kUnits, "time", kExpected);
  return Time::ps(static_cast<std::int64_t>(to_integer(ps, text, "time", "picoseconds")));
}

std::uint64_t parse_bytes(std::string_view text) {
  static constexpr const char* kExpected =
      "B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. \"64MiB\"";
  static constexpr std::array<Unit, 10> kUnits{{{"B", 1.0L},
                                                {"KB", 1e3L},
                                                {"MB", 1e6L},
                                                {"GB", 1e9L},
                                                {"TB", 1e12L},
                                                {"KiB", 1024.0L},
                                                {"MiB", 1048576.0L},
                                                {"GiB", 1073741824.0L},
                                                {"TiB", 1099511627776.0L},
                                                {"", 1.0L}}};
  auto [value, suffix] = split_number(text, "size", kExpected);
  const long double bytes = value * lookup(text, suffix, kUnits, "size", kExpected);
  return to_integer(bytes, text, "size", "bytes");
}

std::uint64_t parse_rate_bps(std::string_view text) {
  static constexpr const char* kExpected =
      "bps, Kbps, Mbps, Gbps, Tbps (bits/s) or Bps, KBps, MBps, GBps, TBps, GB/s (bytes/s), e.g. "
      "\"400Gbps\"";
  static constexpr std::array<Unit, 14> kUnits{{{"bps", 1.0L},
                                                {"Kbps", 1e3L},
                                                {"Mbps", 1e6L},
                                                {"Gbps", 1e9L},
                                                {"Tbps", 1e12L},
                                                {"Bps", 8.0L},
                                                {"KBps", 8e3L},
                                                {"MBps", 8e6L},
                                                {"GBps", 8e9L},
                                                {"TBps", 8e12L},
                                                {"B/s", 8.0L},
                                                {"MB/s", 8e6L},
                                                {"GB/s", 8e9L},
                                                {"TB/s", 8e12L}}};
  auto [value, suffix] = split_number(text, "rate", kExpected);
  if (suffix.empty()) {
    throw UnitError(fmt::format("invalid rate \"{}\": missing unit, expected {}", text, kExpected));
  }
  const long double bps = value * lookup(text, suffix, kUnits, "rate", kExpected);
  const std::uint64_t result = to_integer(bps, text, "rate", "bits per second");
  if (result == 0) throw UnitError(fmt::format("invalid rate \"{}\": must be positive", text));
  return result;
}

std::string format_time(Time t) {
  const double ps = static_cast<double>(t.picoseconds());
  if (ps >= 1e12) return fmt::format("{:.6g} s", ps * 1e-12);
  if (ps >= 1e9) return fmt::format("{:.6g} ms", ps * 1e-9);
  if (ps >= 1e6) return fmt::format("{:.6g} us", ps * 1e-6);
  if (ps >= 1e3) return fmt::format("{:.6g} ns", ps * 1e-3);
  return fmt::format("{} ps", t.picoseconds());
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr std::array<const char*, 5> kNames{"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t i = 0;
  while (v >= 1024.0 && i + 1 < kNames.size()) {
    v /= 1024.0;
    ++i;
  }
  return fmt::format("{:.4g} {}", v, kNames[i]);
}

std::string format_rate(std::uint64_t bps) {
  static constexpr std::array<const char*, 5> kNames{"bps", "Kbps", "Mbps", "Gbps", "Tbps"};
  double v = static_cast<double>(bps);
  std::size_t i = 0;
  while (v >= 1000.0 && i + 1 < kNames.size()) {
    v /= 1000.0;
    ++i;
  }
  return fmt::format("{:.4g} {}", v, kNames[i]);
}

}  // namespace fabricsim::sim
