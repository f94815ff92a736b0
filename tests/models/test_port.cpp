// Port + link: serialisation, propagation, priorities and PFC pause honoured.
#include <catch2/catch.hpp>

#include "tests/models/fabric_test_helpers.hpp"

using namespace fabricsim;
using namespace fabricsim::models;
using sim::Time;

namespace {
Packet* make(PacketPool& pool, std::uint32_t wire, std::uint8_t prio, std::uint32_t psn) {
  Packet* p = pool.alloc();
  p->kind = PacketKind::kData;
  p->wire_bytes = wire;
  p->priority = prio;
  p->psn = psn;
  return p;
}
}  // namespace

TEST_CASE("port serialises back to back and delivers after the link delay") {
  sim::Simulator sim;
  PacketPool pool;
  test::SinkNode a(sim, pool, 1), b(sim, pool, 1);
  LinkParams link;  // 100 Gb/s, 1 us
  test::wire(a, 0, b, 0, link);
  for (std::uint32_t i = 0; i < 3; ++i)
    a.port(0).enqueue(make(pool, 1000, 1, i));
  CHECK(a.port(0).queue_bytes() == 2000);  // the first is on the wire
  sim.run();
  REQUIRE(b.log.size() == 3);
  // 1000 B at 100 Gb/s = 80 ns each.
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(b.log[i].first == Time::ns(80) * static_cast<std::int64_t>(i + 1) + Time::us(1));
    CHECK(b.log[i].second.psn == i);
  }
  CHECK(a.port(0).tx_packets() == 3);
  CHECK(a.port(0).tx_bytes() == 3000);
  CHECK(a.port(0).max_queue_bytes() == 2000);
  CHECK(pool.live() == 0);
  // One event per packet (its arrival) plus one kick per packet that had to wait.
  CHECK(sim.events_processed() == 5);
}

TEST_CASE("strict priority: class 0 overtakes queued class 1") {
  sim::Simulator sim;
  PacketPool pool;
  test::SinkNode a(sim, pool, 1), b(sim, pool, 1);
  test::wire(a, 0, b, 0, LinkParams{});
  a.port(0).enqueue(make(pool, 1000, 1, 0));
  a.port(0).enqueue(make(pool, 1000, 1, 1));
  a.port(0).enqueue(make(pool, 64, 0, 2));
  sim.run();
  REQUIRE(b.log.size() == 3);
  CHECK(b.log[0].second.psn == 0);
  CHECK(b.log[1].second.psn == 2);
  CHECK(b.log[2].second.psn == 1);
}

TEST_CASE("a PAUSE stops one priority for quanta x 512 bit times, RESUME restarts it") {
  sim::Simulator sim;
  PacketPool pool;
  test::SinkNode a(sim, pool, 1), b(sim, pool, 1);
  test::wire(a, 0, b, 0, LinkParams{});
  // 1000 quanta at 100 Gb/s = 512,000 bits = 5.12 us.
  a.port(0).on_pause_frame(1, 1000);
  CHECK(a.port(0).paused(1));
  CHECK_FALSE(a.port(0).paused(0));
  a.port(0).enqueue(make(pool, 1000, 1, 0));
  a.port(0).enqueue(make(pool, 1000, 0, 1));
  sim.run();
  REQUIRE(b.log.size() == 2);
  CHECK(b.log[0].second.psn == 1);  // class 0 was not paused
  CHECK(b.log[0].first == Time::ns(80) + Time::us(1));
  CHECK(b.log[1].first == Time::ps(5'120'000) + Time::ns(80) + Time::us(1));
  CHECK(a.port(0).pause_frames_received() == 1);

  // A RESUME (0 quanta) before expiry releases the queue at once.
  a.port(0).on_pause_frame(1, 0xFFFF);
  a.port(0).enqueue(make(pool, 1000, 1, 7));
  sim.run_until(sim.now() + Time::us(10));
  CHECK(b.log.size() == 2);
  const Time resume_at = sim.now();
  a.port(0).on_pause_frame(1, 0);
  sim.run();
  REQUIRE(b.log.size() == 3);
  CHECK(b.log[2].first == resume_at + Time::ns(80) + Time::us(1));
}

TEST_CASE("a lossy link drops about loss_rate of the packets") {
  sim::Simulator sim(7);
  PacketPool pool;
  test::SinkNode a(sim, pool, 1), b(sim, pool, 1);
  LinkParams link;
  link.loss_rate = 0.1;
  test::wire(a, 0, b, 0, link);
  for (std::uint32_t i = 0; i < 10000; ++i)
    a.port(0).enqueue(make(pool, 100, 1, i));
  sim.run();
  CHECK(a.port(0).lost_packets() + b.log.size() == 10000);
  CHECK(a.port(0).lost_packets() > 880);  // binomial(10000, 0.1): sd 30
  CHECK(a.port(0).lost_packets() < 1120);
  CHECK(pool.live() == 0);
}
