// The scenario's collective workload (see collective_workload.hpp).
#include "scenario/collective_workload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "sim/memory_limit.hpp"
#include "topologies/config_error.hpp"
#include "workloads/metrics.hpp"

namespace fabricsim::scenario {

using topologies::ConfigError;
using topologies::JsonLocation;

std::vector<std::uint32_t> collective_gpus(const CollectiveSpec& spec, std::uint64_t gpu_count,
                                           const JsonLocation& at) {
  std::vector<std::uint32_t> gpus;
  if (spec.ranks.empty()) {
    gpus.resize(gpu_count);
    for (std::uint64_t g = 0; g < gpu_count; ++g)
      gpus[g] = static_cast<std::uint32_t>(g);
    return gpus;
  }
  std::vector<bool> seen(gpu_count, false);
  for (std::size_t i = 0; i < spec.ranks.size(); ++i) {
    const std::uint32_t g = spec.ranks[i];
    if (g >= gpu_count) {
      topologies::throw_config_error(
          at.child("ranks").index(i), g,
          fmt::format("expected a GPU id below {} (the topology's GPUs)", gpu_count));
    }
    if (seen[g])
      topologies::throw_config_error(at.child("ranks").index(i), g, "expected each GPU once");
    seen[g] = true;
  }
  return spec.ranks;
}

std::int32_t ranks_per_node(const topologies::TopologySpec& topology, const CollectiveSpec& spec,
                            std::int32_t nranks) {
  if (topology.kind != topologies::TopologyKind::kRailOptimized || nranks < 1) return 1;
  const std::uint32_t gpn = std::max<std::uint32_t>(1, topology.rail.gpus_per_node);
  if (spec.ranks.empty()) {
    const auto per_node = static_cast<std::int32_t>(gpn);
    return nranks % per_node == 0 ? per_node : 1;
  }
  // An explicit list: consecutive ranks form nodes when every block of L ranks lies in one
  // node, L being how many of the first ranks share the first rank's node.
  const auto node = [gpn](std::uint32_t gpu) { return gpu / gpn; };
  std::int32_t block = 1;
  while (block < nranks && node(spec.ranks[static_cast<std::size_t>(block)]) == node(spec.ranks[0]))
    ++block;
  if (block == 1 || nranks % block != 0) return 1;
  for (std::int32_t r = 0; r < nranks; ++r) {
    const auto first = spec.ranks[static_cast<std::size_t>(r - r % block)];
    if (node(spec.ranks[static_cast<std::size_t>(r)]) != node(first)) return 1;
  }
  return block;
}

workloads::Schedule collective_schedule(const CollectiveSpec& spec, std::int32_t nranks,
                                        const topologies::TopologySpec& topology,
                                        const JsonLocation& at,
                                        workloads::nccl::Protocol protocol) {
  workloads::CollectiveRequest request;
  try {
    request.op = workloads::parse_collective_op(spec.op);
  } catch (const std::invalid_argument& e) {
    topologies::throw_config_error(at.child("op"), spec.op, e.what());
  }
  request.algorithm = spec.algorithm;
  request.nranks = nranks;
  request.dtype = workloads::parse_dtype(spec.dtype);
  const std::uint64_t unit = workloads::size_unit_bytes(request.op, request.dtype, nranks);
  if (spec.bytes % unit != 0) {
    topologies::throw_config_error(
        at.child("size"), spec.bytes,
        fmt::format(
            "expected a multiple of {} bytes ({}{})", unit, spec.dtype,
            request.op == workloads::CollectiveOp::kAllToAll ? " elements x ranks" : " elements"));
  }
  request.count = spec.bytes / unit;
  request.channels = std::max<std::uint32_t>(1, spec.channels);
  request.rail_rings = protocol != workloads::nccl::Protocol::kIdeal;
  request.memory_limit_bytes = sim::memory_limit_bytes();
  request.slice_bytes = spec.slice_bytes;
  request.ranks_per_node = ranks_per_node(topology, spec, nranks);
  try {
    return workloads::generate(request);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(
        at.file, at.path,
        fmt::format("{} {}: {}", request.algorithm, workloads::to_string(request.op), e.what()));
  }
}

CollectiveResult collective_result(const workloads::Schedule& schedule, std::int64_t time_ps,
                                   const std::string& protocol) {
  CollectiveResult c;
  c.protocol = protocol;
  c.channels = schedule.channels;
  c.op = std::string(workloads::to_string(schedule.op));
  c.algorithm = schedule.algorithm;
  c.bytes = workloads::collective_bytes(schedule);
  c.ranks = static_cast<std::uint32_t>(schedule.nranks);
  c.time_ps = time_ps;
  const double seconds = static_cast<double>(time_ps) * 1e-12;
  c.algbw_GBps = workloads::algbw_GBps(c.bytes, seconds);
  c.busbw_GBps = workloads::busbw_GBps(schedule.op, schedule.nranks, c.bytes, seconds);
  return c;
}

std::vector<CollectiveResult> collective_results(const CollectiveRun& run) {
  std::vector<CollectiveResult> out;
  for (std::size_t i = 0; i < run.iteration_ends().size(); ++i) {
    out.push_back(collective_result(
        run.schedule(), (run.iteration_ends()[i] - run.iteration_starts()[i]).picoseconds(),
        run.protocol()));
    out.back().nccl_algorithm = run.nccl_algorithm();
    out.back().iteration = static_cast<std::uint32_t>(i);
  }
  return out;
}

}  // namespace fabricsim::scenario
