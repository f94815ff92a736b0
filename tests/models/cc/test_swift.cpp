// Unit tests of Swift (models/cc/swift.hpp) against hand-computed values: the target delay with
// hop and flow scaling, additive increase below the target, the bounded multiplicative decrease
// above it at most once per RTT, timeouts, the window bounds, and pacing below one MSS.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "models/cc/factory.hpp"
#include "models/cc/swift.hpp"

namespace {

using fabricsim::models::Swift;
using fabricsim::models::SwiftParams;
using fabricsim::sim::Time;

constexpr std::uint64_t kLine = 100'000'000'000ULL;
constexpr std::uint32_t kMss = 4096;

// Flow scaling off (fs_range 0) unless a test wants it, and a 100-packet initial window.
SwiftParams plain() {
  SwiftParams p;
  p.fs_range = Time::zero();
  p.initial_window_bytes = 100 * kMss;
  return p;
}

}  // namespace

TEST_CASE("swift: defaults, the initial window and the validated parameters", "[swift]") {
  const SwiftParams p;
  CHECK(p.base_target == Time::us(20));
  CHECK(p.beta == 0.8);
  CHECK(p.max_mdf == 0.5);
  Swift cc(p, kLine, kMss);
  CHECK(cc.cwnd_bytes() == 250'000.0);  // 100 Gb/s x 20 us
  CHECK(cc.window_bytes() == 250'000);
  CHECK(cc.rate_bps(Time::zero()) == kLine);  // a window of many MSS is not paced
  SwiftParams bad = p;
  bad.max_mdf = 1.0;
  CHECK_THROWS_AS(Swift(bad, kLine, kMss), std::invalid_argument);
  bad = p;
  bad.fs_min_cwnd = 200.0;
  CHECK_THROWS_AS(Swift(bad, kLine, kMss), std::invalid_argument);
  CHECK_THROWS_AS(Swift(p, kLine, 0), std::invalid_argument);
  fabricsim::models::CcParams cp;
  cp.algorithm = fabricsim::models::CcAlgorithm::kSwift;
  CHECK(dynamic_cast<Swift*>(fabricsim::models::make_congestion_control(cp, kLine, kMss).get()) !=
        nullptr);
}

TEST_CASE("swift: the target grows by hop_scale per hop and for small windows", "[swift]") {
  Swift flat(plain(), kLine, kMss);
  CHECK(flat.target_delay(0) == Time::us(20));
  CHECK(flat.target_delay(5) == Time::us(20) + Time::ps(3'053'435) * 5);
  // Flow scaling: all of fs_range at fs_min_cwnd, nothing from fs_max_cwnd on.
  SwiftParams p;
  p.initial_window_bytes = 100 * kMss;  // = fs_max_cwnd
  Swift large(p, kLine, kMss);
  CHECK(large.target_delay(0) == Time::us(20));
  p.initial_window_bytes = kMss / 10;  // 0.1 packet = fs_min_cwnd
  Swift tiny(p, kLine, kMss);
  CHECK(tiny.target_delay(0).seconds() == Approx(120e-6).margin(2e-12));
  p.initial_window_bytes = 4 * kMss;  // a / sqrt(4) + b
  Swift mid(p, kLine, kMss);
  const double a = 100e-6 / (1.0 / std::sqrt(0.1) - 1.0 / std::sqrt(100.0));
  const double b = -a / std::sqrt(100.0);
  CHECK(mid.target_delay(0).seconds() == Approx(20e-6 + a / 2.0 + b).margin(2e-12));
}

TEST_CASE("swift: below the target the window grows by ai MSS per window of ACKs", "[swift]") {
  Swift cc(plain(), kLine, kMss);
  const double w0 = cc.cwnd_bytes();
  cc.on_ack(Time::us(10), kMss, {Time::us(15), 0});
  CHECK(cc.cwnd_bytes() == Approx(w0 + 1.0 * kMss * kMss / w0));
  // A whole window of ACKs adds about one MSS.
  double acked = 0.0;
  while (acked < w0) {
    cc.on_ack(Time::us(11), kMss, {Time::us(15), 0});
    acked += kMss;
  }
  CHECK(cc.cwnd_bytes() == Approx(w0 + kMss).epsilon(0.02));
  CHECK(cc.decreases() == 0);
}

TEST_CASE("swift: above the target one decrease per RTT, by beta x excess, at most max_mdf",
          "[swift]") {
  Swift cc(plain(), kLine, kMss);
  const double w0 = cc.cwnd_bytes();
  // delay 25 us, target 20 us: cut by 0.8 x 5/25 = 16 %.
  cc.on_ack(Time::us(100), kMss, {Time::us(25), 0});
  CHECK(cc.cwnd_bytes() == Approx(w0 * 0.84));
  CHECK(cc.decreases() == 1);
  // Within one RTT (the 25 us sample) no second decrease.
  cc.on_ack(Time::us(120), kMss, {Time::us(25), 0});
  CHECK(cc.cwnd_bytes() == Approx(w0 * 0.84));
  // A huge delay cuts by max_mdf, not more, once an RTT (that sample's) has passed.
  cc.on_ack(Time::us(1100), kMss, {Time::us(1000), 0});
  CHECK(cc.cwnd_bytes() == Approx(w0 * 0.84 * 0.5));
  CHECK(cc.decreases() == 2);
}

TEST_CASE("swift: timeouts halve the window, the fifth in a row resets it", "[swift]") {
  Swift cc(plain(), kLine, kMss);
  const double w0 = cc.cwnd_bytes();
  cc.on_timeout(Time::ms(1));
  CHECK(cc.cwnd_bytes() == Approx(w0 / 2));
  cc.on_timeout(Time::ms(2));
  cc.on_timeout(Time::ms(3));
  cc.on_timeout(Time::ms(4));
  CHECK(cc.cwnd_bytes() == Approx(w0 / 16));
  cc.on_timeout(Time::ms(5));
  CHECK(cc.cwnd_bytes() == Approx(0.001 * kMss));
  // An ACK resets the count: the next timeout halves again.
  cc.on_ack(Time::ms(6), kMss, {Time::us(10), 0});
  const double w = cc.cwnd_bytes();
  cc.on_timeout(Time::ms(7));
  CHECK(cc.cwnd_bytes() == Approx(std::max(w / 2, 0.001 * kMss)));
}

TEST_CASE("swift: below one MSS one packet may be out, paced at cwnd / RTT", "[swift]") {
  SwiftParams p = plain();
  p.initial_window_bytes = kMss / 4;
  Swift cc(p, kLine, kMss);
  CHECK(cc.window_bytes() == kMss);
  // The last RTT sample is base_target before any ACK: a quarter MSS per 20 us.
  CHECK(static_cast<double>(cc.rate_bps(Time::zero())) == Approx(1024.0 * 8.0 / 20e-6));
  cc.on_ack(Time::us(5), 100, {Time::us(10), 0});  // below target: cwnd += ai x acked
  CHECK(cc.cwnd_bytes() == Approx(1024.0 + 100.0));
  CHECK(static_cast<double>(cc.rate_bps(Time::us(5))) == Approx(1124.0 * 8.0 / 10e-6));
  // The window never leaves [min_cwnd, max_cwnd].
  p.initial_window_bytes = 1;
  CHECK(Swift(p, kLine, kMss).cwnd_bytes() == Approx(0.001 * kMss));
  p.initial_window_bytes = 1ULL << 40;
  CHECK(Swift(p, kLine, kMss).cwnd_bytes() == Approx(1000.0 * kMss));
}
