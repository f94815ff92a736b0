// Unit tests of the line-rate algorithm (models/cc/none.hpp), the factory and the declared
// congestion-control parameters (models/cc/cc_params.hpp): the presets are the cited ones.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "models/cc/cc_params.hpp"
#include "models/cc/dcqcn.hpp"
#include "models/cc/factory.hpp"
#include "models/cc/none.hpp"

namespace {

using fabricsim::models::CcAlgorithm;
using fabricsim::models::CcParams;
using fabricsim::models::CongestionControl;
using fabricsim::models::Dcqcn;
using fabricsim::models::DcqcnParams;
using fabricsim::models::None;
using fabricsim::sim::ParamUnit;
using fabricsim::sim::Time;

constexpr std::uint64_t kLine = 100'000'000'000ULL;

// Collects "path" names and checks every parameter has a doc line.
struct NameCollector {
  std::string prefix;
  std::set<std::string> names;
  int undocumented = 0;
  template <class T>
  void operator()(const char* name, T& /*field*/, ParamUnit /*unit*/, const char* doc) {
    add(name, doc);
  }
  template <class E>
  void operator()(const char* name, E& field, const fabricsim::sim::Choices<E>& choices,
                  const char* doc) {
    if (choices.name_of(field) == nullptr) ++undocumented;
    add(name, doc);
  }
  template <class S>
  void nested(const char* name, S& sub, const char* doc) {
    add(name, doc);
    const std::string saved = prefix;
    prefix += std::string(name) + ".";
    sub.visit_params(*this);
    prefix = saved;
  }
  void add(const char* name, const char* doc) {
    names.insert(prefix + name);
    if (doc == nullptr || std::string(doc).empty()) ++undocumented;
  }
};

}  // namespace

TEST_CASE("cc none: the rate is the line rate and never changes", "[cc]") {
  None cc(kLine);
  CHECK(cc.rate_bps(Time::zero()) == kLine);
  cc.on_cnp(Time::us(1));
  cc.on_cnp(Time::us(1));
  cc.on_send(Time::us(2), 4096);
  cc.on_ack(Time::us(3), 4096, {Time::us(2), 1});
  cc.on_timeout(Time::ms(1));
  CHECK(cc.rate_bps(Time::ms(2)) == kLine);
  CHECK(cc.next_change(Time::ms(2)) == Time::max());
  CHECK(cc.window_bytes() == std::numeric_limits<std::uint64_t>::max());
  CHECK_THROWS_AS(None(0), std::invalid_argument);
}

TEST_CASE("cc factory: builds the algorithm the parameters name", "[cc]") {
  CcParams params;
  REQUIRE(params.algorithm == CcAlgorithm::kDcqcn);
  std::unique_ptr<CongestionControl> dcqcn =
      fabricsim::models::make_congestion_control(params, kLine);
  REQUIRE(dynamic_cast<Dcqcn*>(dcqcn.get()) != nullptr);
  dcqcn->on_cnp(Time::us(1));
  CHECK(dcqcn->rate_bps(Time::us(1)) == kLine);  // firmware: the cut comes on the 4 us grid
  CHECK(dcqcn->rate_bps(Time::us(5)) < kLine * 52 / 100);  // alpha 0.98 after four updates

  params.algorithm = CcAlgorithm::kNone;
  std::unique_ptr<CongestionControl> none =
      fabricsim::models::make_congestion_control(params, kLine);
  REQUIRE(dynamic_cast<None*>(none.get()) != nullptr);
  none->on_cnp(Time::us(1));
  CHECK(none->rate_bps(Time::us(1)) == kLine);
}

TEST_CASE("cc factory: invalid DCQCN parameters are rejected", "[cc]") {
  CcParams params;
  params.dcqcn.g = 0.0;
  CHECK_THROWS_AS(fabricsim::models::make_congestion_control(params, kLine), std::invalid_argument);
  params = CcParams{};
  params.dcqcn.initial_alpha = 1.5;
  CHECK_THROWS_AS(fabricsim::models::make_congestion_control(params, kLine), std::invalid_argument);
  params = CcParams{};
  params.dcqcn.rate_increase_timer = Time::zero();
  CHECK_THROWS_AS(fabricsim::models::make_congestion_control(params, kLine), std::invalid_argument);
  params = CcParams{};
  params.dcqcn.alpha_timer = Time::zero();
  CHECK_THROWS_AS(fabricsim::models::make_congestion_control(params, kLine), std::invalid_argument);
  params = CcParams{};
  params.dcqcn.min_rate_bps = 0;
  CHECK_THROWS_AS(fabricsim::models::make_congestion_control(params, kLine), std::invalid_argument);
  params = CcParams{};
  CHECK_THROWS_AS(fabricsim::models::make_congestion_control(params, 0), std::invalid_argument);
}

TEST_CASE("cc params: the paper preset is the ns-3 HPCC dcqcn_paper timers", "[cc]") {
  const DcqcnParams p = DcqcnParams::paper();
  CHECK(p.g == 1.0 / 256.0);                        // EWMA_GAIN 0.00390625
  CHECK(p.initial_alpha == 1.0);                    // alpha = 1 on the first CNP
  CHECK(p.alpha_timer == Time::us(50));             // ALPHA_RESUME_INTERVAL 50
  CHECK(p.rate_decrease_interval == Time::us(50));  // RATE_DECREASE_INTERVAL 50
  CHECK(p.limit_rate_decrease);
  CHECK(p.rate_increase_timer == Time::us(55));  // RP_TIMER 55
  CHECK(p.fast_recovery_stages == 1);            // FAST_RECOVERY_TIMES 1
  CHECK(p.min_rate_bps == 1'000'000'000ULL);     // MIN_RATE 1000Mb/s
  CHECK_FALSE(p.clamp_target_rate);              // CLAMP_TARGET_RATE 0
  CHECK(p.byte_counter_bytes == 0);              // no byte counter in the preset
  CHECK(p.rate_ai_bps == 0);                     // auto: scaled per link speed
  CHECK(p.rate_hai_bps == 0);
}

TEST_CASE("cc params: hpcc_dcqcn() is the paper preset with the HPCC dcqcn timers", "[cc]") {
  const DcqcnParams p = DcqcnParams::hpcc_dcqcn();
  CHECK(p.alpha_timer == Time::us(1));             // ALPHA_RESUME_INTERVAL 1
  CHECK(p.rate_decrease_interval == Time::us(4));  // RATE_DECREASE_INTERVAL 4
  CHECK(p.rate_increase_timer == Time::us(300));   // RP_TIMER 300
  DcqcnParams same_otherwise = p;
  const DcqcnParams defaults = DcqcnParams::paper();
  same_otherwise.alpha_timer = defaults.alpha_timer;
  same_otherwise.rate_decrease_interval = defaults.rate_decrease_interval;
  same_otherwise.rate_increase_timer = defaults.rate_increase_timer;
  CHECK(same_otherwise.g == defaults.g);
  CHECK(same_otherwise.initial_alpha == defaults.initial_alpha);
  CHECK(same_otherwise.fast_recovery_stages == defaults.fast_recovery_stages);
  CHECK(same_otherwise.min_rate_bps == defaults.min_rate_bps);
  CHECK(same_otherwise.clamp_target_rate == defaults.clamp_target_rate);
  CHECK(same_otherwise.byte_counter_bytes == defaults.byte_counter_bytes);
  CHECK(same_otherwise.rate_ai_bps == defaults.rate_ai_bps);
  CHECK(same_otherwise.rate_hai_bps == defaults.rate_hai_bps);
  CHECK(same_otherwise.limit_rate_decrease == defaults.limit_rate_decrease);
  CHECK(same_otherwise.alpha_update == defaults.alpha_update);
  CHECK(same_otherwise.cut_timing == defaults.cut_timing);
  CHECK(same_otherwise.hyper_increase == defaults.hyper_increase);
}

TEST_CASE("cc params: every knob is declared once with a doc line", "[cc]") {
  CcParams params;
  NameCollector v;
  params.visit_params(v);
  CHECK(v.undocumented == 0);
  const std::set<std::string> expected = {"algorithm",
                                          "dcqcn",
                                          "dcqcn.preset",
                                          "dcqcn.alpha_update",
                                          "dcqcn.cut_timing",
                                          "dcqcn.hyper_increase",
                                          "dcqcn.g",
                                          "dcqcn.initial_alpha",
                                          "dcqcn.alpha_timer",
                                          "dcqcn.rate_increase_timer",
                                          "dcqcn.byte_counter",
                                          "dcqcn.fast_recovery_stages",
                                          "dcqcn.rate_ai",
                                          "dcqcn.rate_hai",
                                          "dcqcn.min_rate",
                                          "dcqcn.limit_rate_decrease",
                                          "dcqcn.rate_decrease_interval",
                                          "dcqcn.clamp_target_rate",
                                          "ib",
                                          "ib.ccti_increase",
                                          "ib.ccti_limit",
                                          "ib.ccti_min",
                                          "ib.ccti_timer",
                                          "ib.cct_step",
                                          "swift",
                                          "swift.base_target",
                                          "swift.hop_scale",
                                          "swift.ai",
                                          "swift.beta",
                                          "swift.max_mdf",
                                          "swift.fs_min_cwnd",
                                          "swift.fs_max_cwnd",
                                          "swift.fs_range",
                                          "swift.min_cwnd",
                                          "swift.max_cwnd",
                                          "swift.initial_window",
                                          "swift.retx_reset_threshold",
                                          "hpcc",
                                          "hpcc.eta",
                                          "hpcc.max_stage",
                                          "hpcc.rate_ai",
                                          "hpcc.min_rate",
                                          "hpcc.base_rtt",
                                          "hpcc.fast_react",
                                          "nscc",
                                          "nscc.base_rtt",
                                          "nscc.target_qdelay",
                                          "nscc.trimming",
                                          "nscc.reference_rate",
                                          "nscc.reference_rtt",
                                          "nscc.fair_increase",
                                          "nscc.proportional_increase",
                                          "nscc.fast_increase",
                                          "nscc.fast_increase_delay",
                                          "nscc.eta",
                                          "nscc.md_gain",
                                          "nscc.max_mdf",
                                          "nscc.delay_gain",
                                          "nscc.quick_adapt",
                                          "nscc.qa_gate",
                                          "nscc.qa_threshold",
                                          "nscc.adjust_packets",
                                          "nscc.max_window_bdp",
                                          "nscc.initial_window"};
  CHECK(v.names == expected);
}
