// Unit tests of HPCC (models/cc/hpcc.hpp) against hand-computed windows: the first ACK, the
// multiplicative update at or above the target utilization, additive stages up to max_stage,
// per-RTT reference updates against fast reaction, the window bounds and the pacing rate.
#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>

#include "models/cc/factory.hpp"
#include "models/cc/hpcc.hpp"

namespace {

using fabricsim::models::AckFeedback;
using fabricsim::models::Hpcc;
using fabricsim::models::HpccParams;
using fabricsim::sim::Time;

constexpr std::uint64_t kLine = 100'000'000'000ULL;
constexpr std::uint32_t kMss = 4096;

HpccParams params_10us() {
  HpccParams p;
  p.base_rtt = Time::us(10);  // W_init = 125,000 B, W_AI = 40 Mb/s x 10 us = 50 B
  return p;
}

// An ACK at `now` of a packet sent `rtt` earlier through a path of utilization u.
void ack(Hpcc& cc, Time now, Time rtt, double u) {
  cc.on_ack(now, kMss, AckFeedback{rtt, 3, u});
}

}  // namespace

TEST_CASE("hpcc: starts at a BDP window and line rate; parameters are checked", "[hpcc]") {
  Hpcc cc(params_10us(), kLine, kMss);
  CHECK(cc.initial_window() == Approx(125'000.0));
  CHECK(cc.additive_step() == Approx(50.0));
  CHECK(cc.window_bytes() == 125'000);
  CHECK(cc.rate_bps(Time::zero()) == kLine);
  HpccParams bad = params_10us();
  bad.base_rtt = Time::zero();
  CHECK_THROWS_AS(Hpcc(bad, kLine, kMss), std::invalid_argument);
  bad = params_10us();
  bad.eta = 1.5;
  CHECK_THROWS_AS(Hpcc(bad, kLine, kMss), std::invalid_argument);
}

TEST_CASE("hpcc: above the target the window scales by eta / U, once per RTT", "[hpcc]") {
  Hpcc cc(params_10us(), kLine, kMss);
  ack(cc, Time::us(10), Time::us(10), 1.9);  // the first ACK only starts the clock
  CHECK(cc.window() == Approx(125'000.0));
  // Sent after the last update (at 10 us): a per-RTT update. W = Wc / (1.9 / 0.95) + W_AI.
  ack(cc, Time::us(21), Time::us(10), 1.9);
  CHECK(cc.window() == Approx(62'500.0 + 50.0));
  CHECK(cc.reference_window() == Approx(62'550.0));
  CHECK(static_cast<double>(cc.rate_bps(Time::us(21))) == Approx(62'550.0 * 8.0 / 10e-6));
  // Fast reaction: a packet sent before that update moves W from the reference, not Wc.
  ack(cc, Time::us(25), Time::us(10), 1.0);
  CHECK(cc.window() == Approx(62'550.0 * 0.95 + 50.0));
  CHECK(cc.reference_window() == Approx(62'550.0));
  // Without fast reaction such an ACK changes nothing.
  HpccParams slow = params_10us();
  slow.fast_react = false;
  Hpcc once(slow, kLine, kMss);
  ack(once, Time::us(10), Time::us(10), 1.9);
  ack(once, Time::us(21), Time::us(10), 1.9);
  ack(once, Time::us(25), Time::us(10), 1.0);
  CHECK(once.window() == Approx(62'550.0));
}

TEST_CASE("hpcc: below the target additive steps, multiplicative again after max_stage", "[hpcc]") {
  HpccParams p = params_10us();
  p.max_stage = 2;
  Hpcc cc(p, kLine, kMss);
  ack(cc, Time::us(10), Time::us(10), 2.0);
  ack(cc, Time::us(21), Time::us(10), 2.0);  // W = 125000 x 0.475 + 50 = 59,425
  const double w1 = 125'000.0 * 0.95 / 2.0 + 50.0;
  REQUIRE(cc.window() == Approx(w1));
  ack(cc, Time::us(32), Time::us(10), 0.5);  // stage 0 -> 1: + W_AI
  CHECK(cc.window() == Approx(w1 + 50.0));
  CHECK(cc.stage() == 1);
  ack(cc, Time::us(43), Time::us(10), 0.5);  // stage 1 -> 2
  CHECK(cc.window() == Approx(w1 + 100.0));
  CHECK(cc.stage() == 2);
  // stage = max_stage: multiplicative although U < eta: W = Wc / (0.5 / 0.95) + W_AI.
  ack(cc, Time::us(54), Time::us(10), 0.5);
  CHECK(cc.window() == Approx((w1 + 100.0) * 1.9 + 50.0));
  CHECK(cc.stage() == 0);
}

TEST_CASE("hpcc: the window stays within [min_rate x T, line rate x T]", "[hpcc]") {
  Hpcc cc(params_10us(), kLine, kMss);
  ack(cc, Time::us(10), Time::us(10), 100.0);
  ack(cc, Time::us(21), Time::us(10), 100.0);
  ack(cc, Time::us(32), Time::us(10), 100.0);
  CHECK(cc.window() == Approx(1'250.0));  // 1 Gb/s x 10 us
  CHECK(cc.window_bytes() == kMss);       // one packet may always be out
  CHECK(static_cast<double>(cc.rate_bps(Time::us(32))) == Approx(1e9));
  Hpcc idle(params_10us(), kLine, kMss);
  ack(idle, Time::us(10), Time::us(10), 0.0);
  ack(idle, Time::us(21), Time::us(10), 0.0);
  CHECK(idle.window() == Approx(125'000.0));  // never above the BDP
}
