// The verbs transport's parts that need no RDMA device: the automatic GID choice, message
// splitting, the error without a device, and the thread Bootstrap of the verbs test driver.
// The transport itself runs against soft-RoCE in the VM test (ctest verbs_vm).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/hw/thread_bootstrap.hpp"
#include "workloads/transports/hw/verbs_transport.hpp"

using namespace fabricsim;
using workloads::hw::GidEntry;
using workloads::hw::TransportError;

namespace {

GidEntry gid(std::uint32_t index, GidEntry::Type type, std::vector<std::uint8_t> tail) {
  GidEntry e;
  e.index = index;
  e.type = type;
  std::copy(tail.begin(), tail.end(), e.gid.end() - static_cast<std::ptrdiff_t>(tail.size()));
  return e;
}

GidEntry link_local(std::uint32_t index, GidEntry::Type type) {
  GidEntry e = gid(index, type, {0x74, 0x1f, 0x76, 0xff, 0xfe, 0xf4, 0xee, 0x72});
  e.gid[0] = 0xfe;
  e.gid[1] = 0x80;
  return e;
}

GidEntry ipv4(std::uint32_t index, GidEntry::Type type) {
  return gid(index, type, {0xff, 0xff, 192, 0, 2, 1});
}

}  // namespace

TEST_CASE("verbs GID choice: IPv4-mapped RoCE v2 first, then any v2, then v1; IB uses 0",
          "[hw][verbs]") {
  using T = GidEntry::Type;
  using workloads::hw::choose_gid_index;
  // soft-RoCE: 0 = IPv6 link-local, 1 = ::ffff:192.0.2.1, both RoCE v2.
  const std::vector<GidEntry> rxe = {link_local(0, T::kRoceV2), ipv4(1, T::kRoceV2)};
  CHECK(choose_gid_index(rxe, true, "rxe0") == 1);
  // A ConnectX port lists each address as v1 and v2: the v2 IPv4 entry wins over the v1 one.
  const std::vector<GidEntry> cx = {link_local(0, T::kRoceV1), link_local(1, T::kRoceV2),
                                    ipv4(2, T::kRoceV1), ipv4(3, T::kRoceV2)};
  CHECK(choose_gid_index(cx, true, "mlx5_0") == 3);
  // No IPv4 address: the first v2 entry; only v1 entries: the first v1.
  CHECK(
      choose_gid_index(std::vector<GidEntry>{link_local(0, T::kRoceV1), link_local(4, T::kRoceV2)},
                       true, "d") == 4);
  CHECK(choose_gid_index(std::vector<GidEntry>{ipv4(2, T::kRoceV1)}, true, "d") == 2);
  // InfiniBand: index 0 whatever the table holds.
  CHECK(choose_gid_index(std::vector<GidEntry>{gid(0, T::kIb, {1})}, false, "mlx5_1") == 0);
  // An Ethernet port without addresses cannot be used: the error names the device.
  try {
    choose_gid_index(std::vector<GidEntry>{}, true, "rxe7");
    FAIL("expected TransportError");
  } catch (const TransportError& e) {
    CHECK_THAT(e.what(), Catch::Contains("rxe7") && Catch::Contains("GID"));
  }
}

TEST_CASE("verbs message splitting: parts of at most the device's message size", "[hw][verbs]") {
  using workloads::hw::message_parts;
  CHECK(message_parts(0, 8000) == 1);  // an empty message is one zero-length write with imm
  CHECK(message_parts(1, 8000) == 1);
  CHECK(message_parts(8000, 8000) == 1);
  CHECK(message_parts(8001, 8000) == 2);
  CHECK(message_parts(24000, 8000) == 3);
  CHECK(message_parts(1ull << 33, 1ull << 31) == 4);
}

TEST_CASE("verbs transport: a missing device is a clear TransportError", "[hw][verbs]") {
  tests::Rendezvous rendezvous(1);
  tests::ThreadBootstrap bootstrap(rendezvous, 0);
  workloads::hw::VerbsOptions options;
  options.device = "fabricsim_no_such_device";
  try {
    workloads::hw::make_verbs_transport(options, bootstrap);
    FAIL("expected TransportError");
  } catch (const TransportError& e) {
    CHECK_THAT(e.what(), Catch::StartsWith("verbs: no RDMA device"));
  }
}

TEST_CASE("thread bootstrap: allgather in rank order, barrier, abort and timeout", "[hw]") {
  constexpr int n = 3;
  tests::Rendezvous rendezvous(n);
  std::vector<std::vector<std::byte>> got(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      tests::ThreadBootstrap b(rendezvous, r);
      for (int round = 0; round < 50; ++round) {
        const std::byte mine[2] = {std::byte(r), std::byte(round)};
        got[static_cast<std::size_t>(r)] = b.allgather(mine);
        b.barrier();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  for (const auto& g : got) {
    REQUIRE(g.size() == 2 * n);
    for (int r = 0; r < n; ++r) {
      CHECK(g[2 * static_cast<std::size_t>(r)] == std::byte(r));
      CHECK(g[2 * static_cast<std::size_t>(r) + 1] == std::byte(49));
    }
  }

  // A rank that fails wakes the ones waiting with its message.
  tests::Rendezvous two(2);
  std::atomic<bool> threw{false};
  std::thread waiter([&] {
    tests::ThreadBootstrap b(two, 0);
    try {
      b.barrier();
    } catch (const TransportError& e) {
      threw = std::string(e.what()).find("rank 1 died") != std::string::npos;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  two.abort("rank 1 died");
  waiter.join();
  CHECK(threw);

  // A peer that never comes: an error after the timeout, not a hang.
  tests::Rendezvous lonely(2, std::chrono::milliseconds(50));
  tests::ThreadBootstrap b(lonely, 0);
  CHECK_THROWS_AS(b.barrier(), TransportError);
}
