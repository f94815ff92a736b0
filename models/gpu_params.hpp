// Parameters of the GPU as the collectives see it: how fast it reduces and copies, and what a
// collective kernel launch costs. Declared once (sim/params.hpp convention); the scenario's and
// topology's "gpu" block reads into it.
#pragma once

#include <cstdint>

#include "sim/params.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

struct GpuParams {
  // H100-class defaults: local reductions stream from HBM at well over 1 TB/s, so they rarely
  // limit a collective; the launch latency is a CUDA kernel launch plus the collective's setup.
  std::uint64_t reduce_bandwidth_bps = 1500ULL * 8 * 1'000'000'000;  // 1500 GB/s
  std::uint64_t copy_bandwidth_bps = 1500ULL * 8 * 1'000'000'000;
  sim::Time launch_latency = sim::Time::us(5);
  sim::Time step_latency = sim::Time::zero();

  template <class V>
  void visit_params(V& v) {
    using sim::ParamUnit;
    v("reduce_bandwidth", reduce_bandwidth_bps, ParamUnit::kRate,
      "bytes of reduction output per second a GPU produces (dst = a + b)");
    v("copy_bandwidth", copy_bandwidth_bps, ParamUnit::kRate,
      "bytes per second a GPU copies between its buffers");
    v("launch_latency", launch_latency, ParamUnit::kTime,
      "once per collective and rank, before its first step (kernel launch)");
    v("step_latency", step_latency, ParamUnit::kTime,
      "per posted send, reduction or copy (the kernel's per-step overhead)");
  }
};

}  // namespace fabricsim::models
