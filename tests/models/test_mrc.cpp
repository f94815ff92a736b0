// MRC (nic.transport mrc) and trimming: EV spread and choice, EV swap / retirement / probe,
// the sender's scoreboard and the receiver's placement window, trimming at the threshold, NACK ->
// selective resend of exactly the trimmed packet, out-of-order placement over two planes, the
// retransmit timer, and exactly-once delivery under trimming and random loss for many seeds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "models/mrc/ev_set.hpp"
#include "models/mrc/scoreboard.hpp"
#include "tests/models/fabric_test_helpers.hpp"

using namespace fabricsim;
using namespace fabricsim::models;
using sim::Time;

namespace {
NicParams mrc_nic() {
  NicParams p = test::nic_without_cc();
  p.transport = NicTransport::kMrc;
  return p;
}
constexpr std::uint32_t kAllPlanes = 0xFFFFFFFF;
}  // namespace

TEST_CASE("MRC EVs: spread evenly over the planes, the same for the same seed") {
  EvSet a;
  a.init(128, 8, 42);
  std::map<std::uint32_t, int> per_plane;
  std::set<std::uint16_t> values;
  for (std::uint32_t s = 0; s < a.size(); ++s) {
    ++per_plane[a.plane(s)];
    values.insert(a.ev(s));
  }
  CHECK(per_plane.size() == 8);
  for (const auto& [plane, n] : per_plane)
    CHECK(n == 16);
  CHECK(values.size() >= 120);  // 16-bit values drawn at random: a few collisions at most
  EvSet b;
  b.init(128, 8, 42);
  EvSet c;
  c.init(128, 8, 43);
  int same_b = 0;
  int same_c = 0;
  for (std::uint32_t s = 0; s < 128; ++s) {
    same_b += a.ev(s) == b.ev(s) ? 1 : 0;
    same_c += a.ev(s) == c.ev(s) ? 1 : 0;
  }
  CHECK(same_b == 128);
  CHECK(same_c < 8);
  // Consecutive picks go round the planes: 8 picks cover all 8.
  std::set<std::uint32_t> planes;
  bool probe = false;
  for (int i = 0; i < 8; ++i)
    planes.insert(a.plane(a.pick(kAllPlanes, kAllPlanes, Time::zero(), Time::us(10), probe)));
  CHECK(planes.size() == 8);
  CHECK_THROWS(a.init(4, 8, 1));  // fewer EVs than planes
}

TEST_CASE("MRC EV choice: planes in turn; a lost EV is retired until its probe revives it") {
  EvSet s;
  s.init(8, 2, 7);
  bool probe = false;
  // The QP's turn is on a plane whose port is busy: it waits (it does not take the other one).
  const std::uint32_t turn = s.next_plane(kAllPlanes, Time::zero());
  REQUIRE(turn == 0);  // init's first_plane
  CHECK(s.pick(kAllPlanes, 1U << (1 - turn), Time::zero(), Time::us(50), probe) == EvSet::kNone);
  // Plane 0's port is down: every pick is on plane 1.
  for (int i = 0; i < 10; ++i) {
    const std::uint32_t k = s.pick(1U << 1, 1U << 1, Time::zero(), Time::us(50), probe);
    REQUIRE(k != EvSet::kNone);
    CHECK(s.plane(k) == 1);
    CHECK_FALSE(probe);
  }
  CHECK(s.pick(0, 0, Time::zero(), Time::us(50), probe) == EvSet::kNone);
  // Both up and free: the planes alternate.
  const std::uint32_t first = s.pick(kAllPlanes, kAllPlanes, Time::zero(), Time::us(50), probe);
  const std::uint32_t second = s.pick(kAllPlanes, kAllPlanes, Time::zero(), Time::us(50), probe);
  CHECK(s.plane(first) != s.plane(second));
  // Retire slot 3 (plane 1) at t = 0: it is skipped while its probe is not due.
  s.on_loss(3, s.ev(3), Time::zero(), Time::us(50));
  CHECK(s.retired(3));
  CHECK(s.retired_count() == 1);
  CHECK(s.next_probe() == Time::us(50));
  for (int i = 0; i < 12; ++i)
    CHECK(s.pick(kAllPlanes, kAllPlanes, Time::us(10), Time::us(50), probe) != 3);
  // Stale feedback (another EV than the slot's) changes nothing.
  s.on_loss(5, static_cast<std::uint16_t>(s.ev(5) + 1), Time::zero(), Time::us(50));
  CHECK_FALSE(s.retired(5));
  // At 50 us slot 3 is probed once, then waits another probe_after.
  int probes = 0;
  for (int i = 0; i < 16; ++i) {
    const std::uint32_t k = s.pick(kAllPlanes, kAllPlanes, Time::us(50), Time::us(50), probe);
    if (k == 3) {
      CHECK(probe);
      ++probes;
    }
  }
  CHECK(probes == 1);
  CHECK(s.counters().probes == 1);
  s.on_delivered(3, s.ev(3), Time::us(-1));  // sent before the loss: no evidence
  CHECK(s.retired(3));
  s.on_delivered(3, s.ev(3), Time::us(50));  // the probe came back
  CHECK_FALSE(s.retired(3));
  CHECK(s.counters().revivals == 1);
  // Congestion swaps the EV for a fresh one; feedback on the old value is then stale.
  const std::uint16_t old = s.ev(2);
  s.on_congestion(2, old);
  CHECK(s.ev(2) != old);
  CHECK(s.counters().swaps == 1);
  s.on_congestion(2, old);
  CHECK(s.counters().swaps == 1);
  s.on_loss(2, old, Time::zero(), Time::us(50));
  CHECK_FALSE(s.retired(2));
}

TEST_CASE("MRC scoreboard: exactly the lost PSNs are resent, once each") {
  SendScoreboard b;
  for (std::uint32_t p = 0; p < 10; ++p)
    b.on_send(p, Time::us(p), static_cast<std::uint16_t>(p % 4),
              static_cast<std::uint16_t>(100 + p));
  CHECK(b.in_flight() == 10);
  SentPacket s;
  CHECK(b.acknowledge(2, &s));
  CHECK(s.ev == 102);
  CHECK_FALSE(b.acknowledge(2, &s));  // once
  CHECK(b.mark_lost(4));
  CHECK_FALSE(b.mark_lost(4));  // already lost
  CHECK_FALSE(b.mark_lost(2));  // acknowledged
  CHECK(b.mark_lost(7));
  CHECK(b.in_flight() == 7);
  std::uint32_t psn = 0;
  REQUIRE(b.front_resend(psn));
  CHECK(psn == 4);
  b.pop_resend();
  b.on_send(4, Time::us(20), 1, 200);  // resent
  // 7 was acknowledged after all (a late ACK of the first copy): not resent.
  CHECK(b.acknowledge(7, nullptr));
  CHECK_FALSE(b.front_resend(psn));
  CHECK_FALSE(b.resend_pending());
  // The timer: in flight and sent at or before 5 us: 0, 1, 3, 5 (2 acked, 4 resent at 20 us).
  std::vector<std::uint32_t> out;
  const Time next = b.expired(Time::us(5), out);
  CHECK(out == std::vector<std::uint32_t>{0, 1, 3, 5});
  CHECK(next == Time::us(6));
  // The cumulative ACK covers 0..5: 2 was acked, the rest newly.
  CHECK(b.advance(6) == 5);
  CHECK(b.una() == 6);
  CHECK(b.in_flight() == 3);  // 6, 8 and 9 (7 was acknowledged)
}

TEST_CASE("MRC placement: out-of-order packets complete in PSN order, each once") {
  PlacementWindow w;
  CHECK(w.place(3, 30, 0, 9, 64));
  CHECK(w.place(1, 10, 0, 9, 64));
  CHECK_FALSE(w.place(3, 30, 0, 9, 64));  // duplicate
  PlacedPacket p;
  CHECK_FALSE(w.pop(p));  // 0 is missing
  CHECK(w.place(0, 5, kFlagFirst, 9, 64));
  std::vector<std::uint32_t> payloads;
  while (w.pop(p))
    payloads.push_back(p.payload);
  CHECK(payloads == std::vector<std::uint32_t>{5, 10});
  CHECK(w.next() == 2);
  CHECK_FALSE(w.place(1, 10, 0, 9, 64));  // below the cumulative point: a duplicate
  CHECK(w.place(2, 20, kFlagLast, 9, 64));
  CHECK(w.pop(p));
  CHECK(p.flags == kFlagLast);
  CHECK(w.pop(p));
  CHECK(p.payload == 30);
  // Far beyond the window (a ring of 16 grows to hold it).
  CHECK(w.place(100, 1, 0, 9, 1000));
  CHECK_FALSE(w.place(5000, 1, 0, 9, 1000));  // beyond the limit
}

namespace {
// test::OneSwitch with its port 1's class-1 queue paused: data waits there.
struct TrimSwitch : test::OneSwitch {
  explicit TrimSwitch(const SwitchParams& p) : test::OneSwitch(p) {
    sw.port(1).pause_until(1, Time::ms(1));
  }
};
}  // namespace

TEST_CASE("trimming at the threshold: the packet that would pass it goes on as a class-0 header") {
  SwitchParams p;
  p.pfc.enabled = false;
  p.trim.enabled = true;
  p.trim.threshold_bytes = 5'000;
  TrimSwitch t(p);
  // 5 x 1000 B reach the threshold exactly (not past it); the 6th would pass it.
  for (std::uint32_t k = 0; k < 7; ++k)
    t.inject(k);
  CHECK(t.sw.counters().trims == 2);
  CHECK(t.sw.port(1).queue_bytes(1) == 5'000);
  CHECK(t.sw.port(1).queue_bytes(0) == 64U);  // the other header is on the wire already
  t.sim.run();
  // The headers (class 0, not paused) left first; the payloads after the pause.
  REQUIRE(t.down.log.size() == 7);
  for (int i = 0; i < 2; ++i) {
    const Packet& h = t.down.log[static_cast<std::size_t>(i)].second;
    CHECK(h.psn == static_cast<std::uint32_t>(5 + i));
    CHECK((h.flags & kFlagTrimmed) != 0);
    CHECK(h.wire_bytes == 64);
    CHECK(h.priority == 0);
  }
  CHECK((t.down.log[2].second.flags & kFlagTrimmed) == 0);
  CHECK(t.sw.counters().drops[static_cast<std::size_t>(DropReason::kStaticLimit)] == 0);
}

TEST_CASE("trimming instead of dropping: what the static limit refuses is forwarded as headers") {
  SwitchParams p;
  p.pfc.enabled = false;
  p.queue_limit_bytes = 20'000;
  SECTION("trimming off: dropped") {
    TrimSwitch t(p);
    for (std::uint32_t k = 0; k < 30; ++k)
      t.inject(k);
    CHECK(t.sw.counters().drops[static_cast<std::size_t>(DropReason::kStaticLimit)] == 10);
    CHECK(t.sw.counters().trims == 0);
  }
  SECTION("trimming on: trimmed") {
    p.trim.enabled = true;
    TrimSwitch t(p);
    for (std::uint32_t k = 0; k < 30; ++k)
      t.inject(k);
    CHECK(t.sw.counters().drops[static_cast<std::size_t>(DropReason::kStaticLimit)] == 0);
    CHECK(t.sw.counters().trims == 10);
    t.sim.run();
    CHECK(t.down.log.size() == 30);
  }
}

namespace {
// NIC 0 -- relay(s) -- NIC 1: one relay per plane; plane q's links have delay `delays[q]`.
struct MrcPair {
  sim::Simulator sim{5};
  Fabric f{sim};
  std::vector<std::unique_ptr<test::RelayNode>> relays;
  test::RecordingObserver obs;
  MrcPair(const NicParams& np, std::vector<Time> delays) {
    const auto planes = static_cast<std::uint16_t>(delays.size());
    f.add_nic(np, planes);
    f.add_nic(np, planes);
    for (std::uint16_t q = 0; q < planes; ++q) {
      relays.push_back(std::make_unique<test::RelayNode>(sim, f.pool()));
      LinkParams link;
      link.delay = delays[q];
      test::wire(f.nic(0), q, *relays.back(), 0, link);
      test::wire(f.nic(1), q, *relays.back(), 1, link);
    }
    f.set_observer(&obs);
  }
  // Data packets towards NIC 1, in arrival order at NIC 1's side of the relays.
  std::vector<std::pair<Time, Packet>> data() const {
    std::vector<std::pair<Time, Packet>> out;
    for (const auto& r : relays) {
      for (const auto& e : r->log) {
        if (e.second.kind == PacketKind::kData) out.push_back(e);
      }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }
};
}  // namespace

TEST_CASE("MRC over two planes of different delays: out of order, each message once") {
  MrcPair t(mrc_nic(), {Time::us(1), Time::us(4)});
  t.f.send_message(0, 1, 40 * 4096, 0, 7);
  t.f.send_message(0, 1, 3 * 4096 + 100, 0, 8);
  t.sim.run();
  REQUIRE(t.obs.received.size() == 2);
  CHECK(t.obs.received.at({0, 7}).count == 1);
  CHECK(t.obs.received.at({0, 7}).bytes == 40 * 4096);
  CHECK(t.obs.received.at({0, 8}).count == 1);
  CHECK(t.obs.received.at({0, 8}).bytes == 3 * 4096 + 100);
  CHECK(t.obs.received.at({0, 7}).t < t.obs.received.at({0, 8}).t);
  // Both planes carried data, and PSNs arrived out of order.
  CHECK(t.f.nic(0).port_at(0).tx_bytes() > 0);
  CHECK(t.f.nic(0).port_at(1).tx_bytes() > 0);
  const auto data = t.data();
  bool reordered = false;
  for (std::size_t i = 1; i < data.size(); ++i)
    reordered = reordered || data[i].second.psn < data[i - 1].second.psn;
  CHECK(reordered);
  const NicCounters& tx = t.f.nic(0).counters();
  CHECK(tx.retransmissions == 0);
  CHECK(tx.messages_sent == 2);
  CHECK(t.f.nic(1).counters().bytes_delivered == 43 * 4096 + 100);
  CHECK(t.f.pool().live() == 0);
}

TEST_CASE("MRC: a trimmed packet is NACKed and exactly it is sent again") {
  MrcPair t(mrc_nic(), {Time::us(1)});
  int trimmed = 0;
  t.relays[0]->filter = [&trimmed](Packet& p, std::uint16_t in) {
    if (in == 0 && p.kind == PacketKind::kData && p.psn == 5 && trimmed == 0) {
      ++trimmed;
      p.flags |= kFlagTrimmed;
      p.wire_bytes = 64;
    }
    return true;
  };
  t.f.send_message(0, 1, 20 * 4096, 0, 9);
  t.sim.run();
  REQUIRE(t.obs.received.size() == 1);
  CHECK(t.obs.received.begin()->second.count == 1);
  CHECK(t.obs.received.begin()->second.bytes == 20 * 4096);
  const NicCounters& rx = t.f.nic(1).counters();
  const NicCounters& tx = t.f.nic(0).counters();
  CHECK(rx.trims_received == 1);
  CHECK(rx.nacks_sent == 1);
  CHECK(tx.nacks_received == 1);
  CHECK(tx.retransmissions == 1);
  CHECK(tx.timeouts == 0);
  CHECK(tx.data_packets_sent == 21);
  // PSNs 0..19 once each, and 5 once more after the NACK.
  std::multiset<std::uint32_t> psns;
  for (const auto& [at, p] : t.data())
    psns.insert(p.psn);
  for (std::uint32_t k = 0; k < 20; ++k)
    CHECK(psns.count(k) == (k == 5 ? 2U : 1U));
  // The EV the trimmed packet took was swapped (congestion).
  CHECK(t.f.nic(0).ev_counters().swaps == 1);
}

TEST_CASE("MRC: a lost packet retires its EV, its timer resends exactly it, a probe revives it") {
  NicParams np = mrc_nic();
  np.mrc.rto = Time::us(20);
  np.mrc.probe_after = Time::us(40);
  np.mrc.evs = 4;
  MrcPair t(np, {Time::us(1)});
  int dropped = 0;
  t.relays[0]->filter = [&dropped](Packet& p, std::uint16_t in) {
    if (in == 0 && p.kind == PacketKind::kData && p.psn == 3 && dropped == 0) {
      ++dropped;
      return false;
    }
    return true;
  };
  // ~1,000 packets: 330 us at 100 Gb/s, long enough for the retired EV's probe.
  t.f.send_message(0, 1, 1000 * 4096, 0, 1);
  t.sim.run();
  REQUIRE(t.obs.received.size() == 1);
  CHECK(t.obs.received.begin()->second.bytes == 1000 * 4096);
  const NicCounters& tx = t.f.nic(0).counters();
  CHECK(tx.packet_timeouts == 1);
  CHECK(tx.retransmissions == 1);
  const EvCounters ev = t.f.nic(0).ev_counters();
  CHECK(ev.retirements == 1);
  CHECK(ev.probes >= 1);
  CHECK(ev.revivals == 1);
  CHECK(t.f.counters().qp_errors == 0);
}

TEST_CASE("MRC: a peer that never answers puts the QP in error after retry_count + 1 periods") {
  NicParams np = mrc_nic();
  np.mrc.rto = Time::us(20);
  np.retry_count = 3;
  MrcPair t(np, {Time::us(1)});
  t.relays[0]->filter = [](Packet& p, std::uint16_t in) {
    return !(in == 0 && p.kind == PacketKind::kData);
  };
  t.f.send_message(0, 1, 10 * 4096, 0, 1);
  t.sim.run();
  CHECK(t.obs.received.empty());
  REQUIRE(t.f.nic(0).qp_errors().size() == 1);
  const QpErrorRecord& e = t.f.nic(0).qp_errors()[0];
  CHECK(e.timeouts == 4);
  CHECK(e.timeout == Time::us(20));
  // Four silent periods of 20 us (and the probes' waits) at most: it ends, never hangs.
  CHECK(e.at < Time::us(400));
}

TEST_CASE("MRC delivers every byte of every message exactly once under trimming and loss") {
  std::uint64_t trims = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    sim::Simulator sim{seed};
    Fabric f(sim);
    LinkParams link;
    link.loss_rate = 0.002;
    SwitchParams sp;
    sp.pfc.enabled = false;
    sp.trim.enabled = true;
    sp.buffer_bytes = 256 * 1024;
    NicParams np = mrc_nic();
    np.mrc.rto = Time::us(60);
    test::make_leaf_spine(f, 4, 2, 2, link, sp, np);
    test::RecordingObserver obs;
    f.set_observer(&obs);
    sim::Rng rng = sim.make_rng(99);
    std::map<std::pair<EndpointId, std::uint64_t>, std::uint64_t> sent;
    std::uint64_t total = 0;
    std::uint64_t cookie = 0;
    for (EndpointId s = 0; s < 8; ++s) {
      for (EndpointId d = 0; d < 8; ++d) {
        if (s == d) continue;
        const std::uint64_t bytes = 1 + static_cast<std::uint64_t>(rng.uniform() * 200'000);
        f.send_message(s, d, bytes, 0, ++cookie);
        sent[{s, cookie}] = bytes;
        total += bytes;
      }
    }
    sim.run();
    INFO("seed " << seed);
    CHECK(f.counters().qp_errors == 0);
    CHECK(f.counters().bytes_delivered == total);
    REQUIRE(obs.received.size() == sent.size());
    for (const auto& [key, bytes] : sent) {
      const auto& r = obs.received.at(key);
      CHECK(r.count == 1);
      CHECK(r.bytes == bytes);
    }
    CHECK(obs.sent.size() == sent.size());
    for (std::uint32_t s = 0; s < f.switch_count(); ++s)
      trims += f.switch_at(s).counters().trims;
    CHECK(f.counters().drops > 0);  // the links lose packets
    CHECK(f.pool().live() == 0);
  }
  CHECK(trims > 0);  // the incasts of the all-to-all overflow the small buffers
}

TEST_CASE(
    "MRC structured EVs: consecutive per plane from a multiple of their count; the NIC's "
    "rotor takes consecutive paths across QPs") {
  EvSet a;
  a.init(16, 2, 11, true);
  EvSet b;
  b.init(16, 2, 12, true);
  for (std::uint32_t s = 0; s < 16; ++s) {
    // Slot s is EV k = s / 2 of plane s % 2: the same k mod 8 in every QP.
    CHECK(a.ev(s) % 8 == s / 2);
    CHECK(b.ev(s) % 8 == s / 2);
  }
  // A swap keeps the path digit (ev mod 8).
  const std::uint16_t old = a.ev(4);
  a.on_congestion(4, old);
  CHECK(a.ev(4) == static_cast<std::uint16_t>(old + 8));
  // Alternating QPs on one plane with a shared rotor: paths 0, 1, 2, 3 ...
  std::uint32_t rotor[2] = {0, 0};
  bool probe = false;
  std::vector<std::uint32_t> paths;
  for (int i = 0; i < 8; ++i) {
    EvSet& q = i % 2 == 0 ? a : b;
    const std::uint32_t s = q.pick(1U, 1U, Time::zero(), Time::us(50), probe, rotor);
    REQUIRE(s != EvSet::kNone);
    paths.push_back(q.ev(s) % 8U);
  }
  CHECK(paths == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7});
}
