// The full correctness grid (integration label): every algorithm x op at 64 ranks over many
// sizes, channels and slice sizes, with both dtypes.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace fabricsim::workloads;
using fabricsim::workloads::testing::node_sizes;
using fabricsim::workloads::testing::run_and_check;

TEST_CASE("64 ranks: every algorithm over sizes, channels, slices and dtypes",
          "[workloads][sweep]") {
  std::vector<std::string> failures;
  for (CollectiveOp op : kAllCollectiveOps) {
    for (const std::string& algorithm : list_algorithms(op)) {
      for (std::uint64_t count : {0ull, 1ull, 63ull, 64ull * 5 + 7}) {
        for (std::uint32_t channels : {1u, 2u, 4u}) {
          for (std::uint64_t slice : {0ull, 16ull}) {
            for (DataType dtype : {DataType::kInt32, DataType::kFloat32}) {
              CollectiveRequest r;
              r.op = op;
              r.algorithm = algorithm;
              r.nranks = 64;
              r.count = op == CollectiveOp::kAllToAll ? count / 8 + 1 : count;
              r.channels = channels;
              r.slice_bytes = slice;
              r.dtype = dtype;
              r.root = 63;
              const std::vector<std::int32_t> rpn =
                  algorithm.rfind("hierarchical", 0) == 0 || algorithm == "nvls_ring"
                      ? node_sizes(64)
                      : std::vector<std::int32_t>{1};
              for (std::int32_t l : rpn) {
                r.ranks_per_node = l;
                std::string failure = run_and_check(r);
                if (!failure.empty()) failures.push_back(failure);
              }
            }
          }
        }
      }
    }
  }
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i)
    UNSCOPED_INFO(failures[i]);
  REQUIRE(failures.empty());
}

TEST_CASE("all rank counts up to 33 with a large uneven size", "[workloads][sweep]") {
  std::vector<std::string> failures;
  for (std::int32_t n = 1; n <= 33; ++n) {
    for (CollectiveOp op : kAllCollectiveOps) {
      for (const std::string& algorithm : list_algorithms(op)) {
        CollectiveRequest r;
        r.op = op;
        r.algorithm = algorithm;
        r.nranks = n;
        r.count = op == CollectiveOp::kAllToAll ? 29 : 1000 + static_cast<std::uint64_t>(n);
        r.channels = 2;
        r.slice_bytes = 256;
        r.root = n / 2;
        const std::vector<std::int32_t> rpn =
            algorithm.rfind("hierarchical", 0) == 0 || algorithm == "nvls_ring"
                ? node_sizes(n)
                : std::vector<std::int32_t>{1};
        for (std::int32_t l : rpn) {
          r.ranks_per_node = l;
          std::string failure = run_and_check(r);
          if (!failure.empty()) failures.push_back(failure);
        }
      }
    }
  }
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i)
    UNSCOPED_INFO(failures[i]);
  REQUIRE(failures.empty());
}
