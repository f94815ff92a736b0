// Faults (models/faults/): a failed link black-holes until it is detected, a detected-down port
// flushes and refuses, packets on the wire at the failure are lost, a switch repairs its ECMP
// groups, a QP whose path stays down fails after its retries, degraded rate and loss, the
// injector's plan with convergence.
#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <vector>

#include "models/faults/fault_injector.hpp"
#include "tests/models/fabric_test_helpers.hpp"

using namespace fabricsim;
using namespace fabricsim::models;
using sim::Time;

namespace {

std::uint64_t lost(const FabricCounters& c, DropReason r) {
  return c.drops_by_reason[static_cast<std::size_t>(r)];
}

// A plan for one link: fail at `fail`, both ends detect at `detect`, restore at `restore`
// (Time::max(): never).
std::shared_ptr<FaultPlan> outage(LinkRef link, Time fail, Time detect, Time restore) {
  auto plan = std::make_shared<FaultPlan>();
  plan->links.push_back(link);
  FaultAction a;
  a.link = 0;
  a.at = fail;
  a.kind = FaultActionKind::kFail;
  plan->actions.push_back(a);
  a.at = detect;
  a.kind = FaultActionKind::kDetect;
  a.ends = 3;
  plan->actions.push_back(a);
  if (restore != Time::max()) {
    a.at = restore;
    a.kind = FaultActionKind::kRestore;
    plan->actions.push_back(a);
  }
  return plan;
}

// Records the convergence steps asked for and installs fixed routes for them.
class TableRoutes final : public RouteSource {
 public:
  struct Table {
    std::vector<std::uint16_t> group_of_edge;
    std::vector<std::vector<std::uint16_t>> groups;
  };
  void install(Fabric& fabric, std::uint32_t sw, std::uint32_t step) override {
    calls.emplace_back(sw, step);
    const auto it = tables.find({sw, step});
    if (it != tables.end()) fabric.set_routes(sw, it->second.group_of_edge, it->second.groups);
  }
  std::map<std::pair<std::uint32_t, std::uint32_t>, Table> tables;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> calls;
};

}  // namespace

TEST_CASE("a failed link black-holes what it sends until detected, then flushes and refuses") {
  sim::Simulator sim;
  Fabric f(sim);
  LinkParams link;  // 100 Gb/s, 1 us
  SwitchParams sp;
  NicParams np = test::nic_without_cc();
  np.rto = Time::us(200);
  // Hosts 0 (switch 0) and 1 (switch 1); the bottleneck is port 1 of switch 0 - port 1 of 1.
  test::make_dumbbell(f, 1, 1, link, link, sp, np);
  test::RecordingObserver obs;
  f.set_observer(&obs);
  const LinkRef bottleneck{{NodeRef::sw(0), 1}, {NodeRef::sw(1), 1}};
  FaultInjector injector(sim, f, outage(bottleneck, Time::us(20), Time::us(30), Time::us(60)),
                         nullptr);
  constexpr std::uint64_t kBytes = 2'000'000;  // 160 us at line rate
  f.send_message(0, 1, kBytes, 0, 7);

  sim.run_until(Time::us(20) - Time::ps(1));
  CHECK(lost(f.counters(), DropReason::kBlackHole) == 0);
  sim.run_until(Time::us(30) - Time::ps(1));
  const Port& egress = f.switch_at(0).port(1);
  CHECK(egress.link_state() == LinkState::kFailed);
  // 10 us at 100 Gb/s is 30 data packets of 4 KiB (+ headers), plus those on the wire at the
  // failure (about 1 us of them), plus the receiver's ACKs for what had arrived (the reverse
  // direction fails too).
  const std::uint64_t blackholed = lost(f.counters(), DropReason::kBlackHole);
  INFO("black-holed before detection: " << blackholed);
  CHECK(blackholed >= 30);
  CHECK(blackholed <= 60);
  CHECK(lost(f.counters(), DropReason::kLinkDown) == 0);

  sim.run_until(Time::us(30));
  CHECK(egress.link_state() == LinkState::kDown);
  CHECK(egress.queue_bytes() == 0);
  sim.run_until(Time::us(59));
  // Switch 0's only route to host 1 was the dead port: local repair empties that group, and
  // what the sender keeps sending is dropped there (no route) instead of black-holed.
  CHECK(lost(f.counters(), DropReason::kNoRoute) > 0);
  CHECK(lost(f.counters(), DropReason::kBlackHole) == blackholed);
  CHECK(f.switch_at(0).buffer_used() == 0);  // refused packets released their buffer

  sim.run();
  CHECK(egress.link_state() == LinkState::kUp);
  // The transport survives: the local ACK timeout resends the rest once the link is back.
  REQUIRE(obs.received.size() == 1);
  CHECK(obs.received.begin()->second.count == 1);
  CHECK(obs.received.begin()->second.bytes == kBytes);
  const FabricCounters c = f.counters();
  CHECK(c.bytes_delivered == kBytes);
  CHECK(c.retransmissions > 0);  // go-back-N from the receiver's NACK once the link is back
  CHECK(c.link_failures == 2);   // both ends
  CHECK(c.fault_lost_bytes > 0);
  CHECK(f.pool().live() == 0);
  CHECK(injector.actions_done() == 3);
}

TEST_CASE("what waits on a port when its link is detected down is lost, its buffer freed") {
  sim::Simulator sim;
  Fabric f(sim);
  LinkParams link;  // 100 Gb/s into a 25 Gb/s bottleneck: a queue builds at switch 0
  LinkParams slow;
  slow.rate_bps = 25'000'000'000ULL;
  SwitchParams sp;
  NicParams np = test::nic_without_cc();
  np.rto = Time::us(100);
  test::make_dumbbell(f, 1, 1, link, slow, sp, np);
  const LinkRef bottleneck{{NodeRef::sw(0), 1}, {NodeRef::sw(1), 1}};
  FaultInjector injector(sim, f, outage(bottleneck, Time::us(20), Time::us(30), Time::us(40)),
                         nullptr);
  f.send_message(0, 1, 1'000'000, 0, 7);
  sim.run_until(Time::us(30) - Time::ps(1));
  const std::uint64_t queued = f.switch_at(0).port(1).queue_bytes();
  INFO("queued at the detection: " << queued);
  CHECK(queued > 100'000);
  CHECK(lost(f.counters(), DropReason::kLinkDown) == 0);
  sim.run_until(Time::us(30));
  const FabricCounters c = f.counters();
  CHECK(lost(c, DropReason::kLinkDown) * 4096 >= queued - 4200);
  CHECK(f.switch_at(0).port(1).queue_bytes() == 0);
  CHECK(f.switch_at(0).buffer_used() == 0);
  sim.run();
  CHECK(f.counters().bytes_delivered == 1'000'000);
  CHECK(f.pool().live() == 0);
}

TEST_CASE("a packet on the wire when its link fails is lost on arrival, counted at the far end") {
  sim::Simulator sim;
  Fabric f(sim);
  LinkParams slow;
  slow.delay = Time::us(10);
  SwitchParams sp;
  NicParams np = test::nic_without_cc();
  np.rto = Time::max();  // no timeout: exactly one packet goes out
  np.retry_count = 0;
  test::make_star(f, 2, slow, sp, np);
  const LinkRef nic0{{NodeRef::nic(0), 0}, {NodeRef::sw(0), 0}};
  // The packet leaves NIC 0 at 0 and lands at 10.33 us; the link fails at 5 us, under it.
  FaultInjector injector(sim, f, outage(nic0, Time::us(5), Time::us(6), Time::us(7)), nullptr);
  f.send_message(0, 1, 1000, 0, 1);
  sim.run();
  const FabricCounters c = f.counters();
  CHECK(lost(c, DropReason::kBlackHole) == 1);
  CHECK(c.bytes_delivered == 0);
  REQUIRE(f.switch_at(0).port(0).fault() != nullptr);
  CHECK(f.switch_at(0).port(0).fault()->counters.blackholed_packets == 1);  // the far end
  CHECK(f.nic(0).port().fault()->counters.blackholed_packets == 0);
  CHECK(f.pool().live() == 0);
}

TEST_CASE("a packet that left before a short flap and lands after it still counts as lost") {
  sim::Simulator sim;
  Fabric f(sim);
  LinkParams slow;
  slow.delay = Time::us(10);
  SwitchParams sp;
  NicParams np = test::nic_without_cc();
  np.rto = Time::max();
  np.retry_count = 0;
  test::make_star(f, 2, slow, sp, np);
  const LinkRef nic0{{NodeRef::nic(0), 0}, {NodeRef::sw(0), 0}};
  // Down from 2 us to 3 us, never detected: the packet lands at 10.33 us on a working link.
  auto plan = outage(nic0, Time::us(2), Time::max(), Time::us(3));
  plan->actions.erase(plan->actions.begin() + 1);  // no detection
  FaultInjector injector(sim, f, plan, nullptr);
  f.send_message(0, 1, 1000, 0, 1);
  sim.run();
  CHECK(lost(f.counters(), DropReason::kBlackHole) == 1);
  CHECK(f.counters().bytes_delivered == 0);
}

TEST_CASE(
    "local repair: a detected-down uplink leaves the leaf's ECMP group; an emptied group "
    "drops until routing converges") {
  sim::Simulator sim;
  Fabric f(sim);
  LinkParams link;
  SwitchParams sp;
  const NicParams np = test::nic_without_cc();
  const test::LeafSpine t = test::make_leaf_spine(f, 2, 2, 2, link, sp, np);
  Switch& leaf0 = f.switch_at(t.leaves[0]);
  Switch& spine0 = f.switch_at(t.spines[0]);
  Packet p{};
  p.src = 0;
  p.dst = 2;  // on leaf 1
  std::set<std::uint16_t> before;
  for (std::uint16_t e = 0; e < 256; ++e) {
    p.entropy = e;
    before.insert(leaf0.route(p));
  }
  CHECK(before == std::set<std::uint16_t>{t.uplink(0), t.uplink(1)});

  // Leaf 0 - spine 0 fails at 1 us, both ends notice at 2 us; routing converges at 50 us,
  // giving spine 0 no route to leaf 0 (and leaf 1 only spine 1 towards leaf 0).
  auto plan = outage({{NodeRef::sw(t.leaves[0]), t.uplink(0)}, {NodeRef::sw(t.spines[0]), 0}},
                     Time::us(1), Time::us(2), Time::max());
  FaultAction converge;
  converge.at = Time::us(50);
  converge.kind = FaultActionKind::kConverge;
  converge.step = 1;
  plan->actions.push_back(converge);
  TableRoutes routes;
  routes.tables[{t.leaves[1], 1}] = {{0, 0}, {{t.uplink(1)}}};
  FaultInjector injector(sim, f, plan, &routes);

  sim.run_until(Time::us(2));
  std::set<std::uint16_t> after;
  for (std::uint16_t e = 0; e < 256; ++e) {
    p.entropy = e;
    after.insert(leaf0.route(p));
  }
  CHECK(after == std::set<std::uint16_t>{t.uplink(1)});
  CHECK_FALSE(leaf0.port_in_service(t.uplink(0)));
  // Spine 0's only way to leaf 0 was the dead port: its group is empty, hosts 0-1 unreachable.
  p.dst = 0;
  CHECK(spine0.route(p) == Switch::kNoPort);
  // Leaf 1 still sprays towards leaf 0 over both spines (it has not heard yet)...
  std::set<std::uint16_t> leaf1_before;
  for (std::uint16_t e = 0; e < 256; ++e) {
    p.entropy = e;
    leaf1_before.insert(f.switch_at(t.leaves[1]).route(p));
  }
  CHECK(leaf1_before.size() == 2);
  // ...until routing converges: every switch is asked for step 1, leaf 1 then avoids spine 0.
  sim.run_until(Time::us(50));
  CHECK(routes.calls.size() == f.switch_count());
  std::set<std::uint16_t> leaf1_after;
  for (std::uint16_t e = 0; e < 256; ++e) {
    p.entropy = e;
    leaf1_after.insert(f.switch_at(t.leaves[1]).route(p));
  }
  CHECK(leaf1_after == std::set<std::uint16_t>{t.uplink(1)});
}

TEST_CASE("RouteTable::without_ports drops dead ports and empties groups left with none") {
  RouteTable table;
  table.set({0, 1, RouteTable::kNoGroup, 0}, {{3, 4}, {4}});
  const std::vector<std::uint8_t> down{0, 0, 0, 0, 1};
  const RouteTable repaired = table.without_ports(down);
  const auto g0 = repaired.group_for_edge(0);
  REQUIRE(g0.count == 1);
  CHECK(g0.ports[0] == 3);
  CHECK(repaired.group_for_edge(1).count == 0);  // {4} had only the dead port
  CHECK(repaired.group_for_edge(2).count == 0);
  CHECK(repaired.group_for_edge(3).count == 1);
  // Nothing down: the same table.
  const RouteTable same = table.without_ports(std::vector<std::uint8_t>(5, 0));
  CHECK(same.group_for_edge(0).count == 2);
  CHECK(same.group_for_edge(1).count == 1);
}

TEST_CASE("a QP whose link stays down fails after its retries: the run ends, never hangs") {
  sim::Simulator sim;
  Fabric f(sim);
  LinkParams link;
  SwitchParams sp;
  NicParams np = test::nic_without_cc();
  np.rto = Time::us(50);
  np.retry_count = 2;
  test::make_star(f, 2, link, sp, np);
  test::RecordingObserver obs;
  f.set_observer(&obs);
  const LinkRef nic1{{NodeRef::nic(1), 0}, {NodeRef::sw(0), 1}};  // the receiver's link, forever
  FaultInjector injector(sim, f, outage(nic1, Time::us(10), Time::us(11), Time::max()), nullptr);
  f.send_message(0, 1, 1'000'000, 0, 3);
  sim.run();
  CHECK(obs.received.empty());
  const FabricCounters c = f.counters();
  CHECK(c.qp_errors == 1);
  CHECK(c.timeouts == 3);  // 2 retries, then the third timeout fails it
  REQUIRE(f.qp_errors().size() == 1);
  CHECK(f.qp_errors().front().nic == 0);
  CHECK(sim.now() < Time::ms(1));
  CHECK(f.pool().live() == 0);
}

TEST_CASE("a degraded link sends at its new rate, and its corruption loss drops packets") {
  auto fct = [](double factor, double loss) {
    sim::Simulator sim;
    Fabric f(sim);
    LinkParams link;
    SwitchParams sp;
    NicParams np = test::nic_without_cc();
    np.rto = Time::us(100);
    test::make_dumbbell(f, 1, 1, link, link, sp, np);
    test::RecordingObserver obs;
    f.set_observer(&obs);
    auto plan = std::make_shared<FaultPlan>();
    plan->links.push_back({{NodeRef::sw(0), 1}, {NodeRef::sw(1), 1}});
    FaultAction a;
    a.at = Time::zero();
    a.kind = FaultActionKind::kSetRate;
    a.rate_bps = static_cast<std::uint64_t>(factor * static_cast<double>(link.rate_bps));
    plan->actions.push_back(a);
    a.kind = FaultActionKind::kSetLoss;
    a.loss_rate = loss;
    plan->actions.push_back(a);
    FaultInjector injector(sim, f, plan, nullptr);
    f.send_message(0, 1, 4'000'000, 0, 1);
    sim.run();
    REQUIRE(obs.received.size() == 1);
    return std::make_pair(obs.received.begin()->second.t, f.counters());
  };
  const auto [full, c_full] = fct(1.0, 0.0);
  const auto [half, c_half] = fct(0.5, 0.0);
  INFO("FCT " << full.seconds() * 1e6 << " us at the full rate, " << half.seconds() * 1e6
              << " us at half");
  CHECK(half.seconds() / full.seconds() == Approx(2.0).epsilon(0.02));
  CHECK(lost(c_half, DropReason::kLinkLoss) == 0);
  const auto [lossy, c_lossy] = fct(1.0, 0.01);
  CHECK(lost(c_lossy, DropReason::kLinkLoss) > 0);
  CHECK(c_lossy.retransmissions > 0);
  CHECK(c_lossy.bytes_delivered == 4'000'000);
  CHECK(lossy > full);
}

TEST_CASE("InfiniBand: credits taken by packets a failure lost come back, so no lane starves") {
  sim::Simulator sim;
  Fabric f(sim);
  LinkParams ib;
  ib.type = LinkType::kInfiniband;
  SwitchParams sp;
  sp.pfc.enabled = false;
  sp.ecn.enabled = false;
  sp.credit_buffer_bytes = 64 * 1024;
  NicParams np = test::nic_without_cc();
  np.transport = NicTransport::kInfiniband;
  np.rto = Time::us(100);
  // Host 0 -> switch 0 -> bottleneck -> switch 1 -> host 1, all IB with credits.
  test::make_dumbbell(f, 1, 1, ib, ib, sp, np);
  const LinkRef bottleneck{{NodeRef::sw(0), 1}, {NodeRef::sw(1), 1}};
  FaultInjector injector(sim, f, outage(bottleneck, Time::us(10), Time::us(20), Time::us(30)),
                         nullptr);
  test::RecordingObserver obs;
  f.set_observer(&obs);
  f.send_message(0, 1, 2'000'000, 0, 5);
  sim.run();
  const FabricCounters c = f.counters();
  INFO("timeouts " << c.timeouts << ", QP errors " << c.qp_errors << ", delivered "
                   << c.bytes_delivered << ", black-holed " << lost(c, DropReason::kBlackHole)
                   << ", down " << lost(c, DropReason::kLinkDown) << ", no route "
                   << lost(c, DropReason::kNoRoute) << ", credits "
                   << f.switch_at(0).port(1).credits(0) << ", at " << sim.now().seconds());
  REQUIRE(obs.received.size() == 1);
  CHECK(obs.received.begin()->second.bytes == 2'000'000);
  CHECK(lost(c, DropReason::kBlackHole) > 0);
  // Idle again: every credit of the bottleneck's egress is back (none leaked with the losses).
  const Port& egress = f.switch_at(0).port(1);
  REQUIRE(egress.credit_limited());
  for (std::uint8_t vl = 0; vl < kMaxPriorities; ++vl)
    CHECK(egress.credits(vl) == sp.credit_buffer_bytes);
  CHECK(f.pool().live() == 0);
}
