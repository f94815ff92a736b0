// Analytical alpha-beta(-gamma) cost of each algorithm (Thakur, Rabenseifner & Gropp 2005,
// extended with pipelining in slices): alpha = latency per message step, beta = seconds per
// byte on a rank's link, gamma = seconds per byte of local reduction. Used to validate the
// simulator (small messages within 10% of the model). Formulas: validation/alpha_beta.md.
#pragma once

#include <cstdint>
#include <string>

#include "workloads/types.hpp"

namespace fabricsim::workloads {

struct AlphaBeta {
  double alpha_s = 0;           // per message step
  double beta_s_per_byte = 0;   // 1 / link bandwidth
  double gamma_s_per_byte = 0;  // 1 / reduction bandwidth
  // One-way latency of an acknowledgment, paid wherever a rank waits for a send to complete
  // (RDMA reliable connections complete a send when its ACK is back). 0: the classic model,
  // where a send completes when its data has left.
  double ack_s = 0;
};

struct CostQuery {
  CollectiveOp op = CollectiveOp::kAllReduce;
  std::string algorithm = "ring";
  std::int32_t nranks = 1;
  std::uint64_t bytes = 0;   // collective_bytes(): per-rank vector (all-to-all: n blocks)
  std::uint32_t slices = 1;  // pipelining depth of ring, chain and tree algorithms
  std::int32_t ranks_per_node = 1;
};

// Network parameters, and optionally separate ones inside a node (hierarchical algorithms;
// when intra.beta_s_per_byte == 0 the network ones are used).
struct CostParams {
  AlphaBeta net;
  AlphaBeta intra;
};

// Predicted completion time in seconds. Throws std::invalid_argument for an unknown
// op/algorithm pair.
double predict_seconds(const CostQuery& query, const CostParams& params);

}  // namespace fabricsim::workloads
