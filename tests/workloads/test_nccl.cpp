// The NCCL-side model (workloads/nccl/): NCCL's protocol constants, its tuner's estimates and
// choices, and the rail-following rings the tuner's ring runs as, byte-exact.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "harness.hpp"
#include "workloads/algorithms/registry.hpp"
#include "workloads/nccl/protocol.hpp"
#include "workloads/nccl/tuner.hpp"

using namespace fabricsim::workloads;
using fabricsim::workloads::testing::run_and_check;

namespace {

// NCCL's view of an 8 x H100 node: 18 NVLinks of 20.6 GB/s, one 400G NIC per GPU, NVLS.
nccl::TunerInput h100(std::int32_t nodes) {
  nccl::TunerInput in;
  in.nranks = 8 * nodes;
  in.ranks_per_node = 8;
  in.nvlink_GBps = 18 * 20.6;
  in.net_GBps = 50.0;
  in.nvls = true;
  in.arch = 90;
  return in;
}

const nccl::TunerChoice& find(const std::vector<nccl::TunerChoice>& all, const char* algorithm,
                              nccl::Protocol p) {
  for (const auto& c : all) {
    if (c.algorithm == algorithm && c.protocol == p) return c;
  }
  FAIL("no candidate " << algorithm << " " << nccl::to_string(p));
  return all.front();
}

}  // namespace

TEST_CASE("nccl: protocols parse and carry NCCL's payload efficiency", "[nccl]") {
  CHECK(nccl::parse_protocol("LL128") == nccl::Protocol::kLL128);
  CHECK(nccl::parse_protocol("simple") == nccl::Protocol::kSimple);
  CHECK(nccl::parse_protocol("ideal") == nccl::Protocol::kIdeal);
  CHECK_THROWS_WITH(nccl::parse_protocol("ll64"), Catch::Contains("valid: auto, ideal, LL"));
  CHECK(nccl::bandwidth_factor(nccl::Protocol::kLL) == 4.0);
  CHECK(nccl::bandwidth_factor(nccl::Protocol::kLL128) == Approx(128.0 / 120.0));
  CHECK(nccl::bandwidth_factor(nccl::Protocol::kSimple) == 1.0);
  CHECK(nccl::step_payload_bytes(nccl::Protocol::kLL) == 32 * 1024);
  CHECK(nccl::base_latency_us(nccl::NcclAlgorithm::kRing, nccl::Protocol::kLL) == 6.6);
  CHECK(nccl::hop_latency_us(nccl::HopKind::kNet, nccl::NcclAlgorithm::kTree,
                             nccl::Protocol::kSimple) == 14.0);
  CHECK(nccl::base_latency_us(nccl::NcclAlgorithm::kRing, nccl::Protocol::kIdeal) == 0.0);
}

TEST_CASE("nccl tuner: an 8 x H100 node's estimates are NCCL's", "[nccl]") {
  const auto all = nccl::candidates(h100(1), 1 << 30, "auto", std::nullopt);
  // Ring Simple: lat = 8.4 + 14 x 3.4 = 56 us; busbw 12 channels x 30 GB/s
  // (validation/nccl_model_facts.md, worked check).
  const auto& ring = find(all, "ring", nccl::Protocol::kSimple);
  CHECK(ring.latency_us == Approx(56.0));
  CHECK(ring.busbw_GBps == Approx(360.0));
  const auto& ll = find(all, "ring", nccl::Protocol::kLL);
  CHECK(ll.latency_us == Approx(6.6 + 14 * 0.6));
  CHECK(ll.busbw_GBps == Approx(141.0));  // llMaxBws[Hopper][1 node]
  const auto& nvls = find(all, "nvls", nccl::Protocol::kSimple);
  CHECK(nvls.latency_us == Approx(25.0));
  // 8 heads of 40 GB/s x 0.85 x 7/8 x 2 = 59.5 per channel, under the inter speed of 60.
  CHECK(nvls.busbw_GBps == Approx(8 * 59.5));
  // No tree on one node; no NVLS tree either.
  for (const auto& c : all)
    CHECK(c.nccl_algorithm != nccl::NcclAlgorithm::kNvlsTree);
}

TEST_CASE("nccl tuner: LL for small messages, NVLS for large ones, none without NVLS", "[nccl]") {
  CHECK(nccl::tune(h100(1), 8, "auto", std::nullopt).protocol == nccl::Protocol::kLL);
  const auto big = nccl::tune(h100(1), 1 << 30, "auto", std::nullopt);
  CHECK(big.algorithm == "nvls");
  nccl::TunerInput a100 = h100(1);
  a100.nvls = false;
  a100.arch = 80;
  a100.nvlink_GBps = 12 * 20.0;
  CHECK(nccl::tune(a100, 1 << 30, "auto", std::nullopt).algorithm == "ring");
  CHECK_THROWS_WITH(nccl::tune(a100, 1 << 30, "nvls", std::nullopt),
                    Catch::Contains("no candidate for algorithm 'nvls'"));
  // Several nodes: trees appear, with NCCL's 2 ((ppn-1) intra + log2(nodes) inter) latency.
  const auto multi = nccl::candidates(h100(4), 8, "auto", std::nullopt);
  const auto& tree = find(multi, "hierarchical_tree", nccl::Protocol::kLL);
  CHECK(tree.latency_us == Approx(6.8 + 2 * (7 * 0.6 + 2 * 5.0)));
  CHECK(nccl::tune(h100(4), 8, "auto", std::nullopt).nccl_algorithm == nccl::NcclAlgorithm::kTree);
  // A fixed protocol restricts the choice.
  CHECK(nccl::tune(h100(1), 8, "auto", nccl::Protocol::kSimple).protocol ==
        nccl::Protocol::kSimple);
}

TEST_CASE("rail rings are byte-exact for every ring op, channel count and node shape",
          "[nccl][algorithms]") {
  for (const CollectiveOp op :
       {CollectiveOp::kAllReduce, CollectiveOp::kAllGather, CollectiveOp::kReduceScatter}) {
    for (const auto& [nodes, local] : {std::pair{2, 4}, std::pair{3, 4}, std::pair{4, 2}}) {
      for (const std::uint32_t channels : {1U, 4U}) {
        CollectiveRequest r;
        r.op = op;
        r.nranks = nodes * local;
        r.ranks_per_node = local;
        r.channels = channels;
        r.count = 1000 + 7;
        r.rail_rings = true;
        INFO(testing::describe(r) << " channels " << channels);
        CHECK(run_and_check(r).empty());
      }
    }
  }
}

TEST_CASE("rail rings cross between nodes on one rail, a different rail per channel",
          "[nccl][algorithms]") {
  CollectiveRequest r;
  r.op = CollectiveOp::kAllGather;
  r.nranks = 16;  // 4 nodes of 4
  r.ranks_per_node = 4;
  r.channels = 4;
  r.count = 16 * 64;
  r.rail_rings = true;
  const Schedule s = generate(r);
  // (node, channel) -> the local ranks that send off the node on that channel.
  std::map<std::pair<std::int32_t, std::uint16_t>, std::set<std::int32_t>> exits;
  for (std::int32_t rank = 0; rank < r.nranks; ++rank) {
    for (const Op& op : s.ranks[static_cast<std::size_t>(rank)].ops) {
      if (!has_send(op.kind)) continue;
      const std::int32_t to = send_target(op);
      if (to / 4 == rank / 4) continue;  // inside the node
      CHECK(to % 4 == rank % 4);         // same rail
      exits[{rank / 4, op.channel}].insert(rank % 4);
    }
  }
  // Each channel's ring leaves each node once, and the four channels leave every node on four
  // different rails: the node's NICs share the crossings evenly.
  for (std::int32_t node = 0; node < 4; ++node) {
    std::set<std::int32_t> rails;
    for (std::uint16_t c = 0; c < 4; ++c) {
      const auto& e = exits[{node, c}];
      REQUIRE(e.size() == 1);
      rails.insert(*e.begin());
    }
    CHECK(rails.size() == 4);
  }
  // Without rail rings, every crossing leaves from local rank 3.
  r.rail_rings = false;
  const Schedule plain = generate(r);
  for (std::int32_t rank = 0; rank < r.nranks; ++rank) {
    for (const Op& op : plain.ranks[static_cast<std::size_t>(rank)].ops) {
      if (has_send(op.kind) && send_target(op) / 4 != rank / 4) CHECK(rank % 4 == 3);
    }
  }
}
