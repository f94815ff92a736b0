// The group all-reduce op (in-network reduction): its IR form, validation and JSON, the
// Executor's post, the local transport's rendezvous, and the nvls / nvls_ring algorithms byte
// for byte.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstring>
#include <vector>

#include "harness.hpp"
#include "workloads/algorithms/registry.hpp"
#include "workloads/executor.hpp"
#include "workloads/transports/local/check.hpp"
#include "workloads/transports/local/local_fabric.hpp"

using namespace fabricsim::workloads;
using fabricsim::workloads::testing::run_and_check;

namespace {

CollectiveRequest nvls(std::int32_t n, std::uint64_t count) {
  CollectiveRequest r;
  r.algorithm = "nvls";
  r.nranks = n;
  r.count = count;
  return r;
}

// A schedule of one group all-reduce per rank over `members`, written by hand.
Schedule one_group(std::int32_t n, std::vector<std::int32_t> members, std::uint64_t count,
                   bool in_place) {
  Schedule s;
  s.algorithm = "hand";
  s.nranks = n;
  s.count = count;
  s.dtype = DataType::kInt32;
  s.groups.push_back(members);
  s.ranks.resize(static_cast<std::size_t>(n));
  for (std::int32_t r = 0; r < n; ++r) {
    RankProgram& p = s.ranks[static_cast<std::size_t>(r)];
    p.input_count = p.output_count = count;
    Op copy;
    copy.kind = OpKind::kCopy;
    copy.src = Loc{BufferId::kInput, 0};
    copy.dst = Loc{BufferId::kOutput, 0};
    copy.count = count;
    p.ops.push_back(copy);
    if (std::find(members.begin(), members.end(), r) == members.end()) continue;
    Op op;
    op.kind = OpKind::kGroupAllReduce;
    op.peer = 0;
    op.src = Loc{in_place ? BufferId::kOutput : BufferId::kInput, 0};
    op.dst = Loc{BufferId::kOutput, 0};
    op.count = count;
    op.send_tag = make_tag(0, 0);
    op.deps_begin = 0;
    op.deps_count = 1;
    p.deps.push_back(0);
    p.ops.push_back(op);
  }
  return s;
}

std::int32_t element(const std::vector<std::byte>& buffer, std::size_t i) {
  std::int32_t v = 0;
  std::memcpy(&v, buffer.data() + i * 4, 4);
  return v;
}

}  // namespace

TEST_CASE("nvls is one group all-reduce per piece over every rank", "[workloads][group]") {
  CollectiveRequest r = nvls(4, 1000);
  r.channels = 2;
  const Schedule s = generate(r);
  REQUIRE(validate(s).empty());
  REQUIRE(s.groups == std::vector<std::vector<std::int32_t>>{{0, 1, 2, 3}});
  for (const RankProgram& p : s.ranks) {
    REQUIRE(p.ops.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
      const Op& op = p.ops[i];
      CHECK(op.kind == OpKind::kGroupAllReduce);
      CHECK(group_of(op) == 0);
      CHECK(op.channel == i);
      CHECK(op.count == 500);
      CHECK(op.src.buffer == BufferId::kInput);
      CHECK(op.dst.buffer == BufferId::kOutput);
      CHECK(op.src.offset == 500 * i);
      CHECK(op.send_tag == make_tag(static_cast<std::uint32_t>(i), 0));
    }
  }
  const nlohmann::json j = to_json(s);
  CHECK(j["groups"] == nlohmann::json::parse("[[0, 1, 2, 3]]"));
  const nlohmann::json& op = j["ranks"][2]["ops"][1];
  CHECK(op["kind"] == "group_allreduce");
  CHECK(op["group"] == 0);
  CHECK(op["group_tag"]["channel"] == 1);
  CHECK(op["group_tag"]["seq"] == 0);
  CHECK(op["src"]["offset"] == 500);
  CHECK_FALSE(op.contains("to"));
  // nvls is never sliced (the in-switch all-reduce pipelines packet by packet) ...
  r.channels = 1;
  r.slice_bytes = 400;
  CHECK(generate(r).ranks[1].ops.size() == 1);
  // ... nvls_ring is: its slices' group ops on one channel are numbered in program order.
  r.algorithm = "nvls_ring";
  r.ranks_per_node = 4;
  r.slice_bytes = 100;  // 1000 bytes per rank and channel: 10 slices
  const Schedule sliced = generate(r);
  REQUIRE(validate(sliced).empty());
  REQUIRE(sliced.ranks[1].ops.size() == 10);
  CHECK(sliced.ranks[1].ops[9].kind == OpKind::kGroupAllReduce);
  CHECK(sliced.ranks[1].ops[9].send_tag == make_tag(0, 9));
  // One rank: a copy, no group.
  const Schedule one = generate(nvls(1, 10));
  CHECK(one.groups.empty());
  REQUIRE(one.ranks[0].ops.size() == 1);
  CHECK(one.ranks[0].ops[0].kind == OpKind::kCopy);
}

TEST_CASE("nvls_ring: a group per node, rings per rail, an all-gather per node",
          "[workloads][group]") {
  CollectiveRequest r;
  r.algorithm = "nvls_ring";
  r.nranks = 6;
  r.ranks_per_node = 3;
  r.count = 60;
  const Schedule s = generate(r);
  REQUIRE(validate(s).empty());
  CHECK(s.groups == std::vector<std::vector<std::int32_t>>{{0, 1, 2}, {3, 4, 5}});
  // Rank 4: its node's group op first, then the ring with rank 1, then the node's all-gather.
  const RankProgram& p = s.ranks[4];
  REQUIRE(p.ops.front().kind == OpKind::kGroupAllReduce);
  CHECK(group_of(p.ops.front()) == 1);
  CHECK(p.ops.front().count == 60);
  for (std::size_t i = 1; i < p.ops.size(); ++i) {
    CHECK(p.ops[i].kind != OpKind::kGroupAllReduce);
    if (has_send(p.ops[i].kind) && i < 3) CHECK(send_target(p.ops[i]) == 1);
  }
  r.ranks_per_node = 4;
  CHECK_THROWS_WITH(generate(r), Catch::Contains("nvls_ring needs ranks_per_node"));
}

TEST_CASE("the validator checks group instances", "[workloads][group]") {
  const Schedule good = one_group(4, {0, 1, 3}, 5, false);
  REQUIRE(validate(good).empty());

  Schedule missing = good;
  missing.ranks[3].ops.pop_back();
  auto problems = validate(missing);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("rank 3: no op of group 0") != std::string::npos);

  Schedule sizes = good;
  sizes.ranks[1].ops[1].count = 4;
  problems = validate(sizes);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("op of 4 elements, another member's of 5") != std::string::npos);

  Schedule outsider = good;
  outsider.ranks[2].ops.push_back(outsider.ranks[0].ops[1]);
  outsider.ranks[2].ops.back().deps_count = 0;
  problems = validate(outsider);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("not a member of group 0") != std::string::npos);

  Schedule twice = good;
  twice.ranks[0].ops.push_back(twice.ranks[0].ops[1]);
  problems = validate(twice);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("second op of group 0") != std::string::npos);

  Schedule bad_id = good;
  bad_id.ranks[0].ops[1].peer = 1;
  CHECK(validate(bad_id)[0].find("invalid group 1") != std::string::npos);

  Schedule unsorted = good;
  unsorted.groups[0] = {1, 0, 3};
  CHECK(validate(unsorted)[0].find("group 0: expected at least two distinct ranks") !=
        std::string::npos);
  Schedule single = good;
  single.groups[0] = {0};
  CHECK_FALSE(validate(single).empty());
}

TEST_CASE("local transport: a group reduce is one rendezvous, in place or not",
          "[workloads][group][local]") {
  for (const bool in_place : {false, true}) {
    for (std::uint64_t seed : {0ull, 1ull, 7ull}) {
      const Schedule s = one_group(4, {0, 1, 3}, 5, in_place);
      local::LocalFabric fabric(s, seed);
      fabric.run();
      for (std::size_t i = 0; i < 5; ++i) {
        const std::int32_t sum = element(fabric.inputs()[0], i) + element(fabric.inputs()[1], i) +
                                 element(fabric.inputs()[3], i);
        INFO("in place " << in_place << " seed " << seed << " element " << i);
        CHECK(element(fabric.outputs()[0], i) == sum);
        CHECK(element(fabric.outputs()[1], i) == sum);
        CHECK(element(fabric.outputs()[3], i) == sum);
        CHECK(element(fabric.outputs()[2], i) == element(fabric.inputs()[2], i));  // no member
      }
    }
  }
}

TEST_CASE("local transport: a group reduce some member never joins is reported as a deadlock",
          "[workloads][group][local]") {
  // Valid, but circular: rank 0 sends to rank 1 after the group op; rank 1 joins the group
  // only after receiving that message.
  Schedule s = one_group(2, {0, 1}, 4, false);
  Op send;
  send.kind = OpKind::kSend;
  send.peer = 1;
  send.src = Loc{BufferId::kOutput, 0};
  send.count = 4;
  send.send_tag = make_tag(0, 0);
  send.deps_begin = 0;
  send.deps_count = 1;
  s.ranks[0].deps.push_back(1);
  send.deps_begin = 1;
  s.ranks[0].ops.push_back(send);
  Op recv;
  recv.kind = OpKind::kRecv;
  recv.peer = 0;
  recv.dst = Loc{BufferId::kOutput, 0};
  recv.count = 4;
  recv.recv_tag = make_tag(0, 0);
  RankProgram& p = s.ranks[1];
  p.ops.insert(p.ops.begin() + 1, recv);
  p.ops[2].deps_begin = 0;
  p.ops[2].deps_count = 2;
  p.deps = {0, 1};
  REQUIRE(validate(s).empty());
  local::LocalFabric fabric(s);
  try {
    fabric.run();
    FAIL("expected a deadlock");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK(what.find("1 group reduce(s) not posted by every member") != std::string::npos);
    CHECK(what.find("group reduce (group 0, seq 0) posted, not done") != std::string::npos);
  }
}

TEST_CASE("nvls and nvls_ring are byte-exact on many rank counts and node sizes",
          "[workloads][group][algorithms]") {
  std::vector<std::string> failures;
  for (std::int32_t n : {2, 3, 6, 8, 9, 12, 15, 20, 24}) {
    for (std::int32_t l = 1; l <= n; ++l) {
      if (n % l != 0) continue;
      for (std::uint64_t count :
           {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t(n) * 7 + 3, std::uint64_t{1000}}) {
        for (std::uint32_t channels : {1u, 2u}) {
          CollectiveRequest r;
          r.algorithm = "nvls_ring";
          r.nranks = n;
          r.ranks_per_node = l;
          r.count = count;
          r.channels = channels;
          r.slice_bytes = count == 1000 ? 256 : 0;
          r.dtype = count % 2 ? DataType::kInt32 : DataType::kFloat32;
          std::string failure = run_and_check(r);
          if (!failure.empty()) failures.push_back(failure);
          if (l == 1) {
            r.algorithm = "nvls";
            failure = run_and_check(r);
            if (!failure.empty()) failures.push_back(failure);
          }
        }
      }
    }
  }
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i)
    UNSCOPED_INFO(failures[i]);
  REQUIRE(failures.empty());
}

TEST_CASE("a transport without in-network reduction refuses a group reduce clearly",
          "[workloads][group]") {
  struct Plain final : Transport {
    std::int32_t rank() const override { return 0; }
    void post_send(std::int32_t, MemRegion, std::uint64_t, CompletionListener&,
                   std::uint64_t) override {}
    void post_recv(std::int32_t, MemRegion, std::uint64_t, CompletionListener&,
                   std::uint64_t) override {}
    void post_reduce(MemRegion, MemRegion, MemRegion, std::uint64_t, DataType, ReduceOp,
                     CompletionListener&, std::uint64_t) override {}
    void post_copy(MemRegion, MemRegion, CompletionListener&, std::uint64_t) override {}
  } plain;
  struct Clk final : Clock {
    std::int64_t now_ps() const override { return 0; }
  } clock;
  const Schedule s = generate(nvls(2, 8));
  Executor executor(0, s, plain, Buffers{}, clock);
  CHECK_THROWS_WITH(executor.start(), Catch::Contains("not supported by this transport"));
}
