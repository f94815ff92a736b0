// Schedule IR: structure of generated programs against hand-derived ones, tags, the
// validator and the JSON form.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "workloads/algorithms/registry.hpp"
#include "workloads/schedule.hpp"

using namespace fabricsim::workloads;

namespace {

CollectiveRequest ring(std::int32_t n, std::uint64_t count) {
  CollectiveRequest r;
  r.op = CollectiveOp::kAllReduce;
  r.algorithm = "ring";
  r.nranks = n;
  r.count = count;
  return r;
}

}  // namespace

TEST_CASE("split_range gives near-equal contiguous parts", "[workloads][schedule]") {
  CHECK(split_range(10, 4, 0).offset == 0);
  CHECK(split_range(10, 4, 0).count == 3);
  CHECK(split_range(10, 4, 1).offset == 3);
  CHECK(split_range(10, 4, 1).count == 3);
  CHECK(split_range(10, 4, 2).offset == 6);
  CHECK(split_range(10, 4, 2).count == 2);
  CHECK(split_range(10, 4, 3).offset == 8);
  CHECK(split_range(2, 4, 3).count == 0);
  CHECK(split_range(2, 4, 3).offset == 2);
}

TEST_CASE("ring allreduce program of rank 0 with 3 ranks", "[workloads][schedule]") {
  // Chunks of 6 elements over 3 ranks: [0,2) [2,4) [4,6). Rank 0 sends chunk 2 (its i-1),
  // then reduces chunk 1 and chunk 0 (forwarding each), then receives chunks 2 and 1.
  const Schedule s = generate(ring(3, 6));
  REQUIRE(validate(s).empty());
  const RankProgram& p = s.ranks[0];
  REQUIRE(p.ops.size() == 5);
  CHECK(p.ops[0].kind == OpKind::kSend);
  CHECK(p.ops[0].peer == 1);
  CHECK(p.ops[0].src.buffer == BufferId::kInput);
  CHECK(p.ops[0].src.offset == 4);
  CHECK(p.ops[1].kind == OpKind::kRecvReduceSend);
  CHECK(p.ops[1].peer == 2);
  CHECK(p.ops[1].send_peer == 1);
  CHECK(p.ops[1].dst.offset == 2);
  CHECK(p.ops[2].kind == OpKind::kRecvReduceSend);
  CHECK(p.ops[2].dst.offset == 0);
  CHECK(p.ops[3].kind == OpKind::kRecvCopySend);
  CHECK(p.ops[3].dst.offset == 4);
  CHECK(p.ops[4].kind == OpKind::kRecv);
  CHECK(p.ops[4].dst.offset == 2);
  // Sends to rank 1 get sequences 0, 1, 2, 3 in program order on channel 0.
  CHECK(p.ops[0].send_tag == make_tag(0, 0));
  CHECK(p.ops[1].send_tag == make_tag(0, 1));
  CHECK(p.ops[2].send_tag == make_tag(0, 2));
  CHECK(p.ops[3].send_tag == make_tag(0, 3));
  CHECK(p.ops[4].recv_tag == make_tag(0, 3));
  // The all-gather receive of chunk 2 waits for the send of chunk 2 (op 0).
  REQUIRE(p.ops[3].deps_count == 1);
  CHECK(p.deps[p.ops[3].deps_begin] == 0);
  // Two staging areas of 2 elements for the two reductions.
  CHECK(p.scratch_count == 4);
  CHECK(s.total_ops() == 15);
}

TEST_CASE("every send matches a recv with the same tag and size", "[workloads][schedule]") {
  CollectiveRequest r = ring(5, 103);
  r.channels = 2;
  r.slice_bytes = 16;
  const Schedule s = generate(r);
  REQUIRE(validate(s).empty());
  std::size_t sends = 0;
  std::size_t recvs = 0;
  for (std::size_t rank = 0; rank < s.ranks.size(); ++rank) {
    for (const Op& op : s.ranks[rank].ops) {
      if (has_send(op.kind)) {
        ++sends;
        CHECK(tag_channel(op.send_tag) == op.channel);
        // The peer holds a receive from this rank with this tag and count.
        bool found = false;
        for (const Op& other : s.ranks[static_cast<std::size_t>(send_target(op))].ops) {
          if (has_recv(other.kind) && other.peer == static_cast<std::int32_t>(rank) &&
              other.recv_tag == op.send_tag) {
            found = other.count == op.count;
          }
        }
        CHECK(found);
      }
      if (has_recv(op.kind)) ++recvs;
    }
  }
  CHECK(sends == recvs);
  // 5 ranks, 2 channels, each channel 52/51 elements -> slices of <= 16 bytes per chunk:
  // ceil(ceil(52/5) * 4 / 16) = 3 slices per channel, 2(n-1)+... ops per slice and rank.
  CHECK(sends == 5 * 2 * 3 * (2 * 4));
}

TEST_CASE("zero-element schedules are empty and valid", "[workloads][schedule]") {
  const Schedule s = generate(ring(4, 0));
  CHECK(validate(s).empty());
  CHECK(s.total_ops() == 0);
  // With fewer elements than ranks, empty chunks produce no ops but the rest still match.
  const Schedule t = generate(ring(4, 2));
  CHECK(validate(t).empty());
  CHECK(t.total_ops() < generate(ring(4, 4)).total_ops());
}

TEST_CASE("the validator catches broken schedules", "[workloads][schedule]") {
  const Schedule good = generate(ring(3, 6));
  REQUIRE(validate(good).empty());

  Schedule bad_size = good;
  bad_size.ranks[0].ops[0].count = 1;  // send of 1 element, recv expects 2
  auto problems = validate(bad_size);
  REQUIRE_FALSE(problems.empty());
  CHECK(problems[0].find("matched by a recv of 2") != std::string::npos);

  Schedule bad_tag = good;
  bad_tag.ranks[1].ops[4].recv_tag = make_tag(0, 9);
  problems = validate(bad_tag);
  CHECK(problems.size() == 2);  // an orphan send and an orphan recv

  Schedule bad_dep = good;
  bad_dep.ranks[0].deps[bad_dep.ranks[0].ops[3].deps_begin] = 3;
  problems = validate(bad_dep);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("not earlier") != std::string::npos);

  Schedule bad_range = good;
  bad_range.ranks[2].ops[0].src.offset = 5;
  problems = validate(bad_range);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("outside its 6 elements") != std::string::npos);

  Schedule self_send = good;
  self_send.ranks[1].ops[0].peer = 1;
  CHECK_FALSE(validate(self_send).empty());
  CHECK_THROWS_AS(validate_or_throw(self_send), std::invalid_argument);
}

TEST_CASE("JSON form: one object per op with readable fields", "[workloads][schedule]") {
  const Schedule s = generate(ring(3, 6));
  const nlohmann::json j = to_json(s);
  CHECK(j["op"] == "allreduce");
  CHECK(j["algorithm"] == "ring");
  CHECK(j["nranks"] == 3);
  CHECK(j["dtype"] == "float32");
  CHECK(j["element_bytes"] == 4);
  REQUIRE(j["ranks"].size() == 3);
  const nlohmann::json& op1 = j["ranks"][0]["ops"][1];
  CHECK(op1["kind"] == "recv_reduce_send");
  CHECK(op1["from"] == 2);
  CHECK(op1["to"] == 1);
  CHECK(op1["dst"]["buffer"] == "output");
  CHECK(op1["dst"]["offset"] == 2);
  CHECK(op1["stage"]["buffer"] == "scratch");
  CHECK(op1["send_tag"]["seq"] == 1);
  CHECK(j["ranks"][0]["ops"][3]["deps"] == nlohmann::json::array({0}));
  CHECK(j["ranks"][0]["scratch_count"] == 4);
}

TEST_CASE("buffer sizes per op follow the documented conventions", "[workloads][schedule]") {
  std::uint64_t in = 0;
  std::uint64_t out = 0;
  buffer_counts(CollectiveOp::kReduceScatter, 10, 4, 3, in, out);
  CHECK(in == 10);
  CHECK(out == 2);
  buffer_counts(CollectiveOp::kAllGather, 10, 4, 0, in, out);
  CHECK(in == 3);
  CHECK(out == 10);
  buffer_counts(CollectiveOp::kAllToAll, 10, 4, 0, in, out);
  CHECK(in == 40);
  CHECK(out == 40);
  CollectiveRequest r;
  r.op = CollectiveOp::kAllToAll;
  r.algorithm = "direct";
  r.nranks = 4;
  r.count = 10;
  r.dtype = DataType::kInt32;
  CHECK(collective_bytes(generate(r)) == 160);
}

TEST_CASE("double binary trees are complementary", "[workloads][schedule]") {
  using fabricsim::workloads::CollectiveOp;
  for (std::int32_t n : {2, 3, 4, 5, 7, 8, 16, 17}) {
    CollectiveRequest r;
    r.algorithm = "double_binary_tree";
    r.nranks = n;
    r.count = 64;
    const Schedule s = generate(r);
    REQUIRE(validate(s).empty());
    // Per rank: count messages received in the reduce phase of each tree. A rank is a leaf
    // (receives nothing while reducing) in at most one of the two trees once n > 2.
    std::size_t both_leaves = 0;
    for (const RankProgram& p : s.ranks) {
      std::size_t reductions = 0;
      for (const Op& op : p.ops) {
        if (op.kind == OpKind::kRecvReduce || op.kind == OpKind::kRecvReduceSend) ++reductions;
      }
      if (reductions == 0) ++both_leaves;
    }
    INFO("n = " << n);
    CHECK(both_leaves <= (n % 2 == 1 ? 1u : 0u));
  }
}

TEST_CASE("generate_rank builds exactly that rank's program", "[workloads][schedule]") {
  for (CollectiveOp op : kAllCollectiveOps) {
    for (const std::string& algorithm : list_algorithms(op)) {
      CollectiveRequest r;
      r.op = op;
      r.algorithm = algorithm;
      r.nranks = 6;
      r.count = 50;
      r.channels = 2;
      r.slice_bytes = 16;
      r.root = 4;
      r.ranks_per_node = 3;
      const nlohmann::json full = to_json(generate(r));
      for (std::int32_t rank = 0; rank < r.nranks; ++rank) {
        const Schedule one = generate_rank(r, rank);
        INFO(to_string(op) << "/" << algorithm << " rank " << rank);
        CHECK(to_json(one)["ranks"][static_cast<std::size_t>(rank)] ==
              full["ranks"][static_cast<std::size_t>(rank)]);
        const std::size_t other = static_cast<std::size_t>((rank + 1) % r.nranks);
        CHECK(one.ranks[other].ops.empty());
        CHECK(one.ranks[other].input_count == full["ranks"][other]["input_count"]);
      }
    }
  }
  CollectiveRequest bad;
  bad.nranks = 2;
  CHECK_THROWS_AS(generate_rank(bad, 2), std::invalid_argument);
}
