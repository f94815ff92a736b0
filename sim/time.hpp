// Simulated time: a strong 64-bit integer count of picoseconds, with literals and helpers.
// Picoseconds because an 800 Gb/s link serialises 64 bytes in 0.64 ns; int64 covers ~106 days.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace fabricsim::sim {

class Time {
 public:
  constexpr Time() = default;
  static constexpr Time ps(std::int64_t v) { return Time(v); }
  static constexpr Time ns(std::int64_t v) { return Time(v * 1'000); }
  static constexpr Time us(std::int64_t v) { return Time(v * 1'000'000); }
  static constexpr Time ms(std::int64_t v) { return Time(v * 1'000'000'000); }
  static constexpr Time s(std::int64_t v) { return Time(v * 1'000'000'000'000); }
  static constexpr Time zero() { return Time(0); }
  static constexpr Time max() { return Time(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t picoseconds() const { return ps_; }
  constexpr double seconds() const { return static_cast<double>(ps_) * 1e-12; }
  constexpr double microseconds() const { return static_cast<double>(ps_) * 1e-6; }
  constexpr double nanoseconds() const { return static_cast<double>(ps_) * 1e-3; }

  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Time o) const { return Time(ps_ + o.ps_); }
  constexpr Time operator-(Time o) const { return Time(ps_ - o.ps_); }
  constexpr Time& operator+=(Time o) {
    ps_ += o.ps_;
    return *this;
  }
  constexpr Time& operator-=(Time o) {
    ps_ -= o.ps_;
    return *this;
  }
  constexpr Time operator*(std::int64_t k) const { return Time(ps_ * k); }
  constexpr Time operator/(std::int64_t k) const { return Time(ps_ / k); }
  constexpr std::int64_t operator/(Time o) const { return ps_ / o.ps_; }

 private:
  constexpr explicit Time(std::int64_t v) : ps_(v) {}
  std::int64_t ps_ = 0;
};

// Time to put `bytes` on a wire of `rate_bps` bits per second, rounded up to whole picoseconds
// so that back-to-back packets never overlap.
constexpr Time serialization_time(std::uint64_t bytes, std::uint64_t rate_bps) {
  __extension__ using Wide = unsigned __int128;
  const auto bits = static_cast<Wide>(bytes) * 8U * 1'000'000'000'000ULL;
  return Time::ps(static_cast<std::int64_t>((bits + rate_bps - 1) / rate_bps));
}

// Bytes a wire of `rate_bps` carries in `t` (t >= 0), rounded down: the bandwidth-delay product.
constexpr std::uint64_t bytes_in(Time t, std::uint64_t rate_bps) {
  __extension__ using Wide = unsigned __int128;
  return static_cast<std::uint64_t>(static_cast<Wide>(rate_bps) *
                                    static_cast<Wide>(t.picoseconds()) / 8'000'000'000'000ULL);
}

namespace literals {
constexpr Time operator""_ps(unsigned long long v) {
  return Time::ps(static_cast<std::int64_t>(v));
}
constexpr Time operator""_ns(unsigned long long v) {
  return Time::ns(static_cast<std::int64_t>(v));
}
constexpr Time operator""_us(unsigned long long v) {
  return Time::us(static_cast<std::int64_t>(v));
}
constexpr Time operator""_ms(unsigned long long v) {
  return Time::ms(static_cast<std::int64_t>(v));
}
constexpr Time operator""_s(unsigned long long v) {
  return Time::s(static_cast<std::int64_t>(v));
}
}  // namespace literals

}  // namespace fabricsim::sim
