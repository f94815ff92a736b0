// Switch mechanisms: PFC XOFF/XON and headroom, RED marking at enqueue and dequeue, dynamic
// threshold and static limit, drops by reason, ECMP and its hash seed, spraying.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>
#include <string>

#include "models/switch/ecn.hpp"
#include "tests/models/fabric_test_helpers.hpp"

using namespace fabricsim;
using namespace fabricsim::models;
using sim::Time;

using test::OneSwitch;

TEST_CASE("PFC: PAUSE exactly when the ingress counter reaches XOFF, RESUME at XON") {
  SwitchParams p;
  p.ecn.enabled = false;
  p.pfc.xoff_bytes = 10'000;
  p.pfc.xon_bytes = 5'000;
  OneSwitch t(p);
  t.sw.port(1).pause_until(1, Time::ms(100));  // hold everything in the buffer
  for (std::uint32_t k = 1; k <= 13; ++k) {
    t.inject(k);
    CHECK(t.sw.ingress_bytes(0, 1) == 1000ULL * k);
    CHECK(t.sw.counters().pause_frames == (k >= 10 ? 1U : 0U));
    CHECK(t.sw.pausing_upstream(0, 1) == (k >= 10));
  }
  CHECK(t.sw.counters().drops[static_cast<std::size_t>(DropReason::kHeadroom)] == 0);
  // The PAUSE reaches the upstream port after its serialisation and the link delay, with the
  // full quanta, and is refreshed before half of them have run out.
  t.sim.run_until(Time::us(200));
  REQUIRE(!t.up.log.empty());
  CHECK(t.up.log[0].first == Time::ps(5'120) + Time::us(1));
  CHECK(t.up.log[0].second.kind == PacketKind::kPause);
  CHECK(t.up.log[0].second.pause_quanta == 0xFFFF);
  CHECK(t.up.log[0].second.priority == 1);
  CHECK(t.up.port(0).paused(1));
  CHECK(t.sw.counters().pause_frames == 2);  // 65535 quanta = 335.5 us; refresh at 167.8 us

  // Drain: one dequeue every 80 ns from t0; after the 8th the counter is 5000 = XON.
  const Time t0 = t.sim.now();
  t.sw.port(1).pause_until(1, t0);
  t.sim.run_until(t0 + Time::ns(7 * 80) - Time::ps(1));
  CHECK(t.sw.ingress_bytes(0, 1) == 6000);
  CHECK(t.sw.counters().resume_frames == 0);
  t.sim.run_until(t0 + Time::ns(7 * 80));
  CHECK(t.sw.ingress_bytes(0, 1) == 5000);
  CHECK(t.sw.counters().resume_frames == 1);
  CHECK_FALSE(t.sw.pausing_upstream(0, 1));
  t.sim.run();
  CHECK(t.up.log.back().second.pause_quanta == 0);
  CHECK_FALSE(t.up.port(0).paused(1));
  CHECK(t.down.log.size() == 13);
  CHECK(t.sw.counters().pause_frames == 2);  // no refresh after RESUME
  CHECK(t.pool.live() == 0);
}

TEST_CASE("PFC headroom: after PAUSE, arrivals fill the headroom; only its overflow drops") {
  SwitchParams p;
  p.ecn.enabled = false;
  p.pfc.xoff_bytes = 10'000;
  p.pfc.xon_bytes = 5'000;
  p.pfc.headroom_bytes = 3'000;
  OneSwitch t(p);
  t.sw.port(1).pause_until(1, Time::ms(100));
  CHECK(t.sw.headroom_bytes(0) == 3'000);
  for (std::uint32_t k = 1; k <= 13; ++k)
    t.inject(k);  // PAUSE at 10 000 B, then 3 x 1000 B into the headroom
  const auto headroom_drops = [&t] {
    return t.sw.counters().drops[static_cast<std::size_t>(DropReason::kHeadroom)];
  };
  CHECK(headroom_drops() == 0);
  CHECK(t.sw.ingress_bytes(0, 1) == 13'000);
  t.inject(14);  // 4000 B would not fit the 3000 B headroom
  CHECK(headroom_drops() == 1);
  CHECK(t.sw.ingress_bytes(0, 1) == 13'000);
  t.sw.port(1).pause_until(1, t.sim.now());
  t.sim.run();
  CHECK(t.down.log.size() == 13);
  CHECK(t.pool.live() == 0);
}

TEST_CASE("PFC auto headroom: rate x (2 delay + latency) + 3 MTU-sized frames") {
  OneSwitch t(SwitchParams{});  // 100 Gb/s, 1 us links, 4096 B MTU, 300 ns latency
  // 2.3 us x 12.5 GB/s = 28 750 B in flight, plus 3 x (4096 + 128) B.
  CHECK(t.sw.headroom_bytes(0) == 28'750 + 3 * (4096 + 128));
}

TEST_CASE("drops are counted by reason: no route") {
  OneSwitch t(SwitchParams{});
  Packet* p = t.pool.alloc();
  p->kind = PacketKind::kData;
  p->dst = 7;  // no such endpoint
  p->wire_bytes = 1000;
  t.sw.receive(p, 0);
  CHECK(t.sw.counters().drops[static_cast<std::size_t>(DropReason::kNoRoute)] == 1);
  CHECK(t.pool.live() == 0);
  CHECK(std::string(drop_reason_name(DropReason::kNoRoute)) == "no_route");
}

TEST_CASE("RED marking probability: 0 below Kmin, linear to Pmax, 1 above Kmax") {
  EcnParams e;
  e.kmin_bytes = 10'000;
  e.kmax_bytes = 50'000;
  e.pmax = 0.2;
  CHECK(ecn_mark_probability(e, 0) == 0.0);
  CHECK(ecn_mark_probability(e, 10'000) == 0.0);
  CHECK(ecn_mark_probability(e, 30'000) == Approx(0.1));
  CHECK(ecn_mark_probability(e, 50'000) == Approx(0.2));
  CHECK(ecn_mark_probability(e, 50'001) == 1.0);
  e.enabled = false;
  CHECK(ecn_mark_probability(e, 1'000'000) == 0.0);
}

namespace {
// 200 trials of 100 packets of 1000 B queued behind a paused egress, then drained: each packet's
// mark follows RED (Kmin 10 KB, Kmax 50 KB, Pmax 0.2) on the queue `seen(psn)` gives.
void check_red_marking(EcnMarkPoint point, std::uint32_t (*seen)(std::uint32_t psn)) {
  SwitchParams p;
  p.ecn.mark = point;
  p.pfc.enabled = false;
  p.ecn.kmin_bytes = 10'000;
  p.ecn.kmax_bytes = 50'000;
  p.ecn.pmax = 0.2;
  OneSwitch t(p);
  constexpr int kTrials = 200;
  int marks_linear = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    t.sw.port(1).pause_until(1, t.sim.now() + Time::ms(1));
    for (std::uint32_t k = 0; k < 100; ++k)
      t.inject(k, 1000, Ecn::kEct);
    if (point == EcnMarkPoint::kDequeue) {
      // Nothing is marked while the packets wait: the decision comes when each one leaves.
      CHECK(t.sw.counters().ecn_marks == static_cast<std::uint64_t>(marks_linear + 49 * trial));
    }
    t.sw.port(1).pause_until(1, t.sim.now());
    t.down.log.clear();
    t.sim.run();
    REQUIRE(t.down.log.size() == 100);
    for (const auto& [time, pkt] : t.down.log) {
      const std::uint32_t queue = seen(pkt.psn);
      const bool marked = pkt.ecn == Ecn::kCe;
      if (queue <= 10'000) {
        REQUIRE_FALSE(marked);  // queue <= Kmin
      } else if (queue > 50'000) {
        REQUIRE(marked);  // queue > Kmax
      } else if (marked) {
        ++marks_linear;
      }
    }
  }
  // Expected per trial: sum_{j=1..40} 0.2 j / 40 = 4.1; variance sum p(1-p) = 3.87.
  const double expected = 4.1 * kTrials;
  const double sd = std::sqrt(3.87 * kTrials);
  CHECK(std::abs(marks_linear - expected) < 4 * sd);
  CHECK(t.sw.counters().ecn_marks == static_cast<std::uint64_t>(marks_linear + 49 * kTrials));
}
}  // namespace

TEST_CASE("ECN marking on egress enqueue follows RED statistically") {
  // Packet k finds k x 1000 bytes queued when it arrives.
  check_red_marking(EcnMarkPoint::kEnqueue, [](std::uint32_t psn) { return psn * 1000; });
}

TEST_CASE("ECN marking at dequeue decides on the queue a packet leaves behind") {
  CHECK(SwitchParams{}.ecn.mark == EcnMarkPoint::kDequeue);  // the default
  // Packet k leaves (99 - k) x 1000 bytes behind it: the reverse of enqueue marking, where the
  // first packets found an empty queue and the last ones a full one.
  check_red_marking(EcnMarkPoint::kDequeue, [](std::uint32_t psn) { return (99 - psn) * 1000; });
}

TEST_CASE("ECN off marks nothing at either point") {
  for (const auto point : {EcnMarkPoint::kDequeue, EcnMarkPoint::kEnqueue}) {
    SwitchParams p;
    p.ecn.enabled = false;
    p.ecn.mark = point;
    p.pfc.enabled = false;
    p.ecn.kmin_bytes = 0;
    p.ecn.kmax_bytes = 0;
    OneSwitch t(p);
    t.sw.port(1).pause_until(1, t.sim.now() + Time::us(10));
    for (std::uint32_t k = 0; k < 20; ++k)
      t.inject(k, 1000, Ecn::kEct);
    t.sw.port(1).pause_until(1, t.sim.now());
    t.sim.run();
    CHECK(t.sw.counters().ecn_marks == 0);
  }
}

TEST_CASE("dynamic threshold: a lone queue may hold alpha/(1+alpha) of the buffer") {
  for (const double alpha : {1.0, 0.5}) {
    SwitchParams p;
    p.pfc.enabled = false;
    p.ecn.enabled = false;
    p.buffer_bytes = 100'000;
    p.dt_alpha = alpha;
    OneSwitch t(p);
    t.sw.port(1).pause_until(1, Time::ms(1));
    for (std::uint32_t k = 0; k < 60; ++k)
      t.inject(k);
    // Admit the k-th (0-based) iff 1000 (k + 1) <= alpha (100000 - 1000 k).
    const std::uint64_t admitted = alpha == 1.0 ? 50 : 33;
    CHECK(t.sw.buffer_used() == admitted * 1000);
    CHECK(t.sw.counters().drops[static_cast<std::size_t>(DropReason::kDynamicThreshold)] ==
          60 - admitted);
    t.sw.port(1).pause_until(1, t.sim.now());
    t.sim.run();
    CHECK(t.down.log.size() == admitted);
    CHECK(t.sw.buffer_used() == 0);
    CHECK(t.pool.live() == 0);
  }
}

TEST_CASE("static queue limit drops beyond the limit") {
  SwitchParams p;
  p.pfc.enabled = false;
  p.queue_limit_bytes = 20'000;
  OneSwitch t(p);
  t.sw.port(1).pause_until(1, Time::ms(1));
  for (std::uint32_t k = 0; k < 30; ++k)
    t.inject(k);
  CHECK(t.sw.counters().drops[static_cast<std::size_t>(DropReason::kStaticLimit)] == 10);
  t.sim.run();
  CHECK(t.down.log.size() == 20);
}

TEST_CASE("ECMP hashing is deterministic and spreads flows over the uplinks") {
  sim::Simulator sim;
  Fabric f(sim);
  SwitchParams sp;
  const auto ls = test::make_leaf_spine(f, 4, 4, 4, LinkParams{}, sp, test::nic_without_cc());
  Switch& leaf0 = f.switch_at(ls.leaves[0]);
  std::map<std::uint16_t, int> per_port;
  Packet pkt{};
  for (std::uint32_t flow = 0; flow < 2000; ++flow) {
    pkt.src = flow % 4;
    pkt.dst = 4 + flow % 12;
    pkt.qp = flow / 16;
    pkt.entropy = static_cast<std::uint16_t>(flow * 7919);
    const std::uint16_t out = leaf0.route(pkt);
    REQUIRE(out == leaf0.route(pkt));  // same flow, same path
    ++per_port[out];
  }
  REQUIRE(per_port.size() == 4);
  for (const auto& [port, n] : per_port) {
    CHECK(port >= 4);
    CHECK(std::abs(n - 500) < 4 * 19.4);  // binomial(2000, 1/4): sd 19.4
  }
  // Destinations on the same leaf go out of their direct port.
  pkt.dst = 2;
  CHECK(leaf0.route(pkt) == 2);
}

TEST_CASE("the ECMP hash seed: the scenario's seed unless set, another seed other collisions") {
  // 64 flows over 8 uplinks: where each flow goes, for a given simulator seed and hash seed.
  const auto placement = [](std::uint64_t sim_seed, std::uint64_t hash_seed) {
    sim::Simulator sim{sim_seed};
    PacketPool pool;
    std::vector<Attachment> attachments{Attachment{1, 0, 0}};  // endpoint 0 on edge switch 1
    SwitchParams p;
    p.hash_seed = hash_seed;
    Switch sw(sim, pool, attachments, 0, 8, p, 1);
    std::vector<std::uint16_t> ports{0, 1, 2, 3, 4, 5, 6, 7};
    sw.set_routes({0}, {ports});
    std::vector<std::uint16_t> out;
    Packet pkt{};
    pkt.dst = 0;
    for (std::uint32_t flow = 0; flow < 64; ++flow) {
      pkt.src = flow + 1;
      pkt.entropy = static_cast<std::uint16_t>(flow * 977U);
      out.push_back(sw.route(pkt));
    }
    return out;
  };
  CHECK(placement(1, 0) == placement(1, 0));  // deterministic
  CHECK(placement(1, 0) != placement(2, 0));  // the scenario seed moves the hash
  CHECK(placement(1, 7) == placement(2, 7));  // a set hash seed pins it
  CHECK(placement(1, 7) != placement(1, 8));
  CHECK(placement(5, 0) == placement(9, 5));  // unset = the scenario's seed
}

TEST_CASE("ECMP keeps a flow on one path end to end; spraying balances its packets") {
  for (const Routing routing : {Routing::kEcmp, Routing::kSpray}) {
    sim::Simulator sim;
    Fabric f(sim);
    SwitchParams sp;
    sp.routing = routing;
    const auto ls = test::make_leaf_spine(f, 2, 4, 2, LinkParams{}, sp, test::nic_without_cc());
    f.send_message(0, 2, 4096ULL * 400, 0, 1);
    sim.run();
    CHECK(f.nic(2).counters().bytes_delivered == 4096ULL * 400);
    std::vector<std::uint64_t> up;
    for (std::uint32_t s = 0; s < 4; ++s) {
      up.push_back(f.switch_at(ls.leaves[0]).port(ls.uplink(s)).tx_packets());
    }
    std::uint64_t total = 0;
    for (const auto n : up)
      total += n;
    CHECK(total == 400);
    if (routing == Routing::kEcmp) {
      CHECK(std::count(up.begin(), up.end(), 0ULL) == 3);
    } else {
      for (const auto n : up)
        CHECK(std::abs(static_cast<double>(n) - 100.0) <= 5.0);
    }
  }
}

TEST_CASE("permutation on a 2-tier Clos: ECMP places flows like random hashing, spraying evenly") {
  // 8 leaves x 8 hosts, 8 spines; every host sends 64 packets to a partner on another leaf
  // (host h -> h + 8, a permutation). Per leaf, 8 flows meet 8 uplinks.
  constexpr std::uint32_t kLeaves = 8, kHosts = 8, kSpines = 8, kPackets = 64;
  for (const Routing routing : {Routing::kEcmp, Routing::kSpray}) {
    sim::Simulator sim(5);
    Fabric f(sim);
    SwitchParams sp;
    sp.routing = routing;
    NicParams np = test::nic_without_cc();
    np.ack_every = kPackets;  // one ACK per flow: uplink traffic is (almost) all data
    const auto ls = test::make_leaf_spine(f, kLeaves, kSpines, kHosts, LinkParams{}, sp, np);
    const std::uint32_t hosts = kLeaves * kHosts;
    for (std::uint32_t h = 0; h < hosts; ++h)
      f.send_message(h, (h + kHosts) % hosts, 4096ULL * kPackets, 0, h);
    sim.run();
    CHECK(f.counters().bytes_delivered == 4096ULL * kPackets * hosts);
    std::vector<std::uint64_t> data_packets;  // per uplink, data only
    for (std::uint32_t l = 0; l < kLeaves; ++l) {
      for (std::uint32_t s = 0; s < kSpines; ++s) {
        const Port& up = f.switch_at(ls.leaves[l]).port(ls.uplink(s));
        // tx = data x 4158 B + acks x 64 B.
        const std::uint64_t acks = (up.tx_packets() * 4158 - up.tx_bytes()) / (4158 - 64);
        data_packets.push_back(up.tx_packets() - acks);
      }
    }
    std::uint64_t total = 0;
    for (const auto n : data_packets)
      total += n;
    CHECK(total == std::uint64_t{hosts} * kPackets);
    if (routing == Routing::kEcmp) {
      // Whole flows only, and as many idle uplinks as 8 balls in 8 bins predict: 8 (7/8)^8 =
      // 2.75 per leaf, 22 of 64 (sd ~3.3); a hash that collided systematically (or a perfect
      // assignment) falls outside.
      std::uint32_t idle = 0;
      for (const auto n : data_packets) {
        CHECK(n % kPackets == 0);
        idle += n == 0;
      }
      INFO("idle uplinks " << idle);
      CHECK(idle >= 12);
      CHECK(idle <= 32);
    } else {
      for (const auto n : data_packets)
        CHECK(std::abs(static_cast<double>(n) - kPackets) <= 0.05 * kPackets);
    }
  }
}

TEST_CASE("adaptive routing picks the least-loaded port of the group") {
  sim::Simulator sim;
  Fabric f(sim);
  SwitchParams sp;
  sp.routing = Routing::kAdaptive;
  const auto ls = test::make_leaf_spine(f, 2, 2, 2, LinkParams{}, sp, test::nic_without_cc());
  Switch& leaf0 = f.switch_at(ls.leaves[0]);
  Packet pkt{};
  pkt.src = 0;
  pkt.dst = 2;
  const std::uint16_t first = leaf0.route(pkt);
  // Load the port it chose (paused, so the packets stay queued): the next choice avoids it.
  Port& loaded = leaf0.port(first);
  loaded.pause_until(1, Time::ms(1));
  for (int i = 0; i < 3; ++i) {
    Packet* p = f.pool().alloc();
    p->wire_bytes = 1000;
    p->priority = 1;
    loaded.enqueue(p);
  }
  const std::uint16_t second = leaf0.route(pkt);
  CHECK(second != first);
  CHECK((second == ls.uplink(0) || second == ls.uplink(1)));
  loaded.pause_until(1, sim.now());
}

TEST_CASE("HPCC telemetry: a data packet carries its egress port's utilization estimate") {
  OneSwitch t(SwitchParams{});
  // Off by default: nothing is stamped.
  t.inject(0, 4158);
  t.sim.run();
  REQUIRE(t.down.log.size() == 1);
  CHECK(t.down.log[0].second.utilization == 0.0F);
  CHECK(t.down.log[0].second.hops == 1);

  // On, with T = 10 us: a packet every 4158 B at 100 Gb/s (333 ns apart) keeps the egress busy
  // all the time with an empty queue, so U rises toward 1 (tau/T per packet): after 30 T,
  // within a percent of 1.
  t.sw.enable_utilization_telemetry(Time::us(10));
  const Time gap = sim::serialization_time(4158, 100'000'000'000ULL);
  for (std::uint32_t k = 0; k < 900; ++k) {
    t.sim.run_until(t.sim.now() + gap);
    t.inject(k + 1, 4158);
  }
  t.sim.run();
  const float last = t.down.log.back().second.utilization;
  CHECK(last == Approx(1.0).epsilon(0.01));
  CHECK(t.sw.utilization(1) == Approx(1.0).epsilon(0.01));

  // A burst of 40 packets at once: the queue term qlen / (B T) adds to the estimate.
  for (std::uint32_t k = 0; k < 40; ++k)
    t.inject(1000 + k, 4158);
  t.sim.run_until(t.sim.now() + Time::us(5));
  CHECK(t.sw.utilization(1) > 1.2);
  CHECK(t.down.log.back().second.utilization > last);
  t.sim.run();
  // A packet's value is the maximum over its hops: a larger one already on it stays.
  Packet* p = t.pool.alloc();
  p->kind = PacketKind::kData;
  p->dst = 0;
  p->wire_bytes = 1000;
  p->priority = 1;
  p->utilization = 7.5F;
  t.sw.receive(p, 0);
  t.sim.run();
  CHECK(t.down.log.back().second.utilization == 7.5F);
}
