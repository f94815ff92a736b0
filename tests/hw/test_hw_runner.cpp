// fabricsim-hw on loopback as real processes (--launch-local): every algorithm of the library
// on the tcp backend with 2..8 ranks and non-divisible counts, checked element by element;
// a rank killed or stopped mid-run, a missing peer, bad usage and oversized buffers.
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "workloads/algorithms/registry.hpp"
#include "workloads/schedule.hpp"
#include "workloads/transports/hw/factory.hpp"
#include "workloads/transports/hw/socket.hpp"

using namespace fabricsim::workloads;
using namespace std::chrono_literals;

namespace {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::chrono::duration<double> took{};
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs fabricsim-hw with `args` through the shell, capturing stdout and stderr.
Outcome run_hw(const std::string& args) {
  static int serial = 0;
  const std::string base =
      fmt::format("{}/test_hw_runner_{}_{}", FABRICSIM_BINARY_DIR, ::getpid(), serial++);
  const std::string command = fmt::format("{}/bin/fabricsim-hw {} >{}.out 2>{}.err",
                                          FABRICSIM_BINARY_DIR, args, base, base);
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(command.c_str());
  Outcome o;
  o.took = std::chrono::steady_clock::now() - start;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.out = slurp(base + ".out");
  o.err = slurp(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return o;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::uint16_t free_port() {
  fabricsim::workloads::hw::Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return ntohs(
      reinterpret_cast<const sockaddr_in*>(fabricsim::workloads::hw::local_address(fd.get()).get())
          ->sin_port);
}

// Every algorithm of `op` on 2..8 ranks: counts of 1, 7, 1003 and 20011 units (non-divisible
// by any rank count but 1; the largest is sliced at 16 KiB), two iterations after a warm-up,
// --check. Hierarchical algorithms get 2 ranks per node where that divides the rank count
// (nvls_ring 1: its in-node step needs in-network reduction). nvls needs it always: refused.
void check_every_algorithm(CollectiveOp op) {
  for (const std::string& algorithm : list_algorithms(op)) {
    if (algorithm == "nvls") {
      const Outcome o =
          run_hw(fmt::format("--launch-local 4 --transport tcp --op {} --algorithm "
                             "nvls --sizes 4KiB --timeout 20s",
                             to_string(op)));
      INFO(o.out << o.err);
      CHECK(o.exit_code == 2);
      CHECK(contains(o.err, "--algorithm nvls: needs in-network reduction"));
      continue;
    }
    for (std::int32_t n = 2; n <= 8; ++n) {
      const bool hierarchical = algorithm.rfind("hierarchical", 0) == 0;
      const std::int32_t per_node = hierarchical && n % 2 == 0 ? 2 : 1;
      const std::uint64_t unit = size_unit_bytes(op, DataType::kFloat32, n);
      const std::string sizes =
          fmt::format("{},{},{},{}", unit, 7 * unit, 1003 * unit, 20011 * unit);
      const std::string args = fmt::format(
          "--launch-local {} --transport tcp --op {} --algorithm {} --sizes {} --iters 2 "
          "--warmup 1 --slice 16KiB --ranks-per-node {} --root {} --check --timeout 20s",
          n, to_string(op), algorithm, sizes, per_node, n - 1);
      INFO("fabricsim-hw " << args);
      const Outcome o = run_hw(args);
      INFO(o.out << o.err);
      CHECK(o.exit_code == 0);
      CHECK(contains(o.out, "# 0 wrong element(s)"));
    }
  }
}

}  // namespace

TEST_CASE("fabricsim-hw tcp: every all-reduce algorithm, 2..8 ranks, 0 wrong", "[hw][runner]") {
  check_every_algorithm(CollectiveOp::kAllReduce);
}
TEST_CASE("fabricsim-hw tcp: every reduce-scatter algorithm, 2..8 ranks, 0 wrong", "[hw][runner]") {
  check_every_algorithm(CollectiveOp::kReduceScatter);
}
TEST_CASE("fabricsim-hw tcp: every all-gather algorithm, 2..8 ranks, 0 wrong", "[hw][runner]") {
  check_every_algorithm(CollectiveOp::kAllGather);
}
TEST_CASE("fabricsim-hw tcp: every all-to-all algorithm, 2..8 ranks, 0 wrong", "[hw][runner]") {
  check_every_algorithm(CollectiveOp::kAllToAll);
}
TEST_CASE("fabricsim-hw tcp: every broadcast algorithm, 2..8 ranks, 0 wrong", "[hw][runner]") {
  check_every_algorithm(CollectiveOp::kBroadcast);
}
TEST_CASE("fabricsim-hw tcp: every reduce algorithm, 2..8 ranks, 0 wrong", "[hw][runner]") {
  check_every_algorithm(CollectiveOp::kReduce);
}
TEST_CASE("fabricsim-hw tcp: send/recv, 2..8 ranks, 0 wrong", "[hw][runner]") {
  check_every_algorithm(CollectiveOp::kSendRecv);
}

TEST_CASE("fabricsim-hw: a rank killed mid-run makes every other rank fail within the timeout",
          "[hw][runner]") {
  const Outcome o = run_hw(
      "--launch-local 4 --op allreduce --algorithm ring --sizes 256KiB --iters 1000000 "
      "--warmup 0 --timeout 3s --test-die-rank 2 --test-die-after 300ms");
  INFO(o.out << o.err);
  CHECK(o.exit_code == 1);
  CHECK(o.took < 10s);
  CHECK(contains(o.err, "fabricsim-hw: rank 2 was killed by signal 9"));
  // Whoever sees its connections close first tells the others: every rank names rank 2.
  for (const int r : {0, 1, 3}) {
    CHECK(contains(o.err,
                   fmt::format("fabricsim-hw: rank {}: error: rank 2 closed the connection", r)));
    CHECK(contains(o.err, fmt::format("fabricsim-hw: rank {} exited with status 1", r)));
  }
  CHECK(contains(o.err, "4 of 4 ranks failed; the first to fail: rank 2 (was killed by signal 9"));
}

TEST_CASE("fabricsim-hw: a stopped rank does not hang the launcher, which kills and blames it",
          "[hw][runner]") {
  for (const int stopped : {1, 0}) {  // 0: the coordinator of the bootstrap too
    const std::string args = fmt::format(
        "--launch-local 4 --op allreduce --algorithm ring --sizes 256KiB --iters 1000000 "
        "--warmup 0 --timeout 1s --test-stop-rank {} --test-stop-after 300ms",
        stopped);
    INFO("fabricsim-hw " << args);
    const Outcome o = run_hw(args);
    INFO(o.out << o.err);
    CHECK(o.exit_code == 1);
    CHECK(o.took < 8s);
    CHECK(contains(o.err, fmt::format("fabricsim-hw: rank {} did not exit within 3 s of the "
                                      "others and was killed",
                                      stopped)));
    CHECK(contains(o.err, fmt::format("4 of 4 ranks failed; the first to fail: rank {} (did not "
                                      "exit within 3 s",
                                      stopped)));
    // The survivors say whom they waited for, without claiming it is the one that stopped.
    CHECK(contains(o.err, "which stopped or waits in turn for a rank that did"));
    for (int r = 0; r < 4; ++r) {
      if (r != stopped) {
        CHECK(contains(o.err, fmt::format("fabricsim-hw: rank {} exited with status 1", r)));
      }
    }
  }
}

TEST_CASE("fabricsim-hw: buffers beyond --max-memory are refused before anything is allocated",
          "[hw][runner]") {
  const Outcome huge = run_hw("--launch-local 2 --sizes 1TiB --check");
  CHECK(huge.exit_code == 1);
  CHECK(huge.took < 5s);
  CHECK(contains(huge.err,
                 "fabricsim-hw: --sizes 1TiB: needs 5.0 TiB of memory on this host (2 "
                 "ranks x 2.5 TiB: input 1.0 TiB, output 1.0 TiB, scratch 512.0 GiB, "
                 "check 4.0 MiB, schedules 4.0 MiB), more than --max-memory "));
  // One rank of a multi-host job counts its own buffers, before it connects anywhere.
  const Outcome rank = run_hw(
      "--rank 1 --nranks 2 --coordinator 127.0.0.1:1 --op allgather --sizes 64MiB "
      "--max-memory 48MiB");
  CHECK(rank.exit_code == 1);
  CHECK(contains(rank.err,
                 "fabricsim-hw: rank 1: --sizes 64MiB: needs 96.0 MiB of memory on "
                 "this host (rank 1: input 32.0 MiB, output 64.0 MiB, scratch 0 B, "
                 "schedules 32.0 KiB), more than --max-memory 48.0 MiB"));
  // The same job under a limit that fits runs.
  const Outcome fits =
      run_hw("--launch-local 2 --op allgather --sizes 64KiB --max-memory 1MiB --iters 1 --check");
  INFO(fits.out << fits.err);
  CHECK(fits.exit_code == 0);
  const Outcome tight =
      run_hw("--launch-local 2 --op allgather --sizes 64KiB --max-memory 150KiB --iters 1");
  CHECK(tight.exit_code == 1);
  CHECK(contains(tight.err, "needs 194.0 KiB of memory on this host (2 ranks x 97.0 KiB"));
  // Schedules too fine to build (64 channels of 1-byte slices) are refused before building.
  const Outcome fine = run_hw("--launch-local 8 --channels 64 --slice 1B --sizes 64MiB");
  CHECK(fine.exit_code == 2);
  CHECK(fine.took < 5s);
  CHECK(contains(fine.err, "262144 pieces (channel x slice, over all sizes) on 8 ranks"));
}

TEST_CASE("fabricsim-hw: a bad prediction setting or --json path fails before the measurement",
          "[hw][runner]") {
  const Outcome set = run_hw(
      "--launch-local 2 --sizes 1KiB --iters 1000000 --predict-rate 10Gbps "
      "--predict-set models.nic.cc.algorithm=dance");
  CHECK(set.exit_code == 1);
  CHECK(set.took < 5s);
  CHECK(contains(set.err, "fabricsim-hw: error in the prediction: "));
  CHECK(contains(set.err, "\"dance\""));
  const Outcome json = run_hw("--launch-local 2 --sizes 1KiB --json /nonexistent/x.json");
  CHECK(json.exit_code == 1);
  CHECK(contains(json.err, "--json \"/nonexistent/x.json\": the directory"));
}

TEST_CASE("fabricsim-hw: negative, fractional, empty or huge counts are usage errors",
          "[hw][runner]") {
  const std::pair<const char*, const char*> cases[] = {
      {"--iters -1", "--iters \"-1\": expected a whole number from 1 to 1000000"},
      {"--iters=-1", "--iters \"-1\": expected a whole number from 1 to 1000000"},
      {"--warmup 2.5", "--warmup \"2.5\": expected a whole number from 0 to 1000000"},
      {"--channels ''", "--channels \"\": expected a whole number from 1 to 64"},
      {"--channels 4294967297", "--channels \"4294967297\": expected a whole number from 1 to 64"},
      {"--iters 1000001", "--iters \"1000001\": expected a whole number from 1 to 1000000"},
      {"--root -1", "--root \"-1\": expected a whole number from 0 to 1"},
      {"--ib-port 0", "--ib-port \"0\": expected a whole number from 1 to 255"},
  };
  for (const auto& [args, message] : cases) {
    INFO("fabricsim-hw --launch-local 2 " << args);
    const Outcome o = run_hw(std::string("--launch-local 2 ") + args);
    CHECK(o.exit_code == 2);
    CHECK(contains(o.err, std::string("fabricsim-hw: ") + message));
  }
  const Outcome many = run_hw("--launch-local 257");
  CHECK(many.exit_code == 2);
  CHECK(contains(many.err, "--launch-local \"257\": expected a whole number from 1 to 256"));
}

TEST_CASE("fabricsim-hw: a coordinator that never comes up is an error within the timeout",
          "[hw][runner]") {
  const std::uint16_t port = free_port();
  const Outcome leaf =
      run_hw(fmt::format("--rank 1 --nranks 2 --coordinator 127.0.0.1:{} --timeout 1s", port));
  CHECK(leaf.exit_code == 1);
  CHECK(leaf.took < 5s);
  CHECK(contains(leaf.err, fmt::format("fabricsim-hw: rank 1: error: rank 1 could not connect "
                                       "to the coordinator 127.0.0.1:{} within 1 s",
                                       port)));
  const Outcome root =
      run_hw(fmt::format("--rank 0 --nranks 3 --coordinator 127.0.0.1:{} --timeout 1s", port));
  CHECK(root.exit_code == 1);
  CHECK(root.took < 5s);
  CHECK(contains(root.err, fmt::format("fabricsim-hw: rank 0: error: ranks 1, 2 did not connect "
                                       "to 127.0.0.1:{} within 1 s",
                                       port)));
}

TEST_CASE("fabricsim-hw: bad usage exits 2 with a message", "[hw][runner]") {
  for (const char* args :
       {"", "--rank 0 --nranks 2", "--rank 2 --nranks 2 --coordinator 127.0.0.1:1",
        "--rank 0 --nranks 1 --coordinator nohost", "--launch-local 2 --transport smoke",
        "--launch-local 2 --sizes 1KiB:1B", "--launch-local 2 --sizes 12XB",
        "--launch-local 2 --iters 0", "--launch-local 2 --timeout 5", "--launch-local 2 --rank 0",
        "--launch-local 2 --op allreduce --algorithm nope", "--launch-local 3 --sizes 10",
        "--launch-local 2 --predict-rate fast", "--bogus"}) {
    INFO("fabricsim-hw " << args);
    const Outcome o = run_hw(args);
    CHECK(o.exit_code == 2);
    CHECK(contains(o.err, "fabricsim-hw: "));
  }
}

TEST_CASE("fabricsim-hw: --json writes the table, the prediction fills its columns",
          "[hw][runner]") {
  const std::string json = fmt::format("{}/test_hw_runner_{}.json", FABRICSIM_BINARY_DIR, getpid());
  const Outcome o = run_hw(
      "--launch-local 3 --op allgather --algorithm ring --sizes 3KiB:12KiB --iters 2 --check "
      "--predict-rate 10Gbps --predict-latency 20us --json " +
      json);
  INFO(o.out << o.err);
  REQUIRE(o.exit_code == 0);
  CHECK(contains(o.out, "pred.busbw(GB/s)"));
  const std::string doc = slurp(json);
  std::remove(json.c_str());
  CHECK(contains(doc, "\"schema\": \"fabricsim.hw/1\""));
  CHECK(contains(doc, "\"predicted_time_us\""));
  CHECK(contains(doc, "\"bytes\": 12288"));
  CHECK(contains(doc, "\"wrong\": 0"));
}

TEST_CASE("fabricsim-hw: a size range is rounded down to the op's unit, a list is not",
          "[hw][runner]") {
  // All-to-all of float32 on 3 ranks: 12-byte units, so 1 KiB becomes 1020 B (255 elements).
  const Outcome o = run_hw(
      "--launch-local 3 --op alltoall --algorithm pairwise --sizes 1KiB:2KiB --iters 1 --check");
  INFO(o.out << o.err);
  REQUIRE(o.exit_code == 0);
  CHECK(contains(o.out, "         1020          255  float32"));
  CHECK(contains(o.out, "         2040          510  float32"));
  const Outcome listed =
      run_hw("--launch-local 3 --op alltoall --algorithm pairwise --sizes 1KiB --iters 1");
  CHECK(listed.exit_code == 2);
  CHECK(contains(listed.err, "--sizes: 1024 is not a multiple of 12 bytes"));
}

TEST_CASE("fabricsim-hw: --transport verbs without the verbs backend is a clear error",
          "[hw][runner]") {
  if (fabricsim::workloads::hw::verbs_backend_built()) return;  // covered by the verbs tests
  const Outcome o = run_hw("--launch-local 2 --transport verbs --sizes 1KiB --timeout 2s");
  CHECK(o.exit_code == 1);
  CHECK(contains(o.err, "the verbs backend is not built into this binary"));
}
