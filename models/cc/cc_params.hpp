// Congestion-control knobs of a NIC ("nic.cc" in scenario JSON), declared once (sim/params.hpp).
//
// DCQCN defaults are the "dcqcn_paper" preset of the ns-3 RDMA simulator of HPCC
// (alibaba-edu/High-Precision-Congestion-Control, simulation/run.py, `args.cc == "dcqcn_paper"`:
// CC_MODE 1, ALPHA_RESUME_INTERVAL 50 us, RATE_DECREASE_INTERVAL 50 us, CLAMP_TARGET_RATE 0,
// RP_TIMER 55 us, EWMA_GAIN 1/256, FAST_RECOVERY_TIMES 1, RATE_AI 5 Mb/s and RATE_HAI 50 Mb/s per
// 25 Gb/s of NIC bandwidth, MIN_RATE 1000 Mb/s; initial alpha 1 as set on the first CNP in
// simulation/src/point-to-point/model/rdma-hw.cc). HPCC named these timers after the DCQCN paper
// (Zhu et al., SIGCOMM'15), whose notification point sends at most one CNP per 50 us, the default
// of NicParams::cnp_interval: the alpha timer must not be much shorter than the CNP interval, or
// alpha decays between CNPs and the cuts vanish (models/cc/README.md has the measurements).
// DcqcnParams::hpcc_dcqcn() is the same simulator's "dcqcn" preset (1 us / 4 us / 300 us, the
// Mellanox ConnectX firmware timers), for a notification point that sends CNPs every few us.
// Neither preset has a byte counter; the DCQCN paper's is 10 MB and may be set.
#pragma once

#include <cstdint>

#include "sim/params.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

enum class CcAlgorithm { kNone, kDcqcn, kIb };

struct DcqcnParams {
  double g = 1.0 / 256.0;
  double initial_alpha = 1.0;
  sim::Time alpha_timer = sim::Time::us(50);
  sim::Time rate_increase_timer = sim::Time::us(55);
  std::uint64_t byte_counter_bytes = 0;  // 0 = no byte counter (the HPCC preset)
  std::uint32_t fast_recovery_stages = 1;
  std::uint64_t rate_ai_bps = 0;   // 0 = auto: 5 Mb/s per 25 Gb/s of line rate (20 Mb/s at 100G)
  std::uint64_t rate_hai_bps = 0;  // 0 = auto: 50 Mb/s per 25 Gb/s (200 Mb/s at 100G)
  std::uint64_t min_rate_bps = 1'000'000'000ULL;
  bool limit_rate_decrease = true;
  sim::Time rate_decrease_interval = sim::Time::us(50);
  bool clamp_target_rate = false;

  // The HPCC "dcqcn" preset: these defaults with the Mellanox firmware timers (alpha 1 us, one
  // cut per 4 us, increase every 300 us). Pair it with nic.cnp_interval = 4 us.
  static DcqcnParams hpcc_dcqcn() {
    DcqcnParams p;
    p.alpha_timer = sim::Time::us(1);
    p.rate_decrease_interval = sim::Time::us(4);
    p.rate_increase_timer = sim::Time::us(300);
    return p;
  }

  template <class V>
  void visit_params(V& v) {
    v("g", g, sim::ParamUnit::kReal, "EWMA gain of alpha (the congestion estimate)");
    v("initial_alpha", initial_alpha, sim::ParamUnit::kReal,
      "alpha before the first CNP (1 = the first cut halves the rate)");
    v("alpha_timer", alpha_timer, sim::ParamUnit::kTime,
      "alpha decays by (1 - g) for every such period without a CNP");
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
      "at most one rate cut per rate_decrease_interval; later CNPs defer the cut");
    v("rate_decrease_interval", rate_decrease_interval, sim::ParamUnit::kTime,
      "minimum time between two rate cuts when limit_rate_decrease is on");
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

struct CcParams {
  CcAlgorithm algorithm = CcAlgorithm::kDcqcn;
  DcqcnParams dcqcn;
  IbCcParams ib;

  template <class V>
  void visit_params(V& v) {
    v("algorithm", algorithm,
      sim::Choices<CcAlgorithm>{
          {"none", CcAlgorithm::kNone}, {"dcqcn", CcAlgorithm::kDcqcn}, {"ib", CcAlgorithm::kIb}},
      "congestion control of each queue pair: none (line rate), dcqcn or ib (FECN/BECN, CCT)");
    v.nested("dcqcn", dcqcn, "DCQCN reaction point (Zhu et al., SIGCOMM'15)");
    v.nested("ib", ib, "InfiniBand congestion control at the source (CCTI, CCT)");
  }
};

}  // namespace fabricsim::models
