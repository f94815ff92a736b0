// The scenario's collective workload made concrete: which GPUs take part, the Schedule the
// collective library generates for them, and the results.json entries of a finished run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenario/collective_run.hpp"
#include "scenario/results.hpp"
#include "scenario/scenario.hpp"
#include "workloads/algorithms/registry.hpp"
#include "workloads/nccl/protocol.hpp"

namespace fabricsim::scenario {

// The GPUs of the collective, in rank order: spec.ranks, or every GPU 0..gpu_count-1.
// Throws ConfigError (at `at`/ranks) for an id out of range or listed twice.
std::vector<std::uint32_t> collective_gpus(const CollectiveSpec& spec, std::uint64_t gpu_count,
                                           const topologies::JsonLocation& at);

// Consecutive ranks that share a node, for hierarchical algorithms (rail-optimized topologies):
// with every GPU in order, the GPUs per node (when they divide the rank count); with a list,
// L when every block of L consecutive ranks lies in one node; else 1 (no node structure).
std::int32_t ranks_per_node(const topologies::TopologySpec& topology, const CollectiveSpec& spec,
                            std::int32_t nranks);

// The collective library's Schedule for `spec` on `nranks` ranks: `size` is the nccl-tests
// size (the larger per-rank buffer; all-to-all: the whole per-rank vector); hierarchical
// algorithms get ranks_per_node(). Throws ConfigError (at `at`) for an unknown op/algorithm
// pair, a size not a multiple of its unit, or a bad combination, naming the valid choices.
// With a protocol other than the ideal one, rings across nodes follow the rails as NCCL's do
// (CollectiveRequest::rail_rings).
workloads::Schedule collective_schedule(
    const CollectiveSpec& spec, std::int32_t nranks, const topologies::TopologySpec& topology,
    const topologies::JsonLocation& at,
    workloads::nccl::Protocol protocol = workloads::nccl::Protocol::kIdeal);

// A results.json entry for `schedule` finished in `time_ps` (algbw and busbw per nccl-tests),
// run with `protocol`.
CollectiveResult collective_result(const workloads::Schedule& schedule, std::int64_t time_ps,
                                   const std::string& protocol = "ideal");

// One results.json entry per finished iteration (time, algbw and busbw per nccl-tests).
std::vector<CollectiveResult> collective_results(const CollectiveRun& run);

}  // namespace fabricsim::scenario
