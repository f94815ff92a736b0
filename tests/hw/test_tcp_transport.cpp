// The tcp bootstrap and transport with threads as ranks on loopback: rendezvous, allgather,
// the errors for missing, dead and stalled peers, unexpected messages, and a collective run by
// the Executor checked byte for byte.
#include <netinet/in.h>
#include <sys/socket.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "workloads/algorithms/registry.hpp"
#include "workloads/executor.hpp"
#include "workloads/transports/hw/factory.hpp"
#include "workloads/transports/hw/tcp_bootstrap.hpp"
#include "workloads/transports/hw/tcp_transport.hpp"
#include "workloads/transports/local/check.hpp"

using namespace fabricsim::workloads;
using namespace fabricsim::workloads::hw;
using namespace std::chrono_literals;

namespace {

std::uint16_t free_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const SocketAddress bound = local_address(fd.get());
  return ntohs(reinterpret_cast<const sockaddr_in*>(bound.get())->sin_port);
}

TcpBootstrapOptions options(std::int32_t rank, std::int32_t n, std::uint16_t port,
                            std::chrono::milliseconds timeout = 5000ms) {
  TcpBootstrapOptions o;
  o.rank = rank;
  o.nranks = n;
  o.coordinator = HostPort{"127.0.0.1", port};
  o.timeout = timeout;
  return o;
}

// Runs body(rank) on n threads; returns each rank's exception message ("" when none).
std::vector<std::string> run_ranks(std::int32_t n, const std::function<void(std::int32_t)>& body) {
  std::vector<std::string> errors(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  for (std::int32_t r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      try {
        body(r);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(r)] = e.what();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  return errors;
}

struct Recorder final : CompletionListener {
  std::vector<std::uint64_t> done;
  void on_complete(std::uint64_t cookie) override { done.push_back(cookie); }
};

// Progress until `count` completions arrived (or throws on timeout/peer failure).
void progress_until(HwTransport& t, const Recorder& r, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (r.done.size() < count) {
    t.progress();
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
}

std::unique_ptr<TcpTransport> make_tcp(TcpBootstrap& b, std::chrono::milliseconds timeout) {
  TcpTransportOptions o;
  o.timeout = timeout;
  return std::make_unique<TcpTransport>(b, b.reachable_address(), o);
}

}  // namespace

TEST_CASE("tcp bootstrap: allgather in rank order and barriers among 5 processes' worth of ranks",
          "[hw][tcp]") {
  const std::uint16_t port = free_port();
  std::vector<std::vector<std::byte>> got(5);
  const auto errors = run_ranks(5, [&](std::int32_t r) {
    TcpBootstrap b(options(r, 5, port));
    CHECK(b.rank() == r);
    b.barrier();
    const std::byte mine[3] = {std::byte(r), std::byte(r * 2), std::byte(7)};
    got[static_cast<std::size_t>(r)] = b.allgather(mine);
    b.barrier();
    // An empty contribution is fine too.
    CHECK(b.allgather({}).empty());
  });
  for (const auto& e : errors)
    CHECK(e.empty());
  for (const auto& all : got) {
    REQUIRE(all.size() == 15);
    for (int q = 0; q < 5; ++q) {
      CHECK(all[static_cast<std::size_t>(q * 3)] == std::byte(q));
      CHECK(all[static_cast<std::size_t>(q * 3 + 1)] == std::byte(q * 2));
    }
  }
}

TEST_CASE("tcp bootstrap: a missing rank is named within the timeout, to every rank", "[hw][tcp]") {
  const std::uint16_t port = free_port();
  const auto start = std::chrono::steady_clock::now();
  // Ranks 0 and 1 of 3 start; rank 2 never does.
  const auto errors =
      run_ranks(2, [&](std::int32_t r) { TcpBootstrap b(options(r, 3, port, 400ms)); });
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < 3s);
  const std::string want =
      "rank 2 did not connect to 127.0.0.1:" + std::to_string(port) + " within 400 ms";
  CHECK(errors[0] == want);
  CHECK(errors[1].find(want) != std::string::npos);
  CHECK(errors[1].find("reported by rank 0") != std::string::npos);
}

TEST_CASE("tcp bootstrap: an unreachable coordinator is an error within the timeout", "[hw][tcp]") {
  const std::uint16_t port = free_port();
  const auto start = std::chrono::steady_clock::now();
  std::string error;
  try {
    TcpBootstrap b(options(1, 2, port, 300ms));
  } catch (const TransportError& e) {
    error = e.what();
  }
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(error.find("rank 1 could not connect to the coordinator 127.0.0.1:" + std::to_string(port) +
                   " within 300 ms") != std::string::npos);
  CHECK(error.find("Connection refused") != std::string::npos);
}

TEST_CASE("tcp bootstrap: a rank that dies is named by rank 0 in the next step", "[hw][tcp]") {
  const std::uint16_t port = free_port();
  const auto errors = run_ranks(3, [&](std::int32_t r) {
    TcpBootstrap b(options(r, 3, port, 2000ms));
    if (r == 2) return;  // leaves: its connection closes
    b.barrier();
  });
  CHECK(errors[0] == "rank 2 closed the connection during barrier");
  CHECK(errors[1] == "rank 2 closed the connection during barrier (reported by rank 0)");
  CHECK(errors[2].empty());
}

TEST_CASE("tcp transport: out-of-order receives, unexpected and empty messages", "[hw][tcp]") {
  const std::uint16_t port = free_port();
  const auto errors = run_ranks(2, [&](std::int32_t r) {
    TcpBootstrap b(options(r, 2, port));
    auto t = make_tcp(b, 5000ms);
    Recorder rec;
    std::vector<std::byte> a(100000), c(37), empty;
    if (r == 0) {
      for (std::size_t i = 0; i < a.size(); ++i)
        a[i] = std::byte(i * 7);
      for (std::size_t i = 0; i < c.size(); ++i)
        c[i] = std::byte(200 - i);
      t->post_send(1, {a.data(), a.size()}, 10, rec, 1);
      t->post_send(1, {c.data(), c.size()}, 11, rec, 2);
      t->post_send(1, {nullptr, 0}, 12, rec, 3);
      progress_until(*t, rec, 3);
      CHECK(rec.done == std::vector<std::uint64_t>{1, 2, 3});
    } else {
      std::vector<std::byte> ra(a.size()), rc(c.size());
      // The later messages first: the first message arrives unexpected and waits.
      t->post_recv(0, {rc.data(), rc.size()}, 11, rec, 2);
      t->post_recv(0, {nullptr, 0}, 12, rec, 3);
      progress_until(*t, rec, 2);
      t->post_recv(0, {ra.data(), ra.size()}, 10, rec, 1);
      CHECK(rec.done.size() == 2);  // never completed from inside a post
      progress_until(*t, rec, 3);
      CHECK(t->unexpected_messages() >= 1);
      for (std::size_t i = 0; i < ra.size(); ++i)
        REQUIRE(ra[i] == std::byte(i * 7));
      for (std::size_t i = 0; i < rc.size(); ++i)
        REQUIRE(rc[i] == std::byte(200 - i));
    }
    CHECK(t->outstanding() == 0);
    b.barrier();  // nobody closes while the other still reads
  });
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());
}

TEST_CASE("tcp transport: a receive of the wrong size is an error naming both sides", "[hw][tcp]") {
  const std::uint16_t port = free_port();
  const auto errors = run_ranks(2, [&](std::int32_t r) {
    TcpBootstrap b(options(r, 2, port));
    auto t = make_tcp(b, 2000ms);
    Recorder rec;
    std::vector<std::byte> buf(64);
    if (r == 0) {
      t->post_send(1, {buf.data(), 64}, 5, rec, 1);
      progress_until(*t, rec, 1);
      b.barrier();
    } else {
      t->post_recv(0, {buf.data(), 32}, 5, rec, 1);
      try {
        progress_until(*t, rec, 1);
      } catch (...) {
        b.barrier();
        throw;
      }
    }
  });
  CHECK(errors[0].empty());
  CHECK(errors[1] == "rank 0 sent 64 bytes with tag 5, rank 1 posted a receive of 32");
}

TEST_CASE("tcp transport: a peer that goes away while a receive waits is named", "[hw][tcp]") {
  const std::uint16_t port = free_port();
  const auto errors = run_ranks(2, [&](std::int32_t r) {
    TcpBootstrap b(options(r, 2, port));
    auto t = make_tcp(b, 5000ms);
    Recorder rec;
    std::vector<std::byte> buf(16);
    if (r == 1) {
      b.barrier();
      t.reset();  // closes its sockets without sending
      return;
    }
    t->post_recv(1, {buf.data(), buf.size()}, 1, rec, 1);
    b.barrier();
    progress_until(*t, rec, 1);
  });
  CHECK(errors[0] ==
        "rank 1 closed the connection while rank 0 waited for 1 receive(s) and 0 send(s) with it");
  CHECK(errors[1].empty());
}

TEST_CASE("tcp transport: the rank that sees a peer go away tells every other rank", "[hw][tcp]") {
  const std::uint16_t port = free_port();
  const auto errors = run_ranks(3, [&](std::int32_t r) {
    TcpBootstrap b(options(r, 3, port));
    auto t = make_tcp(b, 5000ms);
    Recorder rec;
    std::vector<std::byte> buf(16);
    if (r == 2) {
      b.barrier();
      t.reset();  // goes away
      return;
    }
    // Rank 1 waits for rank 2; rank 0 only for rank 1, which never sends.
    t->post_recv(r == 1 ? 2 : 1, {buf.data(), buf.size()}, 1, rec, 1);
    b.barrier();
    progress_until(*t, rec, 1);
  });
  const std::string cause =
      "rank 2 closed the connection while rank 1 waited for 1 receive(s) and 0 send(s) with it";
  CHECK(errors[1] == cause);
  CHECK(errors[0] == cause + " (reported by rank 1)");
  CHECK(errors[2].empty());
}

TEST_CASE("tcp transport: a stalled peer fails the wait after the timeout", "[hw][tcp]") {
  const std::uint16_t port = free_port();
  const auto start = std::chrono::steady_clock::now();
  const auto errors = run_ranks(2, [&](std::int32_t r) {
    TcpBootstrap b(options(r, 2, port));
    auto t = make_tcp(b, 300ms);
    Recorder rec;
    std::vector<std::byte> buf(16);
    if (r == 0) {
      t->post_recv(1, {buf.data(), buf.size()}, 1, rec, 1);
      try {
        progress_until(*t, rec, 1);
      } catch (...) {
        b.barrier();
        throw;
      }
    } else {
      b.barrier();  // alive, but never sends
    }
  });
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(errors[0] ==
        "rank 0: nothing moved for 300 ms; waiting for rank 1 (1 receive(s), 0 send(s)), which "
        "stopped or waits in turn for a rank that did");
  CHECK(errors[1].empty());
}

TEST_CASE("tcp transport: the Executor runs collectives on 3 ranks, byte-exact, twice",
          "[hw][tcp]") {
  struct Case {
    CollectiveOp op;
    const char* algorithm;
    std::uint64_t count;
  };
  for (const Case& c :
       {Case{CollectiveOp::kAllReduce, "ring", 1001},
        Case{CollectiveOp::kAllReduce, "halving_doubling", 77},
        Case{CollectiveOp::kAllToAll, "bruck", 5}, Case{CollectiveOp::kAllGather, "direct", 13}}) {
    const std::uint16_t port = free_port();
    CollectiveRequest request;
    request.op = c.op;
    request.algorithm = c.algorithm;
    request.nranks = 3;
    request.count = c.count;
    request.slice_bytes = 1024;  // pipelined: several messages per step
    std::vector<std::uint64_t> wrong(3, 0);
    const auto errors = run_ranks(3, [&](std::int32_t r) {
      const Schedule s = generate_rank(request, r);
      const auto& program = s.ranks[static_cast<std::size_t>(r)];
      const std::uint64_t esize = s.element_size();
      std::vector<std::byte> in(program.input_count * esize), out(program.output_count * esize),
          scratch(program.scratch_count * esize + 1), want(out.size());
      local::fill_input(s, r, in);
      local::expected_output(s, r, want);
      TcpBootstrap b(options(r, 3, port));
      auto t = make_tcp(b, 5000ms);
      struct Zero final : Clock {
        std::int64_t now_ps() const override { return 0; }
      } clock;
      Executor ex(r, s, *t, {in.data(), out.data(), scratch.data()}, clock);
      for (int iteration = 0; iteration < 2; ++iteration) {
        std::fill(out.begin(), out.end(), std::byte{0});
        if (ex.started()) ex.reset();
        ex.start();
        while (!ex.done())
          t->progress();
        wrong[static_cast<std::size_t>(r)] += out == want ? 0U : 1U;
      }
      b.barrier();
    });
    INFO(to_string(c.op) << " " << c.algorithm);
    for (std::int32_t r = 0; r < 3; ++r) {
      CHECK(errors[static_cast<std::size_t>(r)].empty());
      CHECK(wrong[static_cast<std::size_t>(r)] == 0);
    }
  }
}

TEST_CASE("transport factory: tcp by name, unknown names rejected, verbs reported when absent",
          "[hw][tcp]") {
  CHECK(available_backends().front() == "tcp");
  TransportOptions o;
  o.backend = "carrier-pigeon";
  const std::uint16_t port = free_port();
  TcpBootstrap b(options(0, 1, port));
  CHECK_THROWS_AS(make_transport(o, b), std::invalid_argument);
  o.backend = "tcp";
  o.bind_address = b.reachable_address();
  CHECK(make_transport(o, b)->name() == "tcp");
  if (!verbs_backend_built()) {
    o.backend = "verbs";
    CHECK_THROWS_WITH(make_transport(o, b),
                      Catch::Matchers::Contains("verbs backend is not built"));
  }
}
