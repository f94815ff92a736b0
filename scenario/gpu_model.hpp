// The GPU-side collective model wired to a scenario: resolves a collective's "auto"
// algorithm, protocol and channels with NCCL's tuner (workloads/nccl/) on what the topology
// and its hardware preset say, and gives the run the protocol's send costs and base latency.
#pragma once

#include <cstdint>

#include "models/params.hpp"
#include "scenario/collective_run.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"
#include "topologies/spec.hpp"
#include "workloads/nccl/tuner.hpp"

namespace fabricsim::scenario {

struct GpuModel {
  CollectiveSpec spec;  // algorithm, channels and slice made concrete
  workloads::nccl::Protocol protocol = workloads::nccl::Protocol::kIdeal;
  // The NCCL algorithm whose costs the sends pay, and the one NCCL's tuner chose (they differ
  // where the library runs NCCL's choice with another schedule: an NVLS tree as rail rings).
  workloads::nccl::NcclAlgorithm nccl_algorithm = workloads::nccl::NcclAlgorithm::kRing;
  workloads::nccl::NcclAlgorithm tuner_algorithm = workloads::nccl::NcclAlgorithm::kRing;
  bool tuned = false;         // the algorithm was the tuner's choice
  double predicted_us = 0.0;  // NCCL's own estimate of the time (0 with the ideal protocol)
};

// What NCCL's tuner would know of `nranks` ranks of `spec` on `topology`.
workloads::nccl::TunerInput tuner_input(const CollectiveSpec& spec, std::int32_t nranks,
                                        const topologies::TopologySpec& topology);

// Resolves spec's "auto" and "default" fields. Throws ConfigError at `at`/algorithm or
// /protocol when nothing applies (e.g. nvls on GPUs without NVLS).
GpuModel resolve_gpu_model(const CollectiveSpec& spec, std::int32_t nranks,
                           const topologies::TopologySpec& topology,
                           const topologies::JsonLocation& at);

// The protocol's costs on these GPUs (every send of the run) and its base latency.
workloads::SendCosts send_costs(const GpuModel& model, const models::NcclParams& gpu);
sim::Time base_latency(const GpuModel& model);

// Gives `run` the model's costs and names the protocol in its results.
void apply_gpu_model(CollectiveRun& run, const GpuModel& model, const models::NcclParams& gpu);

}  // namespace fabricsim::scenario
