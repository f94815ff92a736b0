// The alpha-beta cost model against hand-computed values, and the nccl-tests bandwidths.
#include <catch2/catch.hpp>

#include "workloads/cost_model.hpp"
#include "workloads/metrics.hpp"

using namespace fabricsim::workloads;

namespace {

CostParams params(double alpha, double beta, double gamma) {
  CostParams p;
  p.net = AlphaBeta{alpha, beta, gamma};
  return p;
}

double predict(CollectiveOp op, const char* algorithm, std::int32_t n, std::uint64_t bytes,
               const CostParams& p, std::uint32_t slices = 1) {
  CostQuery q;
  q.op = op;
  q.algorithm = algorithm;
  q.nranks = n;
  q.bytes = bytes;
  q.slices = slices;
  return predict_seconds(q, p);
}

}  // namespace

TEST_CASE("ring allreduce: 2(n-1) alpha + 2(n-1)/n m beta + (n-1)/n m gamma", "[workloads][cost]") {
  // n = 8, m = 8 MB, alpha = 2 us, beta = 1/(50 GB/s), gamma = 1/(500 GB/s):
  // 14 * 2us + 14 * 1MB / 50GB/s + 7 * 1MB / 500GB/s = 28us + 280us + 14us = 322us.
  const CostParams p = params(2e-6, 1.0 / 50e9, 1.0 / 500e9);
  CHECK(predict(CollectiveOp::kAllReduce, "ring", 8, 8'000'000, p) == Approx(322e-6));
  // Pipelined in 4 slices: (14 + 3) steps of 250 kB, (7 + 3) reductions of 250 kB.
  CHECK(predict(CollectiveOp::kAllReduce, "ring", 8, 8'000'000, p, 4) ==
        Approx(17 * (2e-6 + 5e-6) + 10 * 0.5e-6));
}

TEST_CASE("halving-doubling: log steps, fold-in for non powers of two", "[workloads][cost]") {
  const CostParams p = params(1e-6, 1e-9, 0);
  // n = 8, m = 8000 B: 6 alpha + 2 * 7/8 * 8000 ns = 6us + 14us.
  CHECK(predict(CollectiveOp::kAllReduce, "halving_doubling", 8, 8000, p) == Approx(20e-6));
  // n = 10 folds into 8: + 2 alpha + 2 m beta.
  CHECK(predict(CollectiveOp::kAllReduce, "halving_doubling", 10, 8000, p) ==
        Approx(20e-6 + 2e-6 + 16e-6));
}

TEST_CASE("latency terms of the small-message algorithms", "[workloads][cost]") {
  const CostParams p = params(1e-6, 0, 0);
  CHECK(predict(CollectiveOp::kBroadcast, "binomial", 17, 4, p) == Approx(5e-6));
  CHECK(predict(CollectiveOp::kBroadcast, "ring", 17, 4, p) == Approx(16e-6));
  CHECK(predict(CollectiveOp::kAllToAll, "bruck", 64, 64, p) == Approx(6e-6));
  CHECK(predict(CollectiveOp::kAllToAll, "pairwise", 64, 64, p) == Approx(63e-6));
  CHECK(predict(CollectiveOp::kAllToAll, "direct", 64, 64, p) == Approx(1e-6));
  CHECK(predict(CollectiveOp::kAllGather, "ring", 5, 100, p) == Approx(4e-6));
  CHECK(predict(CollectiveOp::kSendRecv, "direct", 2, 100, p) == Approx(1e-6));
  CHECK(predict(CollectiveOp::kAllReduce, "ring", 1, 100, p) == 0.0);
  CHECK_THROWS_AS(predict(CollectiveOp::kAllGather, "bruck", 4, 1, p), std::invalid_argument);
}

TEST_CASE("hierarchical splits intra-node and inter-node terms", "[workloads][cost]") {
  CostParams p = params(5e-6, 1.0 / 50e9, 0);
  p.intra = AlphaBeta{1e-6, 1.0 / 500e9, 0};
  CostQuery q;
  q.algorithm = "hierarchical";
  q.nranks = 16;
  q.ranks_per_node = 8;
  q.bytes = 16'000'000;
  // intra RS + AG: 2 * 7 * (1us + 2MB/500GB/s) = 2 * 7 * 5us = 70us;
  // inter ring over 2 nodes on 2 MB: 2 * (5us + 1MB / 50GB/s) = 2 * 25us = 50us.
  CHECK(predict_seconds(q, p) == Approx(120e-6));
}

TEST_CASE("nccl-tests bus bandwidth factors", "[workloads][cost]") {
  CHECK(busbw_factor(CollectiveOp::kAllReduce, 8) == Approx(1.75));
  CHECK(busbw_factor(CollectiveOp::kAllGather, 8) == Approx(0.875));
  CHECK(busbw_factor(CollectiveOp::kReduceScatter, 4) == Approx(0.75));
  CHECK(busbw_factor(CollectiveOp::kAllToAll, 2) == Approx(0.5));
  CHECK(busbw_factor(CollectiveOp::kBroadcast, 8) == 1.0);
  CHECK(busbw_factor(CollectiveOp::kReduce, 8) == 1.0);
  CHECK(busbw_factor(CollectiveOp::kSendRecv, 8) == 1.0);
  CHECK(algbw_GBps(1'000'000'000, 0.5) == Approx(2.0));
  CHECK(busbw_GBps(CollectiveOp::kAllReduce, 4, 1'000'000'000, 1.0) == Approx(1.5));
  CHECK(algbw_GBps(100, 0) == 0.0);
}
