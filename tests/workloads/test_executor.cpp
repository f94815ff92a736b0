// Executor state machine against a recording transport, and the local fabric's deadlock
// detection and byte checks.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstring>
#include <vector>

#include "workloads/algorithms/registry.hpp"
#include "workloads/executor.hpp"
#include "workloads/trace.hpp"
#include "workloads/transports/local/check.hpp"
#include "workloads/transports/local/local_fabric.hpp"

using namespace fabricsim::workloads;

namespace {

struct Post {
  std::string what;  // send, recv, reduce, copy
  std::int32_t peer;
  MemRegion a;
  MemRegion b;
  std::uint64_t tag;
  std::uint64_t cookie;
};

// Records every post; the test delivers completions by hand.
class RecordingTransport final : public Transport {
 public:
  std::vector<Post> posts;
  std::int32_t rank() const override { return 0; }
  void post_send(std::int32_t peer, MemRegion src, std::uint64_t tag, CompletionListener&,
                 std::uint64_t cookie) override {
    posts.push_back({"send", peer, src, {}, tag, cookie});
  }
  void post_recv(std::int32_t peer, MemRegion dst, std::uint64_t tag, CompletionListener&,
                 std::uint64_t cookie) override {
    posts.push_back({"recv", peer, dst, {}, tag, cookie});
  }
  void post_reduce(MemRegion dst, MemRegion a, MemRegion, std::uint64_t, DataType, ReduceOp,
                   CompletionListener&, std::uint64_t cookie) override {
    posts.push_back({"reduce", -1, dst, a, 0, cookie});
  }
  void post_copy(MemRegion dst, MemRegion src, CompletionListener&, std::uint64_t cookie) override {
    posts.push_back({"copy", -1, dst, src, 0, cookie});
  }
};

struct ManualClock final : Clock {
  std::int64_t t = 0;
  std::int64_t now_ps() const override { return t; }
};

struct DoneFlag final : ExecutorObserver {
  int calls = 0;
  void on_executor_done(Executor&) override { ++calls; }
};

Op make(OpKind kind, std::int32_t peer, std::uint64_t count) {
  Op op;
  op.kind = kind;
  op.peer = peer;
  op.count = count;
  return op;
}

void add(RankProgram& p, Op op, std::vector<std::uint32_t> deps) {
  op.deps_begin = static_cast<std::uint32_t>(p.deps.size());
  op.deps_count = static_cast<std::uint32_t>(deps.size());
  p.deps.insert(p.deps.end(), deps.begin(), deps.end());
  p.ops.push_back(op);
}

}  // namespace

TEST_CASE("executor posts sends to a peer in program order and advances on completions",
          "[workloads][executor]") {
  Schedule s;
  s.nranks = 2;
  s.ranks.resize(2);
  RankProgram& p = s.ranks[0];
  p.input_count = p.output_count = 8;
  Op recv = make(OpKind::kRecv, 1, 2);
  recv.dst = Loc{BufferId::kOutput, 4};
  recv.recv_tag = make_tag(0, 0);
  add(p, recv, {});
  Op first = make(OpKind::kSend, 1, 2);
  first.src = Loc{BufferId::kOutput, 4};
  first.send_tag = make_tag(0, 0);
  add(p, first, {0});
  Op second = make(OpKind::kSend, 1, 3);
  second.src = Loc{BufferId::kInput, 1};
  second.send_tag = make_tag(0, 1);
  add(p, second, {});

  RecordingTransport transport;
  ManualClock clock;
  DoneFlag flag;
  // Null buffers: a size-only transport (the simulator) sees null data and real sizes.
  Executor exec(0, s, transport, Buffers{}, clock);
  exec.set_observer(&flag);
  clock.t = 100;
  exec.start();
  // op 2 is ready but must wait behind op 1 in the (channel 0, peer 1) send order.
  REQUIRE(transport.posts.size() == 1);
  CHECK(transport.posts[0].what == "recv");
  CHECK(transport.posts[0].a.data == nullptr);
  CHECK(transport.posts[0].a.bytes == 8);
  clock.t = 250;
  exec.on_complete(0);
  REQUIRE(transport.posts.size() == 3);
  CHECK(transport.posts[1].what == "send");
  CHECK(transport.posts[1].cookie == 1);
  CHECK(transport.posts[1].tag == make_tag(0, 0));
  CHECK(transport.posts[2].cookie == 2);
  CHECK(transport.posts[2].a.bytes == 12);
  CHECK_FALSE(exec.done());
  clock.t = 400;
  exec.on_complete(2);
  exec.on_complete(1);
  CHECK(exec.done());
  CHECK(flag.calls == 1);
  CHECK(exec.timings()[0].start_ps == 100);
  CHECK(exec.timings()[0].end_ps == 250);
  CHECK(exec.timings()[1].start_ps == 250);
  CHECK(exec.timings()[2].start_ps == 100);  // ready at start, posted later
  CHECK(exec.timings()[2].end_ps == 400);
  CHECK(exec.end_ps() == 400);
  CHECK_THROWS_AS(exec.on_complete(1), std::logic_error);
}

TEST_CASE("an executor without timings runs the same posts and holds less per op",
          "[workloads][executor]") {
  CollectiveRequest r;
  r.algorithm = "hierarchical_tree";
  r.nranks = 8 * 4;
  r.ranks_per_node = 8;
  r.count = 8 * 2 * 64;
  r.slice_bytes = 64;
  const Schedule s = generate(r);
  RecordingTransport with_transport;
  RecordingTransport without_transport;
  ManualClock clock;
  Executor with(3, s, with_transport, Buffers{}, clock);
  Executor without(3, s, without_transport, Buffers{}, clock, false);
  with.start();
  without.start();
  // Complete both in the same order (FIFO over whatever each posted) and compare the posts.
  for (std::size_t i = 0; i < with_transport.posts.size(); ++i) {
    REQUIRE(i < without_transport.posts.size());
    CHECK(with_transport.posts[i].what == without_transport.posts[i].what);
    CHECK(with_transport.posts[i].cookie == without_transport.posts[i].cookie);
    with.on_complete(with_transport.posts[i].cookie);
    without.on_complete(without_transport.posts[i].cookie);
  }
  CHECK(with.done());
  CHECK(without.done());
  CHECK(with_transport.posts.size() == without_transport.posts.size());
  CHECK(with.timings().size() == with.ops_total());
  CHECK(without.timings().empty());
  CHECK(with.footprint_bytes() - without.footprint_bytes() ==
        with.ops_total() * sizeof(Executor::OpTiming));
  without.reset();  // no timings to clear
  without.start();
  CHECK_FALSE(without.done());
}

TEST_CASE("recv_reduce_send: receive into staging, reduce into dst, then send dst",
          "[workloads][executor]") {
  Schedule s;
  s.nranks = 3;
  s.ranks.resize(3);
  RankProgram& p = s.ranks[0];
  p.input_count = p.output_count = 4;
  p.scratch_count = 4;
  Op op = make(OpKind::kRecvReduceSend, 2, 4);
  op.send_peer = 1;
  op.dst = Loc{BufferId::kOutput, 0};
  op.src = Loc{BufferId::kInput, 0};
  op.stage = Loc{BufferId::kScratch, 0};
  op.recv_tag = make_tag(0, 0);
  op.send_tag = make_tag(0, 0);
  add(p, op, {});
  std::vector<std::byte> input(16), output(16), scratch(16);
  RecordingTransport transport;
  ManualClock clock;
  Executor exec(0, s, transport, Buffers{input.data(), output.data(), scratch.data()}, clock);
  exec.start();
  REQUIRE(transport.posts.size() == 1);
  CHECK(transport.posts[0].what == "recv");
  CHECK(transport.posts[0].peer == 2);
  CHECK(transport.posts[0].a.data == scratch.data());
  exec.on_complete(0);
  REQUIRE(transport.posts.size() == 2);
  CHECK(transport.posts[1].what == "reduce");
  CHECK(transport.posts[1].a.data == output.data());
  CHECK(transport.posts[1].b.data == input.data());
  exec.on_complete(0);
  REQUIRE(transport.posts.size() == 3);
  CHECK(transport.posts[2].what == "send");
  CHECK(transport.posts[2].peer == 1);
  CHECK(transport.posts[2].a.data == output.data());
  CHECK_FALSE(exec.done());
  exec.on_complete(0);
  CHECK(exec.done());
}

TEST_CASE("an empty program is done at start", "[workloads][executor]") {
  CollectiveRequest r;
  r.nranks = 4;
  r.count = 0;
  const Schedule s = generate(r);
  RecordingTransport transport;
  ManualClock clock;
  DoneFlag flag;
  Executor exec(2, s, transport, Buffers{}, clock);
  exec.set_observer(&flag);
  CHECK_FALSE(exec.done());
  exec.start();
  CHECK(exec.done());
  CHECK(flag.calls == 1);
  CHECK(transport.posts.empty());
}

TEST_CASE("local fabric reports a deadlock naming the stuck ranks", "[workloads][local]") {
  // Both ranks receive before they send: a cycle.
  Schedule s;
  s.nranks = 2;
  s.ranks.resize(2);
  for (std::int32_t r = 0; r < 2; ++r) {
    RankProgram& p = s.ranks[static_cast<std::size_t>(r)];
    p.input_count = p.output_count = 1;
    Op recv = make(OpKind::kRecv, 1 - r, 1);
    recv.dst = Loc{BufferId::kOutput, 0};
    add(p, recv, {});
    Op send = make(OpKind::kSend, 1 - r, 1);
    send.src = Loc{BufferId::kInput, 0};
    add(p, send, {0});
  }
  REQUIRE(validate(s).empty());
  local::LocalFabric fabric(s);
  try {
    fabric.run();
    FAIL("expected a deadlock");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK(what.find("deadlock") != std::string::npos);
    CHECK(what.find("2 rank(s) stuck") != std::string::npos);
    CHECK(what.find("rank 0 (0/2 ops done)") != std::string::npos);
    CHECK(what.find("receive from rank 1 (seq 0) posted") != std::string::npos);
  }
}

TEST_CASE("local fabric refuses an invalid schedule", "[workloads][local]") {
  CollectiveRequest r;
  r.nranks = 3;
  r.count = 9;
  Schedule s = generate(r);
  s.ranks[1].ops.pop_back();
  CHECK_THROWS_AS(local::LocalFabric(s), std::invalid_argument);
}

TEST_CASE("check_result catches a single wrong byte and an untouched output",
          "[workloads][local]") {
  CollectiveRequest r;
  r.nranks = 4;
  r.count = 10;
  r.dtype = DataType::kInt32;
  const Schedule s = generate(r);
  local::LocalFabric fabric(s);
  fabric.run();
  CHECK(fabric.messages() == 4 * 6);
  REQUIRE(local::check_result(s, fabric.inputs(), fabric.outputs()).ok);
  // Hand-computed element 0: sum over ranks of (31 r) % 101 - 50 = -50 -19 +12 +43 = -14.
  std::int32_t first = 0;
  std::memcpy(&first, fabric.outputs()[2].data(), 4);
  CHECK(first == -14);
  auto outputs = fabric.outputs();
  outputs[3][13] = std::byte{0x7f};
  const local::CheckResult bad = local::check_result(s, fabric.inputs(), outputs);
  CHECK_FALSE(bad.ok);
  CHECK(bad.message.find("rank 3 element 3") != std::string::npos);
  // A reduce leaves non-root outputs untouched (sentinel bytes).
  r.op = CollectiveOp::kReduce;
  r.algorithm = "binomial";
  r.root = 1;
  const Schedule reduce = generate(r);
  local::LocalFabric rf(reduce);
  rf.run();
  CHECK(local::check_result(reduce, rf.inputs(), rf.outputs()).ok);
  CHECK(rf.outputs()[0][0] == local::kOutputSentinel);
  CHECK(rf.outputs()[1][0] != local::kOutputSentinel);
}

TEST_CASE("tag spaces keep concurrent collectives apart", "[workloads][executor]") {
  const std::uint64_t tag = make_tag(3, 7);
  CHECK(tag_channel(tag) == 3);
  CHECK(tag_sequence(tag) == 7);
  CHECK(tag_space(tag) == 0);
  const std::uint64_t spaced = with_tag_space(tag, 42);
  CHECK(tag_channel(spaced) == 3);
  CHECK(tag_sequence(spaced) == 7);
  CHECK(tag_space(spaced) == 42);
  CHECK(spaced != tag);
  // The Executor posts its space on every send and receive.
  CollectiveRequest r;
  r.nranks = 2;
  r.count = 4;
  const Schedule s = generate(r);
  RecordingTransport transport;
  ManualClock clock;
  Executor exec(0, s, transport, Buffers{}, clock);
  exec.set_tag_space(9);
  exec.start();
  REQUIRE_FALSE(transport.posts.empty());
  for (const Post& p : transport.posts) {
    if (p.what == "send" || p.what == "recv") CHECK(tag_space(p.tag) == 9);
  }
}

TEST_CASE("trace events: one complete event per op with rank, channel and duration",
          "[workloads][executor]") {
  CollectiveRequest r;
  r.nranks = 3;
  r.count = 6;
  r.channels = 2;
  const Schedule s = generate(r);
  local::LocalFabric fabric(s);
  fabric.run();
  nlohmann::json events = nlohmann::json::array();
  for (std::int32_t rank = 0; rank < 3; ++rank) {
    append_trace_events(s, fabric.executor(rank), events);
  }
  REQUIRE(events.size() == s.total_ops());
  const nlohmann::json& first = events[0];
  CHECK(first["ph"] == "X");
  CHECK(first["pid"] == 0);
  CHECK(first["tid"] == 0);
  CHECK(first["name"] == "send >1");
  CHECK(first["cat"] == "ring");
  CHECK(first["dur"].get<double>() > 0.0);
  std::size_t on_channel_one = 0;
  for (const auto& e : events)
    on_channel_one += e["tid"] == 1 ? 1u : 0u;
  CHECK(on_channel_one == s.total_ops() / 2);
}

TEST_CASE("reset runs the same program again", "[workloads][executor]") {
  CollectiveRequest r;
  r.nranks = 3;
  r.count = 9;
  const Schedule s = generate(r);
  RecordingTransport transport;
  ManualClock clock;
  Executor exec(1, s, transport, Buffers{}, clock);
  std::size_t next = 0;
  auto drive = [&]() {
    // Complete every post in order until nothing new is posted.
    for (; next < transport.posts.size(); ++next)
      exec.on_complete(transport.posts[next].cookie);
  };
  exec.start();
  drive();
  REQUIRE(exec.done());
  const std::size_t first_run = transport.posts.size();
  CHECK_THROWS_AS(exec.start(), std::logic_error);
  exec.reset();
  CHECK_FALSE(exec.done());
  exec.start();
  drive();
  CHECK(exec.done());
  REQUIRE(transport.posts.size() == 2 * first_run);
  for (std::size_t i = 0; i < first_run; ++i) {
    CHECK(transport.posts[first_run + i].what == transport.posts[i].what);
    CHECK(transport.posts[first_run + i].cookie == transport.posts[i].cookie);
    CHECK(transport.posts[first_run + i].tag == transport.posts[i].tag);
  }
}

TEST_CASE("expected_output of one rank equals expected_outputs for every op",
          "[workloads][local]") {
  for (const CollectiveOp op : kAllCollectiveOps) {
    for (const std::int32_t n : {1, 3, 4, 7}) {
      for (const std::uint64_t count : {1ULL, 5ULL, 37ULL}) {
        for (const DataType dtype : {DataType::kFloat32, DataType::kInt32}) {
          CollectiveRequest r;
          r.op = op;
          r.algorithm = list_algorithms(op).front();
          r.nranks = n;
          r.count = count;
          r.dtype = dtype;
          r.root = n - 1;
          const Schedule s = generate(r);
          std::vector<std::vector<std::byte>> inputs(static_cast<std::size_t>(n));
          for (std::int32_t q = 0; q < n; ++q) {
            auto& in = inputs[static_cast<std::size_t>(q)];
            in.resize(s.ranks[static_cast<std::size_t>(q)].input_count * s.element_size());
            local::fill_input(s, q, in);
          }
          const auto all = local::expected_outputs(s, inputs);
          for (std::int32_t q = 0; q < n; ++q) {
            INFO(to_string(op) << " n=" << n << " count=" << count << " rank " << q);
            std::vector<std::byte> mine(all[static_cast<std::size_t>(q)].size(), std::byte{0});
            local::expected_output(s, q, mine);
            CHECK(mine == all[static_cast<std::size_t>(q)]);
            // Block by block (3 elements at a time, the last block shorter) gives the same.
            std::vector<std::byte> blocks(mine.size(), std::byte{0});
            const std::uint64_t esize = s.element_size();
            for (std::uint64_t first = 0; first * esize < blocks.size(); first += 3) {
              const std::uint64_t bytes =
                  std::min<std::uint64_t>(3 * esize, blocks.size() - first * esize);
              local::expected_output(
                  s, q, std::span<std::byte>(blocks.data() + first * esize, bytes), first);
            }
            CHECK(blocks == all[static_cast<std::size_t>(q)]);
          }
        }
      }
    }
  }
}
