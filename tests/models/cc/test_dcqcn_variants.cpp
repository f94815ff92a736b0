// Unit tests of the DCQCN behaviours the firmware and ns-3 presets use (models/cc/dcqcn.hpp):
// the periodic alpha update, cuts on a grid anchored at the first CNP, constant hyper increase,
// the presets' values with their sources, and lazy timers equal to evaluation at every step for
// every preset.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "models/cc/dcqcn.hpp"

namespace {

using fabricsim::models::Dcqcn;
using fabricsim::models::DcqcnAlphaUpdate;
using fabricsim::models::DcqcnCutTiming;
using fabricsim::models::DcqcnHyperIncrease;
using fabricsim::models::DcqcnParams;
using fabricsim::models::DcqcnPreset;
using fabricsim::sim::Time;

constexpr std::uint64_t kGbps = 1'000'000'000ULL;
constexpr std::uint64_t kLine = 100 * kGbps;
constexpr double kKeep = 255.0 / 256.0;  // 1 - g of the ns-3 preset

std::uint64_t cut_of(std::uint64_t rate, double alpha) {
  return static_cast<std::uint64_t>(static_cast<double>(rate) * (1.0 - alpha / 2.0));
}

}  // namespace

TEST_CASE("dcqcn firmware preset: the ConnectX firmware defaults", "[dcqcn]") {
  const DcqcnParams p;  // the default preset
  CHECK(p.preset == DcqcnPreset::kFirmware);
  CHECK(p.alpha_update == DcqcnAlphaUpdate::kPeriodic);
  CHECK(p.cut_timing == DcqcnCutTiming::kGrid);
  CHECK(p.g == 5.0 / 1024.0);                      // dce_tcp_g 1019
  CHECK(p.initial_alpha == 1023.0 / 1024.0);       // initial_alpha_value 1023
  CHECK(p.alpha_timer == Time::us(1));             // dce_tcp_rtt
  CHECK(p.rate_decrease_interval == Time::us(4));  // rate_reduce_monitor_period
  CHECK(p.rate_increase_timer == Time::us(300));   // rpg_time_reset
  CHECK(p.byte_counter_bytes == 32767);            // rpg_byte_reset
  CHECK(p.fast_recovery_stages == 1);              // rpg_threshold
  CHECK(p.rate_ai_bps == 5'000'000);               // rpg_ai_rate 5 Mb/s
  CHECK(p.rate_hai_bps == 50'000'000);             // rpg_hai_rate 50 Mb/s
  CHECK(p.min_rate_bps == 1'000'000);              // rpg_min_rate 1 Mb/s
  CHECK_FALSE(p.clamp_target_rate);                // clamp_tgt_rate 0
  CHECK(DcqcnParams::of_preset(DcqcnPreset::kFirmware).g == p.g);
}

TEST_CASE("dcqcn ns3 preset: run.py's dcqcn values on the ns-3 reaction point", "[dcqcn]") {
  const DcqcnParams p = DcqcnParams::of_preset(DcqcnPreset::kNs3);
  CHECK(p.preset == DcqcnPreset::kNs3);
  CHECK(p.alpha_update == DcqcnAlphaUpdate::kPeriodic);      // UpdateAlphaMlx, free-running
  CHECK(p.cut_timing == DcqcnCutTiming::kGrid);              // CheckRateDecreaseMlx
  CHECK(p.hyper_increase == DcqcnHyperIncrease::kConstant);  // HyperIncreaseMlx
  CHECK(p.g == 1.0 / 256.0);
  CHECK(p.alpha_timer == Time::us(1));
  CHECK(p.rate_decrease_interval == Time::us(4));
  CHECK(p.rate_increase_timer == Time::us(300));
  CHECK(p.byte_counter_bytes == 0);
  CHECK(p.min_rate_bps == kGbps);
  const DcqcnParams paper = DcqcnParams::of_preset(DcqcnPreset::kPaper);
  CHECK(paper.alpha_update == DcqcnAlphaUpdate::kOnCnp);
  CHECK(paper.cut_timing == DcqcnCutTiming::kOnCnp);
  CHECK(paper.hyper_increase == DcqcnHyperIncrease::kLinear);
  CHECK(paper.alpha_timer == Time::us(50));
}

TEST_CASE("dcqcn grid: the first CNP does not cut; the cut comes at the next grid point",
          "[dcqcn]") {
  Dcqcn cc(DcqcnParams::ns3(), kLine);
  cc.on_cnp(Time::us(10));
  CHECK(cc.rate_bps(Time::us(10)) == kLine);
  CHECK(cc.alpha() == 1.0);  // the first CNP starts the alpha timer and leaves alpha alone
  CHECK(cc.next_change(Time::us(10)) == Time::us(14));
  CHECK(cc.rate_bps(Time::ps(14'000'000 - 1)) == kLine);
  // Alpha expiries at 11, 12, 13 and 14 us with no CNP in their periods come first (ns-3
  // checks the cut 1 ns after the alpha timer), then the cut.
  const double a14 = kKeep * kKeep * kKeep * kKeep;
  const std::uint64_t r14 = cut_of(kLine, a14);
  CHECK(cc.rate_bps(Time::us(14)) == r14);
  CHECK(cc.alpha() == a14);
  CHECK(cc.cuts() == 1);
  CHECK(cc.target_rate_bps() == kLine);

  // CNPs at 15 and 17 us: one cut, at 18 us, the grid's next point (10 + 2 x 4). Each CNP
  // counts in the alpha period after it (the expiry at its own instant comes first).
  cc.on_cnp(Time::us(15));
  cc.on_cnp(Time::us(17));
  CHECK(cc.next_change(Time::us(17)) == Time::us(18));
  const double a15 = a14 * kKeep;
  const double a16 = kKeep * a15 + 1.0 / 256.0;
  const double a17 = a16 * kKeep;
  const double a18 = kKeep * a17 + 1.0 / 256.0;
  CHECK(cc.rate_bps(Time::us(18)) == cut_of(r14, a18));
  CHECK(cc.alpha() == a18);
  CHECK(cc.cuts() == 2);
  // No CNP since: the grid point at 22 us does not cut.
  cc.rate_bps(Time::us(30));
  CHECK(cc.cuts() == 2);
  // A CNP at 31 us is cut at 34 us: the grid stays anchored at the first CNP.
  cc.on_cnp(Time::us(31));
  CHECK(cc.next_change(Time::us(31)) == Time::us(34));
}

TEST_CASE("dcqcn periodic alpha: a free-running update with the period's CNPs", "[dcqcn]") {
  DcqcnParams p = DcqcnParams::ns3();
  p.g = 0.5;
  p.initial_alpha = 0.5;
  p.rate_decrease_interval = Time::ms(1);  // no cut in the way
  Dcqcn cc(p, kLine);
  cc.on_cnp(Time::ns(0));  // starts the timer: expiries at 1, 2, 3 ... us
  CHECK(cc.alpha() == 0.5);
  cc.on_cnp(Time::ns(300));
  cc.on_cnp(Time::ns(600));  // two CNPs in one period count once
  CHECK(cc.alpha() == 0.5);
  cc.rate_bps(Time::ns(999));
  CHECK(cc.alpha() == 0.5);
  cc.rate_bps(Time::us(1));  // 0.5 x 0.5 + 0.5
  CHECK(cc.alpha() == 0.75);
  cc.rate_bps(Time::us(3));  // two periods without a CNP
  CHECK(cc.alpha() == 0.1875);
  // A CNP after the timer went quiet keeps the grid's phase: at 7.5 us, counted at 8 us.
  cc.rate_bps(Time::ms(10));
  CHECK(cc.alpha() == 0.0);
  cc.on_cnp(Time::ms(10) + Time::ns(500));
  CHECK(cc.rate_bps(Time::ms(10) + Time::ns(999)) == kLine);
  CHECK(cc.alpha() == 0.0);
  cc.rate_bps(Time::ms(10) + Time::us(1));
  CHECK(cc.alpha() == 0.5);
}

TEST_CASE("dcqcn constant hyper increase: Rhai per event, not i x Rhai", "[dcqcn]") {
  DcqcnParams p = DcqcnParams::hpcc_dcqcn();
  p.hyper_increase = DcqcnHyperIncrease::kConstant;
  p.rate_ai_bps = 1 * kGbps;
  p.rate_hai_bps = 5 * kGbps;
  p.clamp_target_rate = true;
  p.limit_rate_decrease = false;
  Dcqcn cc(p, kLine);
  cc.on_cnp(Time::zero());
  cc.on_cnp(Time::zero());  // Rc 25G, Rt 50G
  REQUIRE(cc.target_rate_bps() == 50 * kGbps);
  cc.rate_bps(Time::us(600));  // F = 1: FR (37.5G), AI (Rt 51G, Rc 44.25G)
  REQUIRE(cc.target_rate_bps() == 51 * kGbps);
  cc.rate_bps(Time::us(900));
  CHECK(cc.target_rate_bps() == 56 * kGbps);
  cc.rate_bps(Time::us(1200));
  CHECK(cc.target_rate_bps() == 61 * kGbps);  // linear would give 66G
  cc.rate_bps(Time::us(1500));
  CHECK(cc.target_rate_bps() == 66 * kGbps);
}

TEST_CASE("dcqcn firmware: the 32767-byte counter drives recovery between timer events",
          "[dcqcn]") {
  Dcqcn cc(DcqcnParams{}, kLine);
  cc.on_cnp(Time::us(0));
  const std::uint64_t cut = cc.rate_bps(Time::us(4));
  REQUIRE(cut < kLine);
  cc.on_send(Time::us(5), 32766);
  CHECK(cc.byte_count() == 0);
  cc.on_send(Time::us(5), 1);  // BC = 1 <= F: fast recovery, Rc halfway to Rt (line rate)
  CHECK(cc.byte_count() == 1);
  CHECK(cc.rate_bps(Time::us(5)) == kLine - (kLine - cut) / 2);
}

namespace {

// Feeds the same pseudo-random CNP and send sequence to a Dcqcn queried only at its inputs
// and to one queried every 250 ns; both must follow the same trajectory.
void check_lazy_equals_stepped(const DcqcnParams& p) {
  Dcqcn lazy(p, kLine);
  Dcqcn stepped(p, kLine);

  struct Input {
    Time at;
    bool cnp;
    std::uint32_t bytes;
  };
  // A fixed pseudo-random input sequence (a 64-bit LCG): CNP bursts, then quiet stretches.
  std::vector<Input> inputs;
  std::uint64_t x = 12345;
  Time t = Time::us(1);
  for (int k = 0; k < 4000; ++k) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto r = static_cast<std::int64_t>(x >> 40);
    t += Time::ns(100 + r % 4000);
    const bool burst = (t.picoseconds() / 1'000'000'000) % 3 == 0;  // one ms in three
    inputs.push_back({t, burst && (r % 7 == 0), static_cast<std::uint32_t>(1000 + r % 4000)});
  }

  const Time step = Time::ns(250);
  Time clock = Time::zero();
  std::uint64_t changes = 0;
  std::uint64_t last_rate = kLine;
  for (const Input& in : inputs) {
    while (clock + step < in.at) {
      clock += step;
      stepped.rate_bps(clock);
    }
    for (Dcqcn* cc : {&lazy, &stepped}) {
      if (in.cnp) {
        cc->on_cnp(in.at);
      } else {
        cc->on_send(in.at, in.bytes);
      }
    }
    const std::uint64_t r = lazy.rate_bps(in.at);
    REQUIRE(r == stepped.rate_bps(in.at));
    REQUIRE(lazy.target_rate_bps() == stepped.target_rate_bps());
    REQUIRE(lazy.alpha() == stepped.alpha());
    REQUIRE(lazy.timer_count() == stepped.timer_count());
    REQUIRE(lazy.byte_count() == stepped.byte_count());
    REQUIRE(lazy.next_change(in.at) == stepped.next_change(in.at));
    if (r != last_rate) ++changes;
    last_rate = r;
  }
  CHECK(lazy.cuts() == stepped.cuts());
  CHECK(lazy.cuts() > 10);
  CHECK(changes > 100);  // the trajectory really moved
}

}  // namespace

TEST_CASE("dcqcn: lazy timers give the same trajectory as evaluation at every step", "[dcqcn]") {
  SECTION("paper reaction point, byte counter, F = 3") {
    DcqcnParams p = DcqcnParams::hpcc_dcqcn();
    p.byte_counter_bytes = 300'000;
    p.rate_increase_timer = Time::us(55);
    p.alpha_timer = Time::us(3);
    p.fast_recovery_stages = 3;
    check_lazy_equals_stepped(p);
  }
  SECTION("ns-3 reaction point") {
    DcqcnParams p = DcqcnParams::ns3();
    p.rate_increase_timer = Time::us(55);
    check_lazy_equals_stepped(p);
  }
  SECTION("firmware") {
    check_lazy_equals_stepped(DcqcnParams{});
  }
}
