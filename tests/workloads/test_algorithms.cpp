// Every algorithm x op on the local transport, byte for byte: ranks {1..17}, counts 0, 1 and
// ones not divisible by ranks, channels or slices; int32 and float32; 1 and 3 channels;
// pipelining on and off. (64 ranks and the full grid: test_sweep.cpp, label integration.)
#include <algorithm>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace fabricsim::workloads;
using fabricsim::workloads::testing::node_sizes;
using fabricsim::workloads::testing::run_and_check;

namespace {

// Runs every algorithm of `op` over the grid; returns the failures.
std::vector<std::string> sweep(CollectiveOp op, const std::vector<std::int32_t>& ranks) {
  std::vector<std::string> failures;
  for (const std::string& algorithm : list_algorithms(op)) {
    for (std::int32_t n : ranks) {
      const std::uint64_t un = static_cast<std::uint64_t>(n);
      for (std::uint64_t count : {std::uint64_t{0}, std::uint64_t{1}, un + 1, 3 * un + 2}) {
        for (std::uint32_t channels : {1u, 3u}) {
          for (std::uint64_t slice : {std::uint64_t{0}, std::uint64_t{8}}) {
            CollectiveRequest r;
            r.op = op;
            r.algorithm = algorithm;
            r.nranks = n;
            r.count = count;
            r.channels = channels;
            r.slice_bytes = slice;
            r.dtype = (count + channels) % 2 ? DataType::kInt32 : DataType::kFloat32;
            r.root = n > 2 ? n - 2 : 0;
            std::vector<std::int32_t> rpn{1};
            if (algorithm.rfind("hierarchical", 0) == 0 || algorithm == "nvls_ring") {
              rpn = node_sizes(n);
            }
            for (std::int32_t l : rpn) {
              r.ranks_per_node = l;
              std::string failure = run_and_check(r);
              if (!failure.empty()) failures.push_back(std::move(failure));
            }
          }
        }
      }
    }
  }
  return failures;
}

const std::vector<std::int32_t> kRanks{1, 2, 3, 4, 5, 7, 8, 16, 17};

void require_none(const std::vector<std::string>& failures) {
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i)
    UNSCOPED_INFO(failures[i]);
  REQUIRE(failures.empty());
}

}  // namespace

TEST_CASE("allreduce: every algorithm is byte-exact", "[workloads][algorithms]") {
  require_none(sweep(CollectiveOp::kAllReduce, kRanks));
}

TEST_CASE("reduce_scatter: every algorithm is byte-exact", "[workloads][algorithms]") {
  require_none(sweep(CollectiveOp::kReduceScatter, kRanks));
}

TEST_CASE("allgather: every algorithm is byte-exact", "[workloads][algorithms]") {
  require_none(sweep(CollectiveOp::kAllGather, kRanks));
}

TEST_CASE("alltoall: every algorithm is byte-exact", "[workloads][algorithms]") {
  require_none(sweep(CollectiveOp::kAllToAll, kRanks));
}

TEST_CASE("broadcast and reduce: every algorithm and root is byte-exact",
          "[workloads][algorithms]") {
  require_none(sweep(CollectiveOp::kBroadcast, kRanks));
  require_none(sweep(CollectiveOp::kReduce, kRanks));
  // Every root of a small odd group.
  std::vector<std::string> failures;
  for (CollectiveOp op : {CollectiveOp::kBroadcast, CollectiveOp::kReduce}) {
    for (const std::string& algorithm : list_algorithms(op)) {
      for (std::int32_t root = 0; root < 5; ++root) {
        CollectiveRequest r;
        r.op = op;
        r.algorithm = algorithm;
        r.nranks = 5;
        r.count = 11;
        r.root = root;
        r.slice_bytes = 12;
        std::string failure = run_and_check(r);
        if (!failure.empty()) failures.push_back(failure);
      }
    }
  }
  require_none(failures);
}

TEST_CASE("sendrecv is byte-exact", "[workloads][algorithms]") {
  require_none(sweep(CollectiveOp::kSendRecv, kRanks));
}

TEST_CASE("64 ranks: sizes 0, 1 and uneven for every algorithm", "[workloads][algorithms]") {
  std::vector<std::string> failures;
  for (CollectiveOp op : kAllCollectiveOps) {
    for (const std::string& algorithm : list_algorithms(op)) {
      for (std::uint64_t count : {0ull, 1ull, 64ull * 3 + 5}) {
        CollectiveRequest r;
        r.op = op;
        r.algorithm = algorithm;
        r.nranks = 64;
        r.count = op == CollectiveOp::kAllToAll ? count % 7 : count;
        r.channels = 2;
        r.slice_bytes = count == 1 ? 0 : 64;
        r.root = 17;
        r.ranks_per_node = 8;
        r.dtype = count % 2 ? DataType::kInt32 : DataType::kFloat32;
        std::string failure = run_and_check(r);
        if (!failure.empty()) failures.push_back(failure);
      }
    }
  }
  require_none(failures);
}

TEST_CASE("hierarchical_tree is byte-exact for many node counts and node sizes",
          "[workloads][algorithms]") {
  // Node counts that are and are not powers of two (the trees' shapes differ), nodes of 1, 3
  // and 8 ranks, with and without slices, and shards smaller than the node (empty chunks).
  std::vector<std::string> failures;
  for (std::int32_t local : {1, 3, 8}) {
    for (std::int32_t nodes : {1, 2, 3, 5, 6, 7, 9, 12, 13, 16, 31, 33}) {
      for (std::uint64_t count : {std::uint64_t{5}, std::uint64_t{1000}}) {
        CollectiveRequest r;
        r.algorithm = "hierarchical_tree";
        r.nranks = local * nodes;
        r.ranks_per_node = local;
        r.count = count;
        r.channels = nodes % 2 == 0 ? 2 : 1;
        r.slice_bytes = count > 100 ? 64 : 0;
        r.dtype = nodes % 3 == 0 ? DataType::kInt32 : DataType::kFloat32;
        std::string failure = run_and_check(r);
        if (!failure.empty()) failures.push_back(std::move(failure));
      }
    }
  }
  require_none(failures);
}

TEST_CASE("hierarchical_tree: trees across nodes on each rail, rings inside the node",
          "[workloads][algorithms]") {
  CollectiveRequest r;
  r.algorithm = "hierarchical_tree";
  r.nranks = 4 * 5;
  r.ranks_per_node = 4;
  r.count = 4 * 2 * 10;
  const Schedule s = generate(r);
  CHECK(s.channels == 2);
  for (std::int32_t rank = 0; rank < r.nranks; ++rank) {
    for (const Op& op : s.ranks[static_cast<std::size_t>(rank)].ops) {
      for (std::int32_t peer : {op.peer, op.send_peer}) {
        if (peer == kNoPeer) continue;
        const bool same_node = peer / 4 == rank / 4;
        // Inside the node: ring neighbours; across nodes: the same local rank (rail).
        if (same_node) {
          CHECK((peer % 4 == (rank + 1) % 4 || peer % 4 == (rank + 3) % 4));
        } else {
          CHECK(peer % 4 == rank % 4);
        }
      }
    }
  }
  // Each rank sends its shard's halves up and down the trees: at most 3 tree neighbours
  // per tree, far below a ring's 2(nodes - 1) steps.
  r.nranks = 8 * 64;
  r.ranks_per_node = 8;
  r.count = 8 * 2 * 64;
  const Schedule big = generate(r);
  for (const RankProgram& p : big.ranks) {
    std::size_t inter = 0;
    for (const Op& op : p.ops) {
      if (has_send(op.kind) && send_target(op) / 8 != (&p - big.ranks.data()) / 8) ++inter;
    }
    CHECK(inter <= 6);
  }
  // Phase barriers cost two dependencies (the trees' results), not every earlier op.
  std::size_t deps = 0;
  for (const RankProgram& p : big.ranks)
    deps += p.deps.size();
  CHECK(static_cast<double>(deps) / static_cast<double>(big.total_ops()) < 2.0);
}

TEST_CASE("registry lists algorithms and rejects unknown ones clearly", "[workloads][registry]") {
  CHECK(list_algorithms(CollectiveOp::kAllReduce) ==
        std::vector<std::string>{"ring", "double_binary_tree", "halving_doubling", "hierarchical",
                                 "hierarchical_tree", "direct", "nvls", "nvls_ring"});
  CHECK(list_algorithms(CollectiveOp::kAllToAll) ==
        std::vector<std::string>{"direct", "pairwise", "bruck"});
  CollectiveRequest r;
  r.op = CollectiveOp::kAllGather;
  r.algorithm = "double_binary_tree";
  r.nranks = 4;
  try {
    generate(r);
    FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("double_binary_tree") != std::string::npos);
    CHECK(what.find("valid: ring, direct, halving_doubling") != std::string::npos);
  }
  r.op = CollectiveOp::kAllReduce;
  r.algorithm = "hierarchical";
  r.nranks = 6;
  r.ranks_per_node = 4;
  CHECK_THROWS_AS(generate(r), std::invalid_argument);
  r.algorithm = "ring";
  r.root = 6;
  CHECK_THROWS_AS(generate(r), std::invalid_argument);
  CHECK_THROWS_AS(parse_collective_op("allreduse"), std::invalid_argument);
  CHECK(parse_collective_op("reduce_scatter") == CollectiveOp::kReduceScatter);
}
