// Congestion-control knobs of a NIC ("nic.cc" in scenario JSON), declared once (sim/params.hpp).
//
// DCQCN comes in three presets (`nic.cc.dcqcn.preset`; models/cc/README.md has the tables and
// models/cc/sources.md the sources line by line):
//  - firmware (the default): NVIDIA ConnectX DCQCN as the firmware ships it (the DCQCN
//    parameter table of the NVIDIA DOCA / MLNX_OFED documentation, "DCQCN CC Parameters", and
//    two public `mlxconfig -q` dumps, ConnectX-4 Lx and ConnectX-6 Dx, that agree): alpha
//    updated every dce_tcp_rtt = 1 us, cuts at most once per rate_reduce_monitor_period = 4 us
//    on a fixed grid, rate-increase timer rpg_time_reset = 300 us, byte counter rpg_byte_reset
//    = 32767 B, rpg_threshold 1, rpg_ai_rate 5 Mb/s, rpg_hai_rate 50 Mb/s, rpg_min_rate
//    1 Mb/s, initial_alpha_value 1023 (of 1024), dce_tcp_g 1019 (g = (1024 - 1019) / 1024),
//    clamp_tgt_rate 0 and clamp_tgt_rate_after_time_inc 1. The notification point's
//    min_time_between_cnps (4 us) is NicParams::cnp_interval.
//  - paper: the reaction point of the DCQCN paper (Zhu et al., SIGCOMM'15: alpha raised by g on
//    each CNP, a cut on a CNP unless one happened less than an interval ago, hyper increase of
//    i x Rhai) with the timers of the ns-3 HPCC simulator's "dcqcn_paper" preset
//    (alibaba-edu/High-Precision-Congestion-Control simulation/run.py: alpha 50 us, decrease
//    interval 50 us, RP timer 55 us, EWMA gain 1/256, Rai 5 and Rhai 50 Mb/s per 25 Gb/s,
//    min rate 1000 Mb/s). Pair it with nic.cnp_interval = 50 us (the paper's NP).
//  - ns3: the ns-3 HPCC reaction point (simulation/src/point-to-point/model/rdma-hw.cc, the
//    "Mlx" functions) with run.py's "dcqcn" preset: free-running 1 us alpha timer, cut checks
//    on a 4 us grid from the first CNP, RP timer 300 us, constant hyper-increase step, no byte
//    counter. Pair it with nic.ce_echo = "ack" (ns-3 echoes CE on every ACK).
// An explicit knob next to `preset` overrides the preset's value of that knob.
#pragma once

#include <cstdint>

#include "sim/params.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

enum class CcAlgorithm { kNone, kDcqcn, kIb, kSwift, kHpcc, kNscc };

enum class DcqcnPreset { kFirmware, kPaper, kNs3 };
// on_cnp: alpha <- (1-g) alpha + g when a CNP arrives, and decays by (1-g) per alpha_timer
// period without one (the paper). periodic: a free-running timer from the first CNP sets
// alpha <- (1-g) alpha + g x [a CNP arrived in the period] (ConnectX dce_tcp_rtt, ns-3).
enum class DcqcnAlphaUpdate { kOnCnp, kPeriodic };
// on_cnp: a CNP cuts at once (or, with limit_rate_decrease, at last cut + interval). grid: cuts
// happen only at the points of a grid of rate_decrease_interval anchored at the first CNP, when
// a CNP arrived since the previous point (ConnectX rate_reduce_monitor_period, ns-3); the
// first CNP itself therefore never cuts.
enum class DcqcnCutTiming { kOnCnp, kGrid };
// linear: the i-th hyper-increase event adds i x Rhai (the paper); constant: Rhai each (ns-3).
enum class DcqcnHyperIncrease { kLinear, kConstant };

struct DcqcnParams {
  DcqcnPreset preset = DcqcnPreset::kFirmware;
  DcqcnAlphaUpdate alpha_update = DcqcnAlphaUpdate::kPeriodic;
  DcqcnCutTiming cut_timing = DcqcnCutTiming::kGrid;
  DcqcnHyperIncrease hyper_increase = DcqcnHyperIncrease::kConstant;
  double g = 5.0 / 1024.0;                             // dce_tcp_g 1019: g = (1024 - 1019) / 1024
  double initial_alpha = 1023.0 / 1024.0;              // initial_alpha_value 1023
  sim::Time alpha_timer = sim::Time::us(1);            // dce_tcp_rtt 1 us
  sim::Time rate_increase_timer = sim::Time::us(300);  // rpg_time_reset 300 us
  std::uint64_t byte_counter_bytes = 32767;            // rpg_byte_reset 32767 (0 = no byte counter)
  std::uint32_t fast_recovery_stages = 1;              // rpg_threshold 1
  std::uint64_t rate_ai_bps = 5'000'000;               // rpg_ai_rate 5 Mb/s (0 = auto: line / 5000)
  std::uint64_t rate_hai_bps = 50'000'000;  // rpg_hai_rate 50 Mb/s (0 = auto: line / 500)
  std::uint64_t min_rate_bps = 1'000'000;   // rpg_min_rate 1 Mb/s
  bool limit_rate_decrease = true;
  sim::Time rate_decrease_interval = sim::Time::us(4);  // rate_reduce_monitor_period 4 us
  bool clamp_target_rate = false;                       // clamp_tgt_rate 0

  // The DCQCN paper's reaction point with ns-3 HPCC's dcqcn_paper timers (the default before
  // the firmware preset; pair with a 50 us notification point).
  static DcqcnParams paper() {
    DcqcnParams p;
    p.preset = DcqcnPreset::kPaper;
    p.alpha_update = DcqcnAlphaUpdate::kOnCnp;
    p.cut_timing = DcqcnCutTiming::kOnCnp;
    p.hyper_increase = DcqcnHyperIncrease::kLinear;
    p.g = 1.0 / 256.0;
    p.initial_alpha = 1.0;
    p.alpha_timer = sim::Time::us(50);
    p.rate_increase_timer = sim::Time::us(55);
    p.byte_counter_bytes = 0;
    p.rate_ai_bps = 0;
    p.rate_hai_bps = 0;
    p.min_rate_bps = 1'000'000'000ULL;
    p.rate_decrease_interval = sim::Time::us(50);
    return p;
  }
  // The paper's reaction point with the ns-3 HPCC "dcqcn" preset's timers (alpha 1 us, one cut
  // per 4 us, increase every 300 us). Pair it with nic.cnp_interval = 4 us.
  static DcqcnParams hpcc_dcqcn() {
    DcqcnParams p = paper();
    p.alpha_timer = sim::Time::us(1);
    p.rate_decrease_interval = sim::Time::us(4);
    p.rate_increase_timer = sim::Time::us(300);
    return p;
  }
  // The ns-3 HPCC reaction point (rdma-hw.cc) with run.py's "dcqcn" preset.
  static DcqcnParams ns3() {
    DcqcnParams p = hpcc_dcqcn();
    p.preset = DcqcnPreset::kNs3;
    p.alpha_update = DcqcnAlphaUpdate::kPeriodic;
    p.cut_timing = DcqcnCutTiming::kGrid;
    p.hyper_increase = DcqcnHyperIncrease::kConstant;
    return p;
  }
  // Every knob at the value of `preset` (what the JSON reader applies before the other keys).
  static DcqcnParams of_preset(DcqcnPreset preset) {
    switch (preset) {
      case DcqcnPreset::kPaper:
        return paper();
      case DcqcnPreset::kNs3:
        return ns3();
      case DcqcnPreset::kFirmware:
        break;
    }
    return DcqcnParams{};
  }
  static sim::Choices<DcqcnPreset> preset_choices() {
    return {{"firmware", DcqcnPreset::kFirmware},
            {"paper", DcqcnPreset::kPaper},
            {"ns3", DcqcnPreset::kNs3}};
  }

  template <class V>
  void visit_params(V& v) {
    v("preset", preset, preset_choices(),
      "the values every other knob starts from: firmware (ConnectX), paper (Zhu et al. with "
      "ns-3 HPCC's dcqcn_paper timers) or ns3 (the ns-3 HPCC reaction point)");
    v("alpha_update", alpha_update,
      sim::Choices<DcqcnAlphaUpdate>{{"on_cnp", DcqcnAlphaUpdate::kOnCnp},
                                     {"periodic", DcqcnAlphaUpdate::kPeriodic}},
      "on_cnp: alpha rises by g at each CNP and decays between them (paper); periodic: a "
      "free-running alpha_timer updates it with the CNPs of its period (firmware, ns-3)");
    v("cut_timing", cut_timing,
      sim::Choices<DcqcnCutTiming>{{"on_cnp", DcqcnCutTiming::kOnCnp},
                                   {"grid", DcqcnCutTiming::kGrid}},
      "on_cnp: a CNP cuts the rate (paper); grid: cuts only at the points of a "
      "rate_decrease_interval grid from the first CNP, after a CNP (firmware, ns-3)");
    v("hyper_increase", hyper_increase,
      sim::Choices<DcqcnHyperIncrease>{{"linear", DcqcnHyperIncrease::kLinear},
                                       {"constant", DcqcnHyperIncrease::kConstant}},
      "the i-th hyper-increase event adds i x rate_hai (linear, paper) or rate_hai (constant)");
    v("g", g, sim::ParamUnit::kReal, "EWMA gain of alpha (the congestion estimate)");
    v("initial_alpha", initial_alpha, sim::ParamUnit::kReal,
      "alpha before the first CNP (1 = the first cut halves the rate)");
    v("alpha_timer", alpha_timer, sim::ParamUnit::kTime,
      "period of the alpha update (periodic) or of its decay without a CNP (on_cnp)");
    v("rate_increase_timer", rate_increase_timer, sim::ParamUnit::kTime,
      "period of the rate-increase timer after a cut");
    v("byte_counter", byte_counter_bytes, sim::ParamUnit::kBytes,
      "bytes sent per byte-counter rate increase (0 = timer only)");
    v("fast_recovery_stages", fast_recovery_stages, sim::ParamUnit::kCount,
      "F: increase events of fast recovery before additive increase");
    v("rate_ai", rate_ai_bps, sim::ParamUnit::kRate,
      "additive increase of the target rate (0 = auto: line rate / 5000)");
    v("rate_hai", rate_hai_bps, sim::ParamUnit::kRate,
      "hyper increase step of the target rate (0 = auto: line rate / 500)");
    v("min_rate", min_rate_bps, sim::ParamUnit::kRate, "the rate is never cut below this");
    v("limit_rate_decrease", limit_rate_decrease, sim::ParamUnit::kFlag,
      "cut_timing on_cnp: at most one rate cut per rate_decrease_interval; later CNPs defer "
      "the cut");
    v("rate_decrease_interval", rate_decrease_interval, sim::ParamUnit::kTime,
      "minimum time between two rate cuts (the grid's period with cut_timing grid)");
    v("clamp_target_rate", clamp_target_rate, sim::ParamUnit::kFlag,
      "every cut sets the target rate to the current rate (off: only after an increase)");
  }
};

// InfiniBand congestion control at the source (cc/ib_cc.hpp): BECNs raise the congestion
// control table index, a timer lowers it; index i sends at line / (1 + i x cct_step).
// Defaults: tuned on tests/models/test_ib.cpp's 16:1 hot spot at 100 Gb/s with FECN marking
// from 200 KB (a hot sender sees a BECN only every few us, hence steps of 4).
struct IbCcParams {
  std::uint32_t ccti_increase = 4;
  std::uint32_t ccti_limit = 127;
  std::uint32_t ccti_min = 0;
  sim::Time ccti_timer = sim::Time::us(5);
  double cct_step = 0.25;  // CCTI 60 = a 16th of the line rate

  template <class V>
  void visit_params(V& v) {
    v("ccti_increase", ccti_increase, sim::ParamUnit::kCount, "CCTI added per BECN");
    v("ccti_limit", ccti_limit, sim::ParamUnit::kCount, "largest CCTI (table size - 1)");
    v("ccti_min", ccti_min, sim::ParamUnit::kCount, "smallest CCTI (the timer stops there)");
    v("ccti_timer", ccti_timer, sim::ParamUnit::kTime, "the CCTI drops by one per period");
    v("cct_step", cct_step, sim::ParamUnit::kReal,
      "inter-packet delay per CCTI, in packet times (rate = line / (1 + CCTI x step))");
  }
};

// Swift (Kumar et al., SIGCOMM'20), delay-based window control (cc/swift.hpp). The paper's
// production values are not public in the text read here; the defaults are those of the UEC
// htsim implementation (Broadcom/csg-htsim sim/swift.cpp, whose comments call them guesses):
// base target 20 us, per-hop scaling base / 6.55, ai 1 MSS per RTT, beta 0.8, max_mdf 0.5,
// flow scaling over 0.1 .. 100 packets with a range of 5 x base target, 5 timeouts before the
// window resets to its minimum (models/cc/sources.md 5.2).
struct SwiftParams {
  sim::Time base_target = sim::Time::us(20);
  sim::Time hop_scale = sim::Time::ps(3'053'435);  // base_target / 6.55
  double ai = 1.0;                                 // MSS per RTT below the target
  double beta = 0.8;
  double max_mdf = 0.5;
  double fs_min_cwnd = 0.1;                 // packets
  double fs_max_cwnd = 100.0;               // packets
  sim::Time fs_range = sim::Time::us(100);  // 5 x base_target
  double min_cwnd = 0.001;                  // packets (the paper's floor)
  double max_cwnd = 1000.0;                 // packets
  std::uint64_t initial_window_bytes = 0;   // 0 = auto: line rate x base_target
  std::uint32_t retx_reset_threshold = 5;

  template <class V>
  void visit_params(V& v) {
    v("base_target", base_target, sim::ParamUnit::kTime,
      "target fabric delay with no hops and a large window");
    v("hop_scale", hop_scale, sim::ParamUnit::kTime, "target delay added per switch hop");
    v("ai", ai, sim::ParamUnit::kReal, "additive increase in MSS per RTT below the target");
    v("beta", beta, sim::ParamUnit::kReal,
      "multiplicative decrease per unit of (delay - target) / delay");
    v("max_mdf", max_mdf, sim::ParamUnit::kReal, "largest cut of one decrease (0.5 = half)");
    v("fs_min_cwnd", fs_min_cwnd, sim::ParamUnit::kReal,
      "window (packets) at which flow scaling adds all of fs_range");
    v("fs_max_cwnd", fs_max_cwnd, sim::ParamUnit::kReal,
      "window (packets) from which flow scaling adds nothing");
    v("fs_range", fs_range, sim::ParamUnit::kTime, "largest target delay added by flow scaling");
    v("min_cwnd", min_cwnd, sim::ParamUnit::kReal,
      "smallest window in packets (below 1 the QP is paced at window / RTT)");
    v("max_cwnd", max_cwnd, sim::ParamUnit::kReal, "largest window in packets");
    v("initial_window", initial_window_bytes, sim::ParamUnit::kBytes,
      "window of a new QP (0 = auto: line rate x base_target)");
    v("retx_reset_threshold", retx_reset_threshold, sim::ParamUnit::kCount,
      "timeouts in a row after which the window drops to min_cwnd");
  }
};

// HPCC (Li et al., SIGCOMM'19) with the utilization telemetry of HPCC-PINT (the switches keep
// HPCC's per-port estimate, packets carry the largest; cc/hpcc.hpp). Defaults: the paper's
// target utilization 0.95 and maxStage 5; the ns-3 HPCC simulator's run.py additive step
// (RATE_AI 10 Mb/s per 25 Gb/s of line rate, as a window: x base_rtt) and MIN_RATE 1000 Mb/s.
// run.py sets MI_THRESH 0, which makes every update multiplicative; set max_stage 0 for that.
struct HpccParams {
  double eta = 0.95;
  std::uint32_t max_stage = 5;
  std::uint64_t rate_ai_bps = 0;  // 0 = auto: line rate / 2500
  std::uint64_t min_rate_bps = 1'000'000'000ULL;
  sim::Time base_rtt = sim::Time::zero();  // 0 = auto: the fabric's longest base RTT
  bool fast_react = true;

  template <class V>
  void visit_params(V& v) {
    v("eta", eta, sim::ParamUnit::kReal, "target link utilization (0 < eta <= 1)");
    v("max_stage", max_stage, sim::ParamUnit::kCount,
      "additive-increase RTTs before a multiplicative update (0: always multiplicative)");
    v("rate_ai", rate_ai_bps, sim::ParamUnit::kRate,
      "additive increase as a rate, the window step being rate_ai x base_rtt (0 = auto: line "
      "/ 2500)");
    v("min_rate", min_rate_bps, sim::ParamUnit::kRate, "the rate never goes below this");
    v("base_rtt", base_rtt, sim::ParamUnit::kTime,
      "T: the window of a line-rate flow is line rate x T (0 = auto: the longest NIC-to-NIC "
      "round trip of the topology, propagation and one MTU per hop)");
    v("fast_react", fast_react, sim::ParamUnit::kFlag,
      "update the window on every ACK from the per-RTT reference (off: once per RTT)");
  }
};

// NSCC, the Ultra Ethernet sender congestion control (cc/nscc.hpp). The UE Specification 1.0
// text was not available here; every default is that of the UEC htsim reference
// (atseis/uet-htsim htsim/sim/src/protocols/uec.cpp @ 0b96c8e5, UecSrc::initNsccParams and
// initNscc; models/cc/sources.md section 5.3). Its gains are written for a reference network of
// 100 Gb/s and 12 us and scaled by a = BDP / reference BDP and b = target / reference RTT.
struct NsccParams {
  sim::Time base_rtt = sim::Time::zero();       // network_rtt (0 = auto: the longest base RTT)
  sim::Time target_qdelay = sim::Time::zero();  // 0 = auto: base_rtt (x 0.75 with trimming)
  bool trimming = false;                        // network_trimming_enabled
  std::uint64_t reference_rate_bps = 100'000'000'000ULL;  // reference_network_linkspeed 100 Gb/s
  sim::Time reference_rtt = sim::Time::us(12);            // reference_network_rtt 12 us
  double fair_increase = 5.0;                             // fi = 5 x MSS x a (per window of ACKs)
  double proportional_increase = 4.0;                     // alpha = 4 x MSS x a x b / target
  double fast_increase = 0.25;                       // fi_scale = 0.25 x a (of the acked bytes)
  sim::Time fast_increase_delay = sim::Time::us(1);  // fast_increase(): delay < 1 us
  double eta = 0.15;                                 // eta = 0.15 x MSS x a per adjust period
  double md_gain = 0.8;                              // gamma 0.8
  double max_mdf = 0.5;                              // the 0.5 floor of one decrease
  double delay_gain = 0.0125;                        // delay_alpha 0.0125
  bool quick_adapt = true;                           // disable_quick_adapt false
  std::uint32_t qa_gate = 3;                         // qa_gate 3: achieved < maxwnd >> 3
  double qa_threshold = 4.0;                         // qa_threshold = 4 x target_qdelay
  std::uint32_t adjust_packets = 8;                  // adjust_bytes_threshold = 8 x MTU
  double max_window_bdp = 1.5;                       // maxwnd = 1.5 x BDP
  std::uint64_t initial_window_bytes = 0;            // initNscc(0): cwnd = maxwnd

  template <class V>
  void visit_params(V& v) {
    v("base_rtt", base_rtt, sim::ParamUnit::kTime,
      "the network's base RTT: the BDP, the target and the adjust period derive from it, and "
      "each QP lowers its own copy to the smallest RTT it measures (0 = auto: the longest "
      "NIC-to-NIC round trip of the topology)");
    v("target_qdelay", target_qdelay, sim::ParamUnit::kTime,
      "queueing delay (RTT - base RTT) above which the delay is high (0 = auto: base_rtt, "
      "or 0.75 x base_rtt with trimming)");
    v("trimming", trimming, sim::ParamUnit::kFlag,
      "the fabric trims packets (losses come as NACKs soon): the auto target is 0.75 x base_rtt");
    v("reference_rate", reference_rate_bps, sim::ParamUnit::kRate,
      "line rate of the reference network the gains are written for");
    v("reference_rtt", reference_rtt, sim::ParamUnit::kTime,
      "base RTT of the reference network the gains are written for");
    v("fair_increase", fair_increase, sim::ParamUnit::kReal,
      "no ECN, high delay: MSS (x a) added per window of ACKs");
    v("proportional_increase", proportional_increase, sim::ParamUnit::kReal,
      "no ECN, low delay: MSS (x a x b) added per window of ACKs at zero delay, in proportion "
      "to (target - delay) / target");
    v("fast_increase", fast_increase, sim::ParamUnit::kReal,
      "after a window of ACKs with delay below fast_increase_delay, the window grows by this "
      "share (x a) of each ACK's bytes");
    v("fast_increase_delay", fast_increase_delay, sim::ParamUnit::kTime,
      "queueing delay below which an ACK counts towards fast increase");
    v("eta", eta, sim::ParamUnit::kReal, "MSS (x a) added once per base_rtt");
    v("md_gain", md_gain, sim::ParamUnit::kReal,
      "ECN, high delay: cut per unit of (average delay - target) / average delay");
    v("max_mdf", max_mdf, sim::ParamUnit::kReal, "largest cut of one decrease (0.5 = half)");
    v("delay_gain", delay_gain, sim::ParamUnit::kReal,
      "EWMA gain of the average queueing delay the decrease uses (0 < gain <= 1)");
    v("quick_adapt", quick_adapt, sim::ParamUnit::kFlag,
      "after a loss or a delay above qa_threshold x target, set the window to the bytes "
      "acknowledged in the last base_rtt + target");
    v("qa_gate", qa_gate, sim::ParamUnit::kCount,
      "quick adapt only if those bytes are below max window / 2^qa_gate");
    v("qa_threshold", qa_threshold, sim::ParamUnit::kReal,
      "queueing delay, in multiples of target_qdelay, that starts quick adapt");
    v("adjust_packets", adjust_packets, sim::ParamUnit::kCount,
      "the increases gathered are applied every adjust_packets MSS of ACKs or every base_rtt");
    v("max_window_bdp", max_window_bdp, sim::ParamUnit::kReal,
      "largest window in BDPs (line rate x the QP's base RTT)");
    v("initial_window", initial_window_bytes, sim::ParamUnit::kBytes,
      "window of a new QP (0 = auto: the largest window)");
  }
};

struct CcParams {
  CcAlgorithm algorithm = CcAlgorithm::kDcqcn;
  HpccParams hpcc;
  DcqcnParams dcqcn;
  IbCcParams ib;
  SwiftParams swift;
  NsccParams nscc;

  template <class V>
  void visit_params(V& v) {
    v("algorithm", algorithm,
      sim::Choices<CcAlgorithm>{{"none", CcAlgorithm::kNone},
                                {"dcqcn", CcAlgorithm::kDcqcn},
                                {"ib", CcAlgorithm::kIb},
                                {"swift", CcAlgorithm::kSwift},
                                {"hpcc", CcAlgorithm::kHpcc},
                                {"nscc", CcAlgorithm::kNscc}},
      "congestion control of each queue pair: none (line rate), dcqcn, ib (FECN/BECN, CCT), "
      "swift (delay-based window), hpcc (utilization telemetry from the switches) or nscc "
      "(Ultra Ethernet: per-ACK ECN and delay)");
    v.nested("dcqcn", dcqcn, "DCQCN reaction point (Zhu et al., SIGCOMM'15)");
    v.nested("ib", ib, "InfiniBand congestion control at the source (CCTI, CCT)");
    v.nested("swift", swift, "Swift delay-based congestion control (Kumar et al., SIGCOMM'20)");
    v.nested("hpcc", hpcc, "HPCC with PINT-style telemetry (Li et al., SIGCOMM'19)");
    v.nested("nscc", nscc, "NSCC, the Ultra Ethernet sender congestion control");
  }
};

}  // namespace fabricsim::models
