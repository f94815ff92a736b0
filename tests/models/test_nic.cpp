// RoCEv2 NIC: line-rate goodput and FCT on an idle path, go-back-N, RTO, the local ACK timeout and
// its retry count (the QP error state), CNP rate limit, ACK coalescing, round-robin between QPs,
// pacing and window limits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>

#include "tests/models/fabric_test_helpers.hpp"

using namespace fabricsim;
using namespace fabricsim::models;
using sim::Time;

TEST_CASE("one flow on an idle 2-hop path: goodput >= 97% of line rate, FCT within 1%") {
  sim::Simulator sim;
  Fabric f(sim);
  LinkParams link;  // 100 Gb/s, 1 us, MTU 4096
  SwitchParams sp;  // store and forward, 300 ns
  const NicParams np = test::nic_without_cc();
  test::make_star(f, 2, link, sp, np);
  test::RecordingObserver obs;
  f.set_observer(&obs);
  constexpr std::uint64_t kBytes = 4'000'000;
  f.send_message(0, 1, kBytes, 0, 42);
  sim.run();

  REQUIRE(obs.received.size() == 1);
  const auto& r = obs.received.begin()->second;
  CHECK(r.count == 1);
  CHECK(r.bytes == kBytes);
  CHECK(r.src == 0);
  CHECK(r.dst == 1);
  // Expected: the bytes at the line rate net of headers, plus the path latency of a full
  // packet (its serialisation at the switch, two link delays, the switch latency).
  const double rate = static_cast<double>(link.rate_bps);
  const double net_rate = rate * link.mtu_bytes / (link.mtu_bytes + np.header_bytes);
  const double path_s = 2 * link.delay.seconds() + sp.latency.seconds() +
                        (link.mtu_bytes + np.header_bytes) * 8.0 / rate;
  const double expected_s = static_cast<double>(kBytes) * 8.0 / net_rate + path_s;
  const double fct_s = r.t.seconds();
  INFO("FCT " << fct_s * 1e6 << " us, expected " << expected_s * 1e6 << " us");
  CHECK(std::abs(fct_s - expected_s) < 0.01 * expected_s);
  const double goodput = static_cast<double>(kBytes) * 8.0 / fct_s;
  INFO("goodput " << goodput / 1e9 << " Gb/s");
  CHECK(goodput >= 0.97 * net_rate);

  // The sender completes when the last ACK is back; its FCT is on record.
  REQUIRE(f.flows().size() == 1);
  CHECK(f.flows()[0].end > r.t);
  CHECK(f.flows()[0].bytes == kBytes);
  CHECK(obs.sent.size() == 1);
  const FabricCounters c = f.counters();
  CHECK(c.drops == 0);
  CHECK(c.retransmissions == 0);
  CHECK(c.bytes_delivered == kBytes);
  // 977 data packets and 977 ACKs (ack_every = 1), two hops each.
  CHECK(c.packet_hops == 4 * 977);
  CHECK(f.pool().live() == 0);
}

namespace {
// NIC 0 -- relay -- NIC 1, wired by hand.
struct RelayPair {
  sim::Simulator sim{5};
  Fabric f{sim};
  test::RelayNode relay{sim, f.pool()};
  test::RecordingObserver obs;
  explicit RelayPair(const NicParams& np) {
    f.add_nic(np);
    f.add_nic(np);
    test::wire(f.nic(0), 0, relay, 0, LinkParams{});
    test::wire(f.nic(1), 0, relay, 1, LinkParams{});
    f.set_observer(&obs);
  }
  std::vector<std::uint32_t> data_psns() const {
    std::vector<std::uint32_t> out;
    for (const auto& [t, p] : relay.log) {
      if (p.kind == PacketKind::kData) out.push_back(p.psn);
    }
    return out;
  }
  std::size_t count(PacketKind kind) const {
    return static_cast<std::size_t>(
        std::count_if(relay.log.begin(), relay.log.end(),
                      [kind](const auto& e) { return e.second.kind == kind; }));
  }
};
}  // namespace

TEST_CASE("go-back-N: a lost packet is NACKed once and resent with everything after it") {
  RelayPair t(test::nic_without_cc());
  bool dropped = false;
  t.relay.filter = [&dropped](Packet& p, std::uint16_t) {
    if (p.kind == PacketKind::kData && p.psn == 4 && !dropped) {
      dropped = true;
      return false;
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
  CHECK(rx.nacks_sent == 1);
  CHECK(rx.bytes_delivered == 20 * 4096);
  CHECK(tx.timeouts == 0);
  CHECK(tx.retransmissions >= 1);
  CHECK(tx.data_packets_sent == 20 + tx.retransmissions);
  // The PSNs seen: 0..max once, then 4 again and an increasing run to 19.
  const std::vector<std::uint32_t> psns = t.data_psns();
  const auto again = std::find(psns.begin() + 5, psns.end(), 4U);
  REQUIRE(again != psns.end());
  for (std::uint32_t i = 0; i < static_cast<std::uint32_t>(again - psns.begin()); ++i) {
    CHECK(psns[i] == i);
  }
  std::uint32_t expect = 4;
  for (auto it = again; it != psns.end(); ++it)
    CHECK(*it == expect++);
  CHECK(expect == 20);
  CHECK(t.f.counters().messages_completed == 1);
}

TEST_CASE("a lost last packet is recovered by the RTO") {
  NicParams np = test::nic_without_cc();
  np.rto = Time::us(500);
  RelayPair t(np);
  bool dropped = false;
  t.relay.filter = [&dropped](Packet& p, std::uint16_t) {
    if (p.kind == PacketKind::kData && p.psn == 19 && !dropped) {
      dropped = true;
      return false;
    }
    return true;
  };
  t.f.send_message(0, 1, 20 * 4096, 0, 9);
  t.sim.run();
  REQUIRE(t.obs.received.size() == 1);
  CHECK(t.obs.received.begin()->second.count == 1);
  const auto& tx = t.f.nic(0).counters();
  CHECK(tx.timeouts == 1);
  CHECK(tx.retransmissions == 1);
  CHECK(t.f.nic(1).counters().nacks_sent == 0);
  // The timer runs from the last ACK that advanced (for PSN 18) and fires 500 us later.
  CHECK(t.obs.received.begin()->second.t > Time::us(500));
  CHECK(t.obs.received.begin()->second.t < Time::us(520));
}

TEST_CASE("the local ACK timeout is 4.096 us x 2^ack_timeout unless rto is set") {
  NicParams np;
  CHECK(np.ack_timeout == 20);  // NCCL_IB_TIMEOUT's default
  CHECK(np.retry_count == 7);   // NCCL_IB_RETRY_CNT's default
  CHECK(np.effective_rto() == Time::ns(4096) * (std::int64_t{1} << 20));  // 4.29 s
  np.ack_timeout = 14;
  CHECK(np.effective_rto() == Time::ps(67'108'864'000));  // 67.1 ms
  np.ack_timeout = 0;
  CHECK(np.effective_rto() == Time::max());  // infinite, as in the verbs specification
  np.rto = Time::us(100);
  CHECK(np.effective_rto() == Time::us(100));
}

TEST_CASE("retries run out: the QP goes to the error state after retry_count + 1 timeouts") {
  NicParams np = test::nic_without_cc();
  np.rto = Time::us(100);
  np.retry_count = 3;
  RelayPair t(np);
  // The path dies after PSN 4: nothing from PSN 5 on gets through, however often it is resent.
  t.relay.filter = [](Packet& p, std::uint16_t) {
    return !(p.kind == PacketKind::kData && p.psn >= 5);
  };
  t.f.send_message(0, 1, 20 * 4096, 0, 9);
  t.sim.run();  // ends: a failed QP arms no timer and sends nothing
  CHECK(t.obs.received.empty());
  CHECK(t.obs.sent.empty());
  const auto& tx = t.f.nic(0).counters();
  CHECK(tx.timeouts == 4);  // 3 retries, then the 4th timeout fails the QP
  CHECK(tx.qp_errors == 1);
  REQUIRE(t.f.nic(0).qp_errors().size() == 1);
  const QpErrorRecord& e = t.f.nic(0).qp_errors().front();
  CHECK(e.nic == 0);
  CHECK(e.peer == 1);
  CHECK(e.timeouts == 4);
  CHECK(e.timeout == Time::us(100));
  CHECK(e.unacked_bytes == 15 * 4096);
  CHECK(e.flushed_messages == 1);
  // The timer runs from the last ACK that advanced (PSN 4), then once per timeout.
  CHECK(e.at > Time::us(400));
  CHECK(e.at < Time::us(420));
  // A message posted to the failed QP is flushed, not sent.
  const auto sent_before = tx.data_packets_sent;
  t.f.send_message(0, 1, 4096, 0, 10);
  t.sim.run();
  CHECK(t.f.nic(0).counters().data_packets_sent == sent_before);
  CHECK(t.f.nic(0).qp_errors().front().flushed_messages == 2);
  CHECK(t.f.counters().qp_errors == 1);
  REQUIRE(t.f.qp_errors().size() == 1);
}

TEST_CASE("progress resets the retry count: separate losses never fail the QP") {
  NicParams np = test::nic_without_cc();
  np.rto = Time::us(100);
  np.retry_count = 1;
  // Only a timeout recovers a lost last packet. Two messages one after the other, each losing
  // its last packet once: two timeouts, but an ACK between them, so the QP lives.
  {
    RelayPair t(np);
    std::uint32_t drop_psn = 9;
    t.relay.filter = [&drop_psn](Packet& p, std::uint16_t) {
      if (p.kind != PacketKind::kData || p.psn != drop_psn) return true;
      drop_psn = 0xFFFFFFFF;
      return false;
    };
    t.f.send_message(0, 1, 10 * 4096, 0, 1);
    t.sim.run();
    drop_psn = 19;
    t.f.send_message(0, 1, 10 * 4096, 0, 2);
    t.sim.run();
    CHECK(t.f.nic(0).counters().timeouts == 2);
    CHECK(t.f.nic(0).counters().qp_errors == 0);
    CHECK(t.obs.received.size() == 2);
  }
  // The same last packet lost twice: two timeouts in a row, the second one fails the QP.
  {
    RelayPair t(np);
    int drops = 0;
    t.relay.filter = [&drops](Packet& p, std::uint16_t) {
      return !(p.kind == PacketKind::kData && p.psn == 9 && drops++ < 2);
    };
    t.f.send_message(0, 1, 10 * 4096, 0, 1);
    t.sim.run();
    CHECK(t.f.nic(0).counters().timeouts == 2);
    CHECK(t.f.nic(0).counters().qp_errors == 1);
    CHECK(t.obs.received.empty());
  }
}

TEST_CASE("CNPs: one per QP per cnp_interval for ECN-marked arrivals") {
  NicParams np = test::nic_without_cc();
  CHECK(np.cnp_interval == Time::us(4));  // ConnectX min_time_between_cnps
  np.cnp_interval = Time::us(50);
  RelayPair t(np);
  t.relay.filter = [](Packet& p, std::uint16_t) {
    if (p.kind == PacketKind::kData) p.ecn = Ecn::kCe;
    return true;
  };
  t.f.send_message(0, 1, 6'000'000, 0, 1);  // ~490 us at line rate
  t.sim.run();
  // Apply the rule to the times the data passed the relay (the receiver sees the same times,
  // shifted by a constant): a CNP at the first, then at the first >= 50 us after the last CNP.
  std::size_t expected = 0;
  Time last = Time::ps(-(1LL << 62));
  std::vector<Time> cnp_times;
  for (const auto& [time, p] : t.relay.log) {
    if (p.kind == PacketKind::kData && time - last >= Time::us(50)) {
      ++expected;
      last = time;
    }
    if (p.kind == PacketKind::kCnp) cnp_times.push_back(time);
  }
  CHECK(expected >= 9);
  CHECK(t.f.nic(1).counters().cnps_sent == expected);
  CHECK(t.f.nic(0).counters().cnps_received == expected);
  REQUIRE(cnp_times.size() == expected);
  for (std::size_t i = 1; i < cnp_times.size(); ++i) {
    CHECK(cnp_times[i] - cnp_times[i - 1] >= Time::us(50));
  }
}

TEST_CASE("CE echo on ACKs: every ACK of a marked packet carries it, and no CNP is sent") {
  NicParams np = test::nic_without_cc();
  np.ce_echo = models::CeEcho::kAck;
  RelayPair t(np);
  std::set<std::uint32_t> marked;  // PSNs marked on the way
  t.relay.filter = [&marked](Packet& p, std::uint16_t) {
    if (p.kind == PacketKind::kData && p.psn % 3 == 1) {
      p.ecn = Ecn::kCe;
      marked.insert(p.psn);
    }
    return true;
  };
  t.f.send_message(0, 1, 30 * 4096, 0, 1);
  t.sim.run();
  CHECK(t.count(PacketKind::kCnp) == 0);
  std::size_t echoes = 0;
  for (const auto& [time, p] : t.relay.log) {
    if (p.kind != PacketKind::kAck) continue;
    // An ACK carries rcv_nxt, one past the packet it acknowledges.
    const bool echo = (p.flags & models::kFlagCnp) != 0;
    CHECK(echo == (marked.count(p.psn - 1) == 1));
    if (echo) ++echoes;
  }
  CHECK(echoes == 10);
  CHECK(t.f.nic(1).counters().cnps_sent == 10);
  CHECK(t.f.nic(0).counters().cnps_received == 10);  // each one reached the reaction point
  CHECK(t.obs.received.size() == 1);
}

TEST_CASE("ACK coalescing: one ACK per ack_every packets and one at the end of a message") {
  for (const std::uint32_t every : {1U, 4U}) {
    NicParams np = test::nic_without_cc();
    np.ack_every = every;
    RelayPair t(np);
    t.f.send_message(0, 1, 18 * 4096, 0, 1);
    t.sim.run();
    CHECK(t.count(PacketKind::kData) == 18);
    CHECK(t.count(PacketKind::kAck) == (every == 1 ? 18U : 5U));  // 4, 8, 12, 16, 18
    CHECK(t.obs.sent.size() == 1);
  }
}

TEST_CASE("many QPs per NIC are served round-robin") {
  sim::Simulator sim;
  Fabric f(sim);
  test::make_star(f, 4, LinkParams{}, SwitchParams{}, test::nic_without_cc());
  test::RecordingObserver obs;
  f.set_observer(&obs);
  for (EndpointId dst = 1; dst <= 3; ++dst)
    f.send_message(0, dst, 100 * 4096, 0, dst);
  sim.run();
  REQUIRE(obs.received.size() == 3);
  CHECK(f.nic(0).qp_count() == 3);
  // Sharing one port, the three finish within a packet time or so of each other.
  std::vector<Time> ends;
  for (const auto& [key, r] : obs.received)
    ends.push_back(r.t);
  const auto [lo, hi] = std::minmax_element(ends.begin(), ends.end());
  CHECK(*hi - *lo < Time::ns(1000));
  CHECK(f.nic(0).qp_rate_bps(0) == 100'000'000'000ULL);
}

namespace {
// A congestion control with a fixed rate and window, for the scheduler tests.
class FixedCc final : public CongestionControl {
 public:
  FixedCc(std::uint64_t rate_bps, std::uint64_t window_bytes)
      : rate_(rate_bps), window_(window_bytes) {}
  std::uint64_t rate_bps(Time) override { return rate_; }
  std::uint64_t window_bytes() const override { return window_; }

 private:
  std::uint64_t rate_;
  std::uint64_t window_;
};
constexpr std::uint64_t kNoWindow = std::numeric_limits<std::uint64_t>::max();
}  // namespace

TEST_CASE("a QP paced below line rate leaves the rest of the port to the other QPs") {
  sim::Simulator sim;
  Fabric f(sim);
  test::make_star(f, 4, LinkParams{}, SwitchParams{}, test::nic_without_cc());
  int created = 0;
  // The first QP of NIC 0 (to host 1) at 10 Gb/s, the others at line rate.
  f.nic(0).set_cc_factory([&created](std::uint64_t line) -> std::unique_ptr<CongestionControl> {
    return std::make_unique<FixedCc>(created++ == 0 ? 10'000'000'000ULL : line, kNoWindow);
  });
  test::RecordingObserver obs;
  f.set_observer(&obs);
  for (EndpointId dst = 1; dst <= 3; ++dst)
    f.send_message(0, dst, 100 * 4096, 0, dst);
  sim.run();
  REQUIRE(obs.received.size() == 3);
  const double wire_bits = 100.0 * (4096 + 62) * 8;
  const auto done_us = [&](EndpointId dst) { return obs.received.at({0, dst}).t.microseconds(); };
  // 10 Gb/s for the paced QP; the other two share the remaining 90 Gb/s.
  CHECK(done_us(1) == Approx(wire_bits / 10e9 * 1e6).epsilon(0.02));
  CHECK(done_us(2) == Approx(wire_bits / 45e9 * 1e6).epsilon(0.05));
  CHECK(done_us(3) == Approx(wire_bits / 45e9 * 1e6).epsilon(0.05));
}

TEST_CASE("only QPs that send get a congestion control") {
  sim::Simulator sim;
  Fabric f(sim);
  test::make_star(f, 3, LinkParams{}, SwitchParams{}, test::nic_without_cc());
  int created[3] = {0, 0, 0};
  for (EndpointId e = 0; e < 3; ++e) {
    f.nic(e).set_cc_factory(
        [&created, e](std::uint64_t line) -> std::unique_ptr<CongestionControl> {
          ++created[e];
          return std::make_unique<FixedCc>(line, kNoWindow);
        });
  }
  test::RecordingObserver obs;
  f.set_observer(&obs);
  f.send_message(0, 1, 10 * 4096, 0, 1);
  f.send_message(0, 2, 10 * 4096, 0, 2);
  f.send_message(2, 0, 10 * 4096, 0, 3);  // reuses NIC 0's QP to 2 as a responder
  sim.run();
  REQUIRE(obs.received.size() == 3);
  CHECK(f.nic(0).qp_count() == 2);
  CHECK(f.nic(1).qp_count() == 1);
  CHECK(created[0] == 2);  // its two requesters
  CHECK(created[1] == 0);  // a responder only: no state for sending
  CHECK(created[2] == 1);
  CHECK(f.nic(0).qp(0).cc != nullptr);
  CHECK(f.nic(1).qp(0).cc == nullptr);
  // Asking for a rate makes one (at line rate, as a new QP would start).
  CHECK(f.nic(1).qp_rate_bps(0) == 100'000'000'000ULL);
  CHECK(created[1] == 1);
}

TEST_CASE("a NIC keeping QP numbers only numbers its QPs as a full NIC does") {
  // Distributed runs: NICs of partitions another process runs keep only which (peer, channel)
  // has which QP index, so that the NICs this process runs learn the same peer QP numbers.
  const auto connect_all = [](Fabric& f) {
    f.nic(0).connect_qp(1, 0);
    f.nic(1).connect_qp(2, 0);
    f.nic(2).connect_qp(1, 3);
    f.nic(1).connect_qp(0, 0);  // exists (made by NIC 0's connect): no new QP
    f.nic(3).connect_qp(1, 0);
    f.nic(2).connect_qp(0, 1);
  };
  sim::Simulator full_sim;
  Fabric full(full_sim);
  test::make_star(full, 4, LinkParams{}, SwitchParams{}, test::nic_without_cc());
  connect_all(full);
  sim::Simulator part_sim;
  Fabric part(part_sim);
  test::make_star(part, 4, LinkParams{}, SwitchParams{}, test::nic_without_cc());
  part.nic(1).keep_qp_numbers_only();
  part.nic(3).keep_qp_numbers_only();
  connect_all(part);

  for (EndpointId e = 0; e < 4; ++e) {
    CAPTURE(e);
    CHECK(part.nic(e).qp_count() == full.nic(e).qp_count());
    for (EndpointId peer = 0; peer < 4; ++peer) {
      for (std::uint32_t channel : {0U, 1U, 3U})
        CHECK(part.nic(e).find_qp(peer, channel) == full.nic(e).find_qp(peer, channel));
    }
  }
  CHECK(full.nic(1).qp_count() == 4);
  // The NICs that keep state know their peers' QP numbers, also those at number-only NICs.
  for (EndpointId e : {0U, 2U}) {
    for (std::uint32_t q = 0; q < full.nic(e).qp_count(); ++q) {
      CAPTURE(e, q);
      CHECK(part.nic(e).qp(q).peer == full.nic(e).qp(q).peer);
      CHECK(part.nic(e).qp(q).remote_qp == full.nic(e).qp(q).remote_qp);
      CHECK(part.nic(e).qp(q).entropy == full.nic(e).qp(q).entropy);
    }
  }
  CHECK(part.nic(1).keeps_qp_numbers_only());
  CHECK_FALSE(part.nic(0).keeps_qp_numbers_only());
  // A number-only NIC cannot send, and the mode cannot start once QPs exist.
  CHECK_THROWS_AS(part.send_message(1, 2, 4096, 0, 1), std::logic_error);
  CHECK_THROWS_AS(part.nic(0).keep_qp_numbers_only(), std::logic_error);
  // The NICs that keep state still deliver to each other.
  test::RecordingObserver obs;
  part.set_observer(&obs);
  part.send_message(0, 2, 4096, 0, 7);
  part_sim.run();
  CHECK(obs.received.size() == 1);
  // Sealed (the run started), a number-only NIC forgets its numbering but keeps its count.
  part.seal_remote_connections();
  CHECK(part.nic(1).qp_count() == 4);
  CHECK(part.nic(1).find_qp(0, 0) == -1);
  CHECK(part.nic(0).find_qp(1, 0) == 0);
}

TEST_CASE("a window-limited QP waits for ACKs and the ACKs resume it") {
  sim::Simulator sim;
  Fabric f(sim);
  test::make_star(f, 2, LinkParams{}, SwitchParams{}, test::nic_without_cc());
  f.nic(0).set_cc_factory([](std::uint64_t line) -> std::unique_ptr<CongestionControl> {
    return std::make_unique<FixedCc>(line, 2 * 4096);  // two packets in flight
  });
  test::RecordingObserver obs;
  f.set_observer(&obs);
  f.send_message(0, 1, 40 * 4096, 0, 7);
  sim.run();
  REQUIRE(obs.received.size() == 1);
  CHECK(obs.received.begin()->second.bytes == 40 * 4096);
  CHECK(obs.sent.size() == 1);
  // Two packets per round trip (~5 us: 2 links each way, a switch, two serialisations), so 20
  // round trips instead of 40 back-to-back packets (13 us).
  const double us = obs.received.begin()->second.t.microseconds();
  CHECK(us > 19 * 4.0);
  CHECK(us < 20 * 7.0);
  CHECK(f.nic(0).counters().retransmissions == 0);
}

TEST_CASE("cut-through forwards after the header: one full serialisation saved per switch") {
  Time arrival[2];
  for (const Forwarding mode : {Forwarding::kStoreAndForward, Forwarding::kCutThrough}) {
    sim::Simulator sim;
    Fabric f(sim);
    SwitchParams sp;
    sp.forwarding = mode;
    test::make_star(f, 2, LinkParams{}, sp, test::nic_without_cc());
    test::RecordingObserver obs;
    f.set_observer(&obs);
    f.send_message(0, 1, 4096, 0, 1);
    sim.run();
    REQUIRE(obs.received.size() == 1);
    arrival[mode == Forwarding::kCutThrough ? 1 : 0] = obs.received.begin()->second.t;
  }
  // 4158 B vs 64 B at 100 Gb/s: 332.64 ns - 5.12 ns.
  CHECK(arrival[0] - arrival[1] == Time::ps(332'640 - 5'120));
  CHECK(arrival[0] == Time::ps(2 * 332'640) + Time::us(2) + Time::ns(300));
}
