// Unit tests of the DCQCN reaction point (models/cc/dcqcn.hpp) against hand-computed values:
// the cut, alpha decay, fast recovery, additive and hyper increase, byte counter, rate floor and
// ceiling, deferred cuts, and lazy timers equal to timers evaluated at every step. Most cases use
// the HPCC "dcqcn" preset's timers (1 us alpha, 4 us decrease, 300 us increase); one checks the
// default (paper) timers.
#include <catch2/catch.hpp>

#include <cstdint>

#include "models/cc/dcqcn.hpp"

namespace {

using fabricsim::models::Dcqcn;
using fabricsim::models::DcqcnParams;
using fabricsim::sim::Time;

constexpr std::uint64_t kGbps = 1'000'000'000ULL;
constexpr std::uint64_t kLine = 100 * kGbps;

// Two cuts at t = 0 with alpha = 1 and clamping: Rc = 25G, Rt = 50G, counters 0. Rai = 1G and
// Rhai = 5G make the stage arithmetic exact in whole bits/s.
DcqcnParams staged_params(std::uint32_t f) {
  DcqcnParams p = DcqcnParams::hpcc_dcqcn();
  p.fast_recovery_stages = f;
  p.rate_ai_bps = 1 * kGbps;
  p.rate_hai_bps = 5 * kGbps;
  p.clamp_target_rate = true;
  p.limit_rate_decrease = false;
  return p;
}

void double_cut(Dcqcn& cc) {
  cc.on_cnp(Time::zero());
  cc.on_cnp(Time::zero());
  REQUIRE(cc.rate_bps(Time::zero()) == 25 * kGbps);
  REQUIRE(cc.target_rate_bps() == 50 * kGbps);
}

std::uint64_t mbps(double v) {
  return static_cast<std::uint64_t>(v * 1e6);
}

}  // namespace

TEST_CASE("dcqcn: starts at line rate and nothing is pending", "[dcqcn]") {
  Dcqcn cc(DcqcnParams::hpcc_dcqcn(), kLine);
  CHECK(cc.rate_bps(Time::zero()) == kLine);
  CHECK(cc.rate_bps(Time::s(1)) == kLine);
  CHECK(cc.next_change(Time::s(1)) == Time::max());
  CHECK(cc.alpha() == 1.0);
}

TEST_CASE("dcqcn: the first cut from line rate with alpha = 1 halves the rate", "[dcqcn]") {
  Dcqcn cc(DcqcnParams::hpcc_dcqcn(), kLine);
  cc.on_cnp(Time::us(10));
  CHECK(cc.rate_bps(Time::us(10)) == 50 * kGbps);
  CHECK(cc.target_rate_bps() == kLine);  // Rt <- Rc before the cut
  // alpha <- (1 - g) * 1 + g = 1 exactly with g = 1/256.
  CHECK(cc.alpha() == 1.0);
  CHECK(cc.cuts() == 1);
  // The increase timer (300 us by default) is the next rate change.
  CHECK(cc.next_change(Time::us(10)) == Time::us(310));
}

TEST_CASE("dcqcn: a cut uses alpha, so a later cut with alpha 0.5 keeps 3/4", "[dcqcn]") {
  DcqcnParams p = DcqcnParams::hpcc_dcqcn();
  p.initial_alpha = 0.5;
  Dcqcn cc(p, kLine);
  cc.on_cnp(Time::us(1));
  CHECK(cc.rate_bps(Time::us(1)) == 75 * kGbps);
  // alpha <- (1 - 1/256) * 0.5 + 1/256 = 0.50195312 5
  CHECK(cc.alpha() == 0.501953125);
}

TEST_CASE("dcqcn: alpha decays to (1-g)^k over k idle alpha periods", "[dcqcn]") {
  Dcqcn cc(DcqcnParams::hpcc_dcqcn(), kLine);
  cc.on_cnp(Time::us(5));
  REQUIRE(cc.alpha() == 1.0);
  // Expiries at 6, 7, ..., 15 us: ten decays by 255/256.
  cc.rate_bps(Time::us(15) + Time::ns(500));
  CHECK(cc.alpha() == Approx(0.9616170416164264).epsilon(1e-15));
  // Ten more periods: (255/256)^20.
  cc.rate_bps(Time::us(25) + Time::ns(999));
  CHECK(cc.alpha() == Approx(0.9616170416164264 * 0.9616170416164264).epsilon(1e-14));
}

TEST_CASE("dcqcn: a CNP restarts the alpha timer, so no decay while CNPs keep coming", "[dcqcn]") {
  DcqcnParams p = DcqcnParams::hpcc_dcqcn();
  p.limit_rate_decrease = false;
  p.initial_alpha = 0.5;
  p.g = 0.5;
  Dcqcn cc(p, kLine);
  cc.on_cnp(Time::ns(0));    // alpha 0.5 -> 0.75
  cc.on_cnp(Time::ns(900));  // no decay yet (period 1 us): 0.75 -> 0.875
  CHECK(cc.alpha() == 0.875);
  cc.rate_bps(Time::ns(1899));  // timer restarted at 900 ns: still no decay
  CHECK(cc.alpha() == 0.875);
  cc.rate_bps(Time::ns(1900));  // one decay: 0.4375
  CHECK(cc.alpha() == 0.4375);
}

TEST_CASE("dcqcn: fast recovery halves the gap to Rt each stage", "[dcqcn]") {
  Dcqcn cc(staged_params(2), kLine);
  double_cut(cc);
  CHECK(cc.next_change(Time::zero()) == Time::us(300));
  CHECK(cc.rate_bps(Time::us(299)) == 25 * kGbps);
  CHECK(cc.rate_bps(Time::us(300)) == mbps(37'500));  // (50 + 25) / 2
  CHECK(cc.rate_bps(Time::us(600)) == mbps(43'750));  // (50 + 37.5) / 2
  CHECK(cc.target_rate_bps() == 50 * kGbps);          // fast recovery leaves Rt alone
  CHECK(cc.timer_count() == 2);
}

TEST_CASE("dcqcn: the additive stage adds Rai to Rt", "[dcqcn]") {
  Dcqcn cc(staged_params(2), kLine);
  double_cut(cc);
  cc.rate_bps(Time::us(600));                         // two fast-recovery stages: Rc = 43.75G
  CHECK(cc.rate_bps(Time::us(900)) == mbps(47'375));  // Rt = 51G, Rc = (51 + 43.75) / 2
  CHECK(cc.target_rate_bps() == 51 * kGbps);
}

TEST_CASE("dcqcn: the hyper stage adds i * Rhai to Rt", "[dcqcn]") {
  Dcqcn cc(staged_params(2), kLine);
  double_cut(cc);
  cc.rate_bps(Time::us(900));                            // FR, FR, AI: Rt = 51G, Rc = 47.375G
  CHECK(cc.rate_bps(Time::us(1200)) == mbps(51'687.5));  // i = 1: Rt = 56G
  CHECK(cc.target_rate_bps() == 56 * kGbps);
  CHECK(cc.rate_bps(Time::us(1500)) == mbps(58'843.75));  // i = 2: Rt = 66G
  CHECK(cc.target_rate_bps() == 66 * kGbps);
  CHECK(cc.rate_bps(Time::us(1800)) == mbps(69'921.875));  // i = 3: Rt = 81G
  CHECK(cc.target_rate_bps() == 81 * kGbps);
  // i = 4 would give 101G: Rt is clamped to the line rate.
  CHECK(cc.rate_bps(Time::us(2100)) == mbps(84'960.9375));
  CHECK(cc.target_rate_bps() == kLine);
}

TEST_CASE("dcqcn: the byte counter triggers increases without the timer", "[dcqcn]") {
  DcqcnParams p = staged_params(2);
  p.byte_counter_bytes = 1'000'000;
  p.rate_increase_timer = Time::s(1);  // out of the way
  Dcqcn cc(p, kLine);
  double_cut(cc);
  cc.on_send(Time::us(1), 999'999);
  CHECK(cc.rate_bps(Time::us(1)) == 25 * kGbps);  // one byte short
  cc.on_send(Time::us(2), 1);
  CHECK(cc.byte_count() == 1);
  CHECK(cc.rate_bps(Time::us(2)) == mbps(37'500));  // fast recovery
  cc.on_send(Time::us(3), 1'000'000);
  CHECK(cc.rate_bps(Time::us(3)) == mbps(43'750));  // fast recovery (BC = 2 = F)
  // BC = 3 > F while T = 0 <= F: additive increase, never hyper without the timer.
  cc.on_send(Time::us(4), 2'000'000);  // two increments in one call
  CHECK(cc.byte_count() == 4);
  CHECK(cc.target_rate_bps() == 52 * kGbps);
  CHECK(cc.rate_bps(Time::us(4)) == mbps(49'687.5));  // 47.375 then (52 + 47.375) / 2
}

TEST_CASE("dcqcn: hyper increase needs both timer and byte counter past F", "[dcqcn]") {
  DcqcnParams p = staged_params(1);
  p.byte_counter_bytes = 1'000'000;
  Dcqcn cc(p, kLine);
  double_cut(cc);
  cc.on_send(Time::us(1), 1'000'000);  // BC = 1: fast recovery
  CHECK(cc.rate_bps(Time::us(1)) == mbps(37'500));
  CHECK(cc.rate_bps(Time::us(300)) == mbps(43'750));  // T = 1: fast recovery
  cc.on_send(Time::us(301), 1'000'000);               // BC = 2 > F, T = 1: additive
  CHECK(cc.target_rate_bps() == 51 * kGbps);
  CHECK(cc.rate_bps(Time::us(301)) == mbps(47'375));
  CHECK(cc.rate_bps(Time::us(600)) == mbps(51'687.5));  // T = BC = 2: hyper, i = 1
  CHECK(cc.target_rate_bps() == 56 * kGbps);
}

TEST_CASE("dcqcn: a cut resets the increase stages", "[dcqcn]") {
  Dcqcn cc(staged_params(1), kLine);
  double_cut(cc);
  cc.rate_bps(Time::us(900));
  REQUIRE(cc.timer_count() == 3);
  cc.on_cnp(Time::us(950));
  CHECK(cc.timer_count() == 0);
  CHECK(cc.byte_count() == 0);
  CHECK(cc.next_change(Time::us(950)) == Time::us(1250));
}

TEST_CASE("dcqcn: the rate is never cut below min_rate", "[dcqcn]") {
  DcqcnParams p = DcqcnParams::hpcc_dcqcn();
  p.min_rate_bps = 30 * kGbps;
  p.limit_rate_decrease = false;
  Dcqcn cc(p, kLine);
  cc.on_cnp(Time::us(1));
  CHECK(cc.rate_bps(Time::us(1)) == 50 * kGbps);
  cc.on_cnp(Time::us(1));
  CHECK(cc.rate_bps(Time::us(1)) == 30 * kGbps);  // 25G floored
  for (int k = 0; k < 10; ++k)
    cc.on_cnp(Time::us(2));
  CHECK(cc.rate_bps(Time::us(2)) == 30 * kGbps);
}

TEST_CASE("dcqcn: recovery stops exactly at the line rate", "[dcqcn]") {
  Dcqcn cc(DcqcnParams::hpcc_dcqcn(), kLine);
  cc.on_cnp(Time::zero());
  // Default F = 1, timer only: T=1 fast recovery (75G), T=2 additive (Rt capped: 87.5G), ...
  CHECK(cc.rate_bps(Time::us(300)) == 75 * kGbps);
  CHECK(cc.rate_bps(Time::us(600)) == mbps(87'500));
  CHECK(cc.target_rate_bps() == kLine);
  CHECK(cc.rate_bps(Time::ms(100)) == kLine);
  CHECK(cc.target_rate_bps() == kLine);
  CHECK(cc.next_change(Time::ms(100)) == Time::max());
}

TEST_CASE("dcqcn: Rai and Rhai scale with the line rate as in the HPCC preset", "[dcqcn]") {
  Dcqcn at100(DcqcnParams::hpcc_dcqcn(), kLine);
  CHECK(at100.rate_ai_bps() == 20'000'000);    // 5 Mb/s per 25 Gb/s
  CHECK(at100.rate_hai_bps() == 200'000'000);  // 50 Mb/s per 25 Gb/s
  Dcqcn at400(DcqcnParams::hpcc_dcqcn(), 400 * kGbps);
  CHECK(at400.rate_ai_bps() == 80'000'000);
  CHECK(at400.rate_hai_bps() == 800'000'000);
  CHECK(at400.min_rate_bps() == 1 * kGbps);
  Dcqcn slow(DcqcnParams::hpcc_dcqcn(), kGbps / 2);  // min rate never above the line rate
  CHECK(slow.min_rate_bps() == kGbps / 2);
}

TEST_CASE("dcqcn: with cuts limited, a CNP inside the interval defers the cut", "[dcqcn]") {
  Dcqcn cc(DcqcnParams::hpcc_dcqcn(), kLine);  // 4 us interval
  cc.on_cnp(Time::us(10));
  REQUIRE(cc.rate_bps(Time::us(10)) == 50 * kGbps);
  cc.on_cnp(Time::us(11));
  CHECK(cc.rate_bps(Time::us(11)) == 50 * kGbps);
  CHECK(cc.cuts() == 1);
  CHECK(cc.next_change(Time::us(11)) == Time::us(14));
  CHECK(cc.rate_bps(Time::ps(14'000'000 - 1)) == 50 * kGbps);
  const std::uint64_t at14 = cc.rate_bps(Time::us(14));
  CHECK(cc.cuts() == 2);
  // alpha: 1, decay at 11 us, CNP (+g), decays at 12 and 13 us; the 14 us decay comes after
  // the cut at the same instant.
  const double keep = 255.0 / 256.0;
  const double alpha = keep * keep + 1.0 / 256.0;  // after the CNP at 11 us
  const double at_cut = alpha * keep * keep;
  CHECK(at14 == static_cast<std::uint64_t>(50e9 * (1.0 - at_cut / 2.0)));
  CHECK(at14 == Approx(25.2914e9).epsilon(1e-5));  // alpha at the cut ~ 0.98834
  // More CNPs within one interval still give a single extra cut.
  cc.on_cnp(Time::us(15));
  cc.on_cnp(Time::us(16));
  cc.rate_bps(Time::us(30));
  CHECK(cc.cuts() == 3);
}

TEST_CASE("dcqcn: without the limit every CNP cuts", "[dcqcn]") {
  DcqcnParams p = DcqcnParams::hpcc_dcqcn();
  p.limit_rate_decrease = false;
  Dcqcn cc(p, kLine);
  cc.on_cnp(Time::us(10));
  cc.on_cnp(Time::us(11));
  CHECK(cc.cuts() == 2);
  // Rt is not clamped (no increase since the first cut): it stays at the line rate.
  CHECK(cc.target_rate_bps() == kLine);
}

TEST_CASE("dcqcn: the paper preset's timers with CNPs 50 us apart", "[dcqcn]") {
  // Preset paper: alpha timer 50 us, one cut per 50 us, increase timer 55 us, no clamping.
  Dcqcn cc(DcqcnParams::paper(), kLine);
  cc.on_cnp(Time::zero());
  CHECK(cc.rate_bps(Time::zero()) == 50 * kGbps);
  CHECK(cc.next_change(Time::zero()) == Time::us(55));
  // The next CNP comes at the NP's 50 us interval: alpha decayed once (its expiry at 50 us comes
  // before the CNP at the same instant), the cut is allowed again, Rt stays at the line rate.
  cc.on_cnp(Time::us(50));
  const double keep = 255.0 / 256.0;
  CHECK(cc.cuts() == 2);
  CHECK(cc.rate_bps(Time::us(50)) == 25'097'656'250ULL);  // 50G x (1 - keep / 2)
  CHECK(cc.alpha() == keep * keep + 1.0 / 256.0);
  CHECK(cc.target_rate_bps() == kLine);
  CHECK(cc.next_change(Time::us(50)) == Time::us(105));
  // Fast recovery at 105 us halves the gap to Rt; the additive step at 160 us adds Rai (20 Mb/s,
  // capped at the line rate) and halves it again.
  CHECK(cc.rate_bps(Time::us(105)) == 62'548'828'125ULL);
  CHECK(cc.rate_bps(Time::us(160)) == 81'274'414'063ULL);
  // Alpha decays by (1 - g) per 50 us without a CNP: expiries at 100 and 150 us.
  CHECK(cc.alpha() == Approx((keep * keep + 1.0 / 256.0) * keep * keep).epsilon(1e-15));
}
