// The algorithm / protocol / channel choice NCCL's tuner makes for a collective (its model
// in src/graph/tuning.cc: time = latency + bytes / bandwidth per candidate, the fastest
// wins), mapped onto this library's algorithms, so that a simulated run uses what the
// hardware run would have used. The estimates are NCCL's, not this simulator's: the
// simulation then measures the chosen schedule on the modelled fabric.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/nccl/protocol.hpp"
#include "workloads/types.hpp"

namespace fabricsim::workloads::nccl {

// What NCCL's tuner knows of the job: its ranks and nodes, and the bandwidths its topology
// search would find (per GPU and direction, as delivered: efficiencies applied).
struct TunerInput {
  CollectiveOp op = CollectiveOp::kAllReduce;
  std::int32_t nranks = 1;
  std::int32_t ranks_per_node = 1;  // consecutive ranks sharing a node (1: one per node)
  double nvlink_GBps = 0.0;         // 0: no NVLink between a node's GPUs
  double net_GBps = 0.0;            // through the GPU's own NIC(s)
  bool nvls = false;                // in-switch all-reduce in the node's NVSwitches
  std::uint32_t arch = 90;          // compute capability x 10
  std::uint32_t max_channels = 0;   // 0: NCCL's rule
  std::int32_t nodes() const { return nranks / std::max(1, ranks_per_node); }
};

struct TunerChoice {
  NcclAlgorithm nccl_algorithm = NcclAlgorithm::kRing;
  std::string algorithm;  // this library's algorithm that runs it
  Protocol protocol = Protocol::kSimple;
  std::uint32_t channels = 1;  // schedule channels
  double latency_us = 0.0;     // NCCL's estimate: latency ...
  double busbw_GBps = 0.0;     // ... and bus bandwidth
  double time_us = 0.0;        // latency + bytes / algorithm bandwidth
};

// Every candidate NCCL would consider for `bytes` (the nccl-tests size), with its estimate,
// restricted to `algorithm` (a library algorithm name, or "auto") and `protocol` (none:
// any). Empty when nothing applies (e.g. nvls without NVLS).
std::vector<TunerChoice> candidates(const TunerInput& in, std::uint64_t bytes,
                                    std::string_view algorithm, std::optional<Protocol> protocol);

// The fastest candidate. Throws std::invalid_argument when none applies, saying why.
TunerChoice tune(const TunerInput& in, std::uint64_t bytes, std::string_view algorithm,
                 std::optional<Protocol> protocol);

// The NCCL algorithm whose latencies a library algorithm pays (ring for rings and
// hierarchical rings, tree for trees, p2p for direct and pairwise exchanges, ...).
NcclAlgorithm nccl_algorithm_of(CollectiveOp op, std::string_view algorithm);

}  // namespace fabricsim::workloads::nccl
