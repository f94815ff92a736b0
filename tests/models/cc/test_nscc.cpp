// Unit tests of NSCC (models/cc/nscc.hpp) against hand-computed values: the constants derived
// from the base RTT and line rate, each of the four ECN x delay quadrants, fast increase, the
// adjustment every 8 MSS of ACKs and once per base RTT, losses, quick adapt, timeouts, the window
// bounds, and a determinism check.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "models/cc/factory.hpp"
#include "models/cc/nscc.hpp"

namespace {

using fabricsim::models::AckFeedback;
using fabricsim::models::Nscc;
using fabricsim::models::NsccParams;
using fabricsim::sim::Time;

constexpr std::uint64_t kLine = 100'000'000'000ULL;
constexpr std::uint32_t kMss = 4096;
constexpr double kW0 = 100'000.0;

// The reference network itself: 100 Gb/s and 12 us, so a = b = 1, BDP 150,000 B, target 12 us;
// a 100 KB window (below the 225 KB maximum).
NsccParams reference() {
  NsccParams p;
  p.base_rtt = Time::us(12);
  p.initial_window_bytes = static_cast<std::uint64_t>(kW0);
  return p;
}

AckFeedback ack(Time rtt, bool ce) {
  return AckFeedback{rtt, 0, 0.0, ce};
}

// One ACK's share of the proportional increase, in bytes^2: alpha x MSS x (T - d), with
// alpha = 4 x MSS x a x b / T.
double proportional(double delay_us) {
  return 4.0 * kMss * kMss * (12.0 - delay_us) / 12.0;
}

}  // namespace

TEST_CASE("nscc: constants derived from the base RTT and the line rate", "[nscc]") {
  NsccParams p;
  p.base_rtt = Time::us(12);
  Nscc cc(p, kLine, kMss);
  CHECK(cc.scaling_a() == 1.0);
  CHECK(cc.scaling_b() == 1.0);
  CHECK(cc.target_qdelay() == Time::us(12));  // auto: the base RTT (no trimming)
  CHECK(cc.max_window() == 225'000.0);        // 1.5 x 150,000 B
  CHECK(cc.min_window() == 4096.0);
  CHECK(cc.cwnd_bytes() == 225'000.0);  // auto initial window: the largest
  CHECK(cc.window_bytes() == 225'000);
  CHECK(cc.rate_bps(Time::zero()) == kLine);  // no pacing
  p.trimming = true;
  Nscc trim(p, kLine, kMss);
  CHECK(trim.target_qdelay() == Time::us(9));
  CHECK(trim.scaling_b() == Approx(0.75));
  // 400 Gb/s over 12 us: four reference BDPs.
  p.trimming = false;
  Nscc fast(p, 4 * kLine, kMss);
  CHECK(fast.scaling_a() == 4.0);
  CHECK(fast.max_window() == 900'000.0);
  p.target_qdelay = Time::us(3);
  CHECK(Nscc(p, kLine, kMss).scaling_b() == Approx(0.25));

  NsccParams bad = p;
  bad.base_rtt = Time::zero();
  CHECK_THROWS_AS(Nscc(bad, kLine, kMss), std::invalid_argument);
  bad = p;
  bad.max_mdf = 1.0;
  CHECK_THROWS_AS(Nscc(bad, kLine, kMss), std::invalid_argument);
  bad = p;
  bad.delay_gain = 0.0;
  CHECK_THROWS_AS(Nscc(bad, kLine, kMss), std::invalid_argument);
  bad = p;
  bad.md_gain = -0.1;
  CHECK_THROWS_AS(Nscc(bad, kLine, kMss), std::invalid_argument);
  bad = p;
  bad.qa_gate = 64;
  CHECK_THROWS_AS(Nscc(bad, kLine, kMss), std::invalid_argument);
  CHECK_THROWS_AS(Nscc(p, 0, kMss), std::invalid_argument);
  CHECK_THROWS_AS(Nscc(p, kLine, 0), std::invalid_argument);
  fabricsim::models::CcParams cp;
  cp.algorithm = fabricsim::models::CcAlgorithm::kNscc;
  cp.nscc = p;
  CHECK(dynamic_cast<Nscc*>(fabricsim::models::make_congestion_control(cp, kLine, kMss).get()) !=
        nullptr);
}

TEST_CASE("nscc: no ECN and a low delay gathers a proportional increase, applied per 8 MSS",
          "[nscc]") {
  Nscc cc(reference(), kLine, kMss);
  // RTT 14 us: queueing delay 2 us, 10 us below the target. Before 12 us have passed no
  // adjustment is due by time, so the increase waits for more than 8 MSS of ACKs.
  for (int i = 0; i < 8; ++i)
    cc.on_ack(Time::us(5), kMss, ack(Time::us(14), false));
  CHECK(cc.cwnd_bytes() == kW0);
  CHECK(cc.pending_increase() == Approx(8 * proportional(2.0)));
  cc.on_ack(Time::us(5), kMss, ack(Time::us(14), false));
  const double w1 = kW0 + 9 * proportional(2.0) / kW0;  // + 5,033 B
  CHECK(cc.cwnd_bytes() == Approx(w1));
  CHECK(cc.pending_increase() == 0.0);
  // After the base RTT (12 us since the last adjustment, here time 0) the next ACK applies its
  // increase at once and adds eta = 0.15 MSS.
  cc.on_ack(Time::us(20), kMss, ack(Time::us(14), false));
  CHECK(cc.cwnd_bytes() == Approx(w1 + proportional(2.0) / w1 + 0.15 * kMss));
  CHECK(cc.decreases() == 0);
}

TEST_CASE("nscc: no ECN and a high delay is the fair increase, 5 MSS per window of ACKs",
          "[nscc]") {
  NsccParams p = reference();
  p.delay_gain = 1.0;  // the average is the last sample
  Nscc cc(p, kLine, kMss);
  // Queueing delay 15 us >= 12 us: inc += 5 MSS x acked; the average takes base RTT / 4.
  for (int i = 0; i < 9; ++i)
    cc.on_ack(Time::us(5), kMss, ack(Time::us(27), false));
  CHECK(cc.cwnd_bytes() == Approx(kW0 + 9.0 * 5 * kMss * kMss / kW0));  // + 7,549.7 B
  CHECK(cc.avg_delay_seconds() == Approx(3e-6));
  CHECK(cc.decreases() == 0);
}

TEST_CASE("nscc: ECN and a high delay cut by md_gain x excess of the average, once per RTT",
          "[nscc]") {
  NsccParams p = reference();
  p.delay_gain = 1.0;
  p.eta = 0.0;
  Nscc cc(p, kLine, kMss);
  // Delay 24 us: avg 24 us, cut 0.8 x (24 - 12) / 24 = 40 %.
  cc.on_ack(Time::us(50), kMss, ack(Time::us(36), true));
  CHECK(cc.cwnd_bytes() == Approx(60'000.0));
  CHECK(cc.decreases() == 1);
  // Not again within one base RTT (12 us) of the cut.
  cc.on_ack(Time::us(55), kMss, ack(Time::us(36), true));
  CHECK(cc.cwnd_bytes() == Approx(60'000.0));
  // A huge delay cuts by max_mdf (half), not more.
  cc.on_ack(Time::us(63), kMss, ack(Time::us(412), true));
  CHECK(cc.cwnd_bytes() == Approx(30'000.0));
  CHECK(cc.decreases() == 2);
}

TEST_CASE("nscc: a CNP (the RoCE NIC's CE echo) marks the next ACK only", "[nscc]") {
  NsccParams p = reference();
  p.delay_gain = 1.0;
  p.eta = 0.0;
  Nscc cc(p, kLine, kMss);
  cc.on_cnp(Time::us(50));
  cc.on_ack(Time::us(50), kMss, ack(Time::us(36), false));  // taken as marked: a 40 % cut
  CHECK(cc.cwnd_bytes() == Approx(60'000.0));
  CHECK(cc.decreases() == 1);
  // The next one is clean again: a fair increase (the average takes base RTT / 4).
  cc.on_ack(Time::us(70), kMss, ack(Time::us(36), false));
  CHECK(cc.decreases() == 1);
  CHECK(cc.avg_delay_seconds() == Approx(3e-6));
  CHECK(cc.cwnd_bytes() == Approx(60'000.0 + 5.0 * kMss * kMss / 60'000.0));
}

TEST_CASE("nscc: with the default gain the average needs 56 marked ACKs to pass the target",
          "[nscc]") {
  NsccParams p = reference();
  p.eta = 0.0;
  Nscc cc(p, kLine, kMss);
  // avg_n = 24 us x (1 - 0.9875^n) passes 12 us at n = 56.
  for (int i = 0; i < 55; ++i)
    cc.on_ack(Time::us(50), kMss, ack(Time::us(36), true));
  CHECK(cc.cwnd_bytes() == kW0);
  CHECK(cc.decreases() == 0);
  cc.on_ack(Time::us(50), kMss, ack(Time::us(36), true));
  const double avg = 24e-6 * (1.0 - std::pow(0.9875, 56));
  CHECK(cc.avg_delay_seconds() == Approx(avg));
  CHECK(cc.cwnd_bytes() == Approx(kW0 * (1.0 - 0.8 * (avg - 12e-6) / avg)));
  CHECK(cc.decreases() == 1);
}

TEST_CASE("nscc: ECN with a low delay changes nothing, even with a high average", "[nscc]") {
  NsccParams p = reference();
  p.delay_gain = 0.5;
  p.eta = 0.0;
  Nscc cc(p, kLine, kMss);
  // A marked ACK 100 us late before one base RTT has passed (no decrease is allowed yet):
  // the average becomes 50 us.
  cc.on_ack(Time::us(5), kMss, ack(Time::us(112), true));
  CHECK(cc.avg_delay_seconds() == Approx(50e-6));
  CHECK(cc.cwnd_bytes() == kW0);
  // Marked ACKs with 3 us of delay: the average (26.5 us first) is above the target, yet the
  // window and the gathered increase stay.
  for (int i = 0; i < 20; ++i)
    cc.on_ack(Time::us(20), kMss, ack(Time::us(15), true));
  CHECK(cc.cwnd_bytes() == kW0);
  CHECK(cc.pending_increase() == 0.0);
  CHECK(cc.decreases() == 0);
  CHECK(cc.avg_delay_seconds() == Approx(3e-6 + 47e-6 / std::pow(2.0, 20)));
}

TEST_CASE("nscc: fast increase after a window of ACKs below 1 us of delay", "[nscc]") {
  NsccParams p = reference();
  p.proportional_increase = 0.0;  // only the fast increase moves the window
  Nscc cc(p, kLine, kMss);
  // Delay 0.5 us. 24 ACKs (98,304 B) do not exceed the 100 KB window; the 25th does.
  for (int i = 0; i < 24; ++i)
    cc.on_ack(Time::us(5), kMss, ack(Time::ps(12'500'000), false));
  CHECK(cc.cwnd_bytes() == kW0);
  cc.on_ack(Time::us(5), kMss, ack(Time::ps(12'500'000), false));
  CHECK(cc.cwnd_bytes() == kW0 + 1024.0);  // 0.25 x acked
  cc.on_ack(Time::us(5), kMss, ack(Time::ps(12'500'000), false));
  CHECK(cc.cwnd_bytes() == kW0 + 2048.0);
  // One ACK at 2 us of delay ends it; the count starts again.
  cc.on_ack(Time::us(5), kMss, ack(Time::us(14), false));
  cc.on_ack(Time::us(5), kMss, ack(Time::ps(12'500'000), false));
  CHECK(cc.cwnd_bytes() == kW0 + 2048.0);
}

TEST_CASE("nscc: a loss takes its bytes off the window and pulls the average to the RTT",
          "[nscc]") {
  NsccParams p = reference();
  p.quick_adapt = false;
  Nscc cc(p, kLine, kMss);
  cc.on_loss(Time::us(5), kMss);
  CHECK(cc.cwnd_bytes() == kW0 - kMss);
  CHECK(cc.avg_delay_seconds() == Approx(0.0125 * 12e-6));
  cc.on_loss(Time::us(6), 1000);
  CHECK(cc.cwnd_bytes() == kW0 - kMss - 1000);
  for (int i = 0; i < 100; ++i)
    cc.on_loss(Time::us(7), kMss);
  CHECK(cc.cwnd_bytes() == 4096.0);  // never below one MSS
}

TEST_CASE("nscc: quick adapt after a loss sets the window to the bytes acknowledged", "[nscc]") {
  Nscc cc(reference(), kLine, kMss);
  // The first call only starts a measuring period: base RTT + target = 24 us, to 29 us.
  cc.on_loss(Time::us(5), kMss);
  CHECK(cc.cwnd_bytes() == kW0 - kMss);
  CHECK(cc.quick_adapts() == 0);
  cc.on_ack(Time::us(10), kMss, ack(Time::us(14), false));
  cc.on_ack(Time::us(11), kMss, ack(Time::us(14), false));
  CHECK(cc.cwnd_bytes() == kW0 - kMss);
  // At 30 us the period is over, a loss asked for quick adapt and 3 MSS were acknowledged,
  // fewer than the max window / 8 (28,125 B): the window becomes those 12,288 B.
  cc.on_ack(Time::us(30), kMss, ack(Time::us(14), false));
  CHECK(cc.quick_adapts() == 1);
  CHECK(cc.cwnd_bytes() == 12'288.0);
  CHECK(cc.pending_increase() == 0.0);
  // Marks on the window sent before it are ignored, and so are losses.
  cc.on_ack(Time::us(31), kMss, ack(Time::us(100), true));
  cc.on_loss(Time::us(32), kMss);
  CHECK(cc.cwnd_bytes() == 12'288.0);
  CHECK(cc.decreases() == 0);
}

TEST_CASE("nscc: quick adapt on a delay above 4 x target, gated by the bytes acknowledged",
          "[nscc]") {
  Nscc cc(reference(), kLine, kMss);
  cc.on_ack(Time::us(5), kMss, ack(Time::us(14), false));  // starts the period (to 29 us)
  cc.on_ack(Time::us(6), kMss, ack(Time::us(14), false));
  // 50 us of queueing delay (> 48 us): 2 MSS acknowledged in the period, the window drops.
  cc.on_ack(Time::us(30), kMss, ack(Time::us(62), false));
  CHECK(cc.quick_adapts() == 1);
  CHECK(cc.cwnd_bytes() == 8192.0);
  // With the period's ACKs above max window / 8 the same delay is not enough.
  Nscc busy(reference(), kLine, kMss);
  busy.on_ack(Time::us(5), kMss, ack(Time::us(14), false));
  for (int i = 0; i < 7; ++i)
    busy.on_ack(Time::us(6), kMss, ack(Time::us(14), false));
  busy.on_ack(Time::us(30), kMss, ack(Time::us(62), false));  // 8 MSS = 32,768 B > 28,125 B
  CHECK(busy.quick_adapts() == 0);
  CHECK(busy.cwnd_bytes() > kW0);
}

TEST_CASE("nscc: a timeout takes one MSS off the window", "[nscc]") {
  Nscc cc(reference(), kLine, kMss);
  cc.on_timeout(Time::ms(1));
  CHECK(cc.cwnd_bytes() == kW0 - kMss);
  for (int i = 0; i < 30; ++i)
    cc.on_timeout(Time::ms(2));
  CHECK(cc.cwnd_bytes() == 4096.0);
  CHECK(cc.window_bytes() == 4096);
}

TEST_CASE("nscc: the window stays in [MSS, 1.5 x BDP of the QP's own base RTT]", "[nscc]") {
  NsccParams p = reference();
  p.initial_window_bytes = 1ULL << 40;
  CHECK(Nscc(p, kLine, kMss).cwnd_bytes() == 225'000.0);
  p.initial_window_bytes = 1;
  CHECK(Nscc(p, kLine, kMss).cwnd_bytes() == 4096.0);
  // Fair increases at the top stay at the top.
  p.initial_window_bytes = 0;
  Nscc cc(p, kLine, kMss);
  for (int i = 0; i < 200; ++i)
    cc.on_ack(Time::us(5 + i), kMss, ack(Time::us(30), false));
  CHECK(cc.cwnd_bytes() == 225'000.0);
  // An RTT below the base RTT lowers it, and the largest window with it: 1.5 x 100 KB.
  cc.on_ack(Time::us(300), kMss, ack(Time::us(8), false));
  CHECK(cc.base_rtt() == Time::us(8));
  CHECK(cc.max_window() == 150'000.0);
  CHECK(cc.cwnd_bytes() == 150'000.0);
}

TEST_CASE("nscc: the same inputs give the same windows", "[nscc]") {
  // A fixed pseudo-random mix of clean, marked, delayed ACKs, losses and timeouts.
  auto run = [] {
    Nscc cc(reference(), kLine, kMss);
    std::vector<double> trace;
    std::uint64_t x = 12345;
    for (int i = 0; i < 5000; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto r = static_cast<std::uint32_t>(x >> 33);
      const Time now = Time::ns(500) * i;
      if (r % 97 == 0) {
        cc.on_loss(now, kMss);
      } else if (r % 1009 == 0) {
        cc.on_timeout(now);
      } else {
        cc.on_ack(now, kMss, ack(Time::us(12) + Time::ns(r % 40'000), (r >> 8) % 4 == 0));
      }
      CHECK(cc.cwnd_bytes() >= cc.min_window());
      CHECK(cc.cwnd_bytes() <= cc.max_window());
      trace.push_back(cc.cwnd_bytes());
    }
    return trace;
  };
  const std::vector<double> a = run();
  CHECK(a == run());
  CHECK(a.front() != a.back());  // the mix moved the window
}
