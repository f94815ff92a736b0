// The verbs transport's mechanisms on a real verbs device (soft-RoCE in the VM test: ctest
// verbs_vm runs this binary there; it fails on a host without a device). Two ranks as threads:
// matching in either order and out of tag order under a small credit limit, split and empty
// messages, local ops completed only from progress(), and the errors (size mismatch, timeout,
// unregistered memory, bad device / port / GID index). FABRICSIM_VERBS_DEVICE picks the
// device (default: the first).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/hw/thread_bootstrap.hpp"
#include "workloads/transports/hw/verbs_transport.hpp"

using namespace fabricsim;
using workloads::CompletionListener;
using workloads::MemRegion;
using workloads::hw::HwTransport;
using workloads::hw::TransportError;
using workloads::hw::VerbsOptions;

namespace {

VerbsOptions options() {
  VerbsOptions o;
  if (const char* device = std::getenv("FABRICSIM_VERBS_DEVICE")) o.device = device;
  o.timeout = std::chrono::milliseconds(5000);
  return o;
}

struct Recorder final : CompletionListener {
  std::vector<std::uint64_t> cookies;
  void on_complete(std::uint64_t cookie) override { cookies.push_back(cookie); }
};

// Runs body(rank, transport) on two threads, each with its own transport; returns each rank's
// exception message ("" when it returned normally).
std::vector<std::string> run_pair(const VerbsOptions& o,
                                  const std::function<void(int, HwTransport&)>& body) {
  tests::Rendezvous rendezvous(2, std::chrono::seconds(20));
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < 2; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        tests::ThreadBootstrap bootstrap(rendezvous, rank);
        auto transport = workloads::hw::make_verbs_transport(o, bootstrap);
        body(rank, *transport);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(rank)] = e.what();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  return errors;
}

void progress_until(HwTransport& t, const Recorder& r, std::size_t n) {
  while (r.cookies.size() < n)
    t.progress();
}

std::byte pattern(std::size_t message, std::size_t i) {
  return static_cast<std::byte>((message * 31 + i * 7 + 1) & 0xff);
}

}  // namespace

TEST_CASE(
    "verbs: messages match by tag in any order, split and empty ones included, under a "
    "limit of 2 clear-to-sends",
    "[verbs][device]") {
  VerbsOptions o = options();
  o.max_outstanding_recvs = 2;
  o.max_message_bytes = 4096;
  // Sizes around the split point and an empty message.
  const std::vector<std::size_t> sizes = {0, 1, 4095, 4096, 4097, 12288, 70001, 3, 0, 9000};
  std::size_t total = 0;
  std::vector<std::size_t> offsets;
  for (std::size_t s : sizes) {
    offsets.push_back(total);
    total += s;
  }
  std::vector<std::byte> received(total + 1);
  const auto errors = run_pair(o, [&](int rank, HwTransport& t) {
    std::vector<std::byte> buffer(total + 1);
    t.register_memory(buffer.data(), buffer.size());
    Recorder done;
    if (rank == 0) {
      for (std::size_t m = 0; m < sizes.size(); ++m) {
        for (std::size_t i = 0; i < sizes[m]; ++i)
          buffer[offsets[m] + i] = pattern(m, i);
      }
      // Sends in reverse tag order; the receiver posts in tag order, so every CTS but the
      // last waits for its send or the other way round.
      for (std::size_t m = sizes.size(); m-- > 0;) {
        t.post_send(1, MemRegion{buffer.data() + offsets[m], sizes[m]}, 100 + m, done, m);
        CHECK(done.cookies.empty());  // never from inside a post call
      }
    } else {
      // Receive half first, the rest after the sender has had time to post everything.
      for (std::size_t m = 0; m < sizes.size(); ++m) {
        if (m == sizes.size() / 2) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        t.post_recv(0, MemRegion{buffer.data() + offsets[m], sizes[m]}, 100 + m, done, m);
      }
    }
    progress_until(t, done, sizes.size());
    if (rank == 1) std::memcpy(received.data(), buffer.data(), total);
    CHECK(t.progress() == 0);
  });
  CHECK(errors[0] == "");
  REQUIRE(errors[1] == "");
  std::size_t wrong = 0;
  for (std::size_t m = 0; m < sizes.size(); ++m) {
    for (std::size_t i = 0; i < sizes[m]; ++i)
      wrong += received[offsets[m] + i] != pattern(m, i);
  }
  CHECK(wrong == 0);
}

TEST_CASE("verbs: reductions and copies complete only from progress()", "[verbs][device]") {
  const auto errors = run_pair(options(), [&](int, HwTransport& t) {
    std::vector<float> a = {1, 2, 3}, b = {10, 20, 30}, out(3), copy(3);
    Recorder done;
    auto region = [](std::vector<float>& v) {
      return MemRegion{reinterpret_cast<std::byte*>(v.data()), v.size() * sizeof(float)};
    };
    t.post_reduce(region(out), region(a), region(b), 3, workloads::DataType::kFloat32,
                  workloads::ReduceOp::kSum, done, 7);
    t.post_copy(region(copy), region(b), done, 8);
    CHECK(done.cookies.empty());
    CHECK(t.progress() == 2);
    CHECK(done.cookies == std::vector<std::uint64_t>{7, 8});
    CHECK(out == std::vector<float>{11, 22, 33});
    CHECK(copy == b);
  });
  CHECK(errors[0] == "");
  CHECK(errors[1] == "");
}

TEST_CASE("verbs: a size mismatch and a silent peer are TransportErrors", "[verbs][device]") {
  VerbsOptions o = options();
  o.timeout = std::chrono::milliseconds(300);
  const auto errors = run_pair(o, [&](int rank, HwTransport& t) {
    std::vector<std::byte> buffer(256);
    t.register_memory(buffer.data(), buffer.size());
    Recorder done;
    if (rank == 0) {
      t.post_send(1, MemRegion{buffer.data(), 100}, 5, done, 0);
    } else {
      t.post_recv(0, MemRegion{buffer.data(), 200}, 5, done, 0);
    }
    for (;;)
      t.progress();
  });
  CHECK_THAT(errors[0],
             Catch::Contains("grants 200 bytes for tag 5") && Catch::Contains("sends 100"));
  CHECK_THAT(errors[1], Catch::Contains("nothing completed for 300 ms") &&
                            Catch::Contains("rank 0: ") &&
                            Catch::Contains("1 receive(s) granted and waiting for data"));
}

TEST_CASE("verbs: memory outside every registration is refused", "[verbs][device]") {
  const auto errors = run_pair(options(), [&](int rank, HwTransport& t) {
    std::vector<std::byte> registered(64), other(64);
    t.register_memory(registered.data(), registered.size());
    Recorder done;
    CHECK_THROWS_AS(t.post_send(1 - rank, MemRegion{other.data(), 8}, 1, done, 0),
                    std::invalid_argument);
    CHECK_THROWS_AS(t.post_recv(1 - rank, MemRegion{registered.data() + 60, 8}, 1, done, 0),
                    std::invalid_argument);
    CHECK_THROWS_AS(t.post_recv(rank, MemRegion{registered.data(), 8}, 1, done, 0),
                    std::invalid_argument);
  });
  CHECK(errors[0] == "");
  CHECK(errors[1] == "");
}

TEST_CASE("verbs: a bad device, port or GID index is reported before any queue pair exists",
          "[verbs][device]") {
  tests::Rendezvous rendezvous(1);
  tests::ThreadBootstrap bootstrap(rendezvous, 0);
  VerbsOptions o = options();
  o.device = "fabricsim_nope";
  CHECK_THROWS_WITH(workloads::hw::make_verbs_transport(o, bootstrap),
                    Catch::Contains("no RDMA device named 'fabricsim_nope' (found: "));
  o = options();
  o.port = 9;
  CHECK_THROWS_WITH(workloads::hw::make_verbs_transport(o, bootstrap),
                    Catch::Contains("has no port 9"));
  o = options();
  o.gid_index = 100000;
  CHECK_THROWS_WITH(workloads::hw::make_verbs_transport(o, bootstrap),
                    Catch::Contains("GID index 100000 out of range"));
  // One rank alone: no peers, nothing to connect, still a working transport for local ops.
  o = options();
  auto alone = workloads::hw::make_verbs_transport(o, bootstrap);
  CHECK(alone->name() == "verbs");
  CHECK(alone->progress() == 0);
}
