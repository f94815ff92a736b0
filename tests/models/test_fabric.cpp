// Whole-fabric behaviour: 16:1 incast with and without PFC, and determinism.
#include <catch2/catch.hpp>

#include <map>

#include "tests/models/fabric_test_helpers.hpp"

using namespace fabricsim;
using namespace fabricsim::models;
using sim::Time;

namespace {

struct IncastResult {
  FabricCounters counters;
  std::uint64_t fingerprint = 0;
  std::uint64_t nic_pauses_received = 0;
  std::size_t live_packets = 0;
  bool all_once = true;
  std::size_t messages = 0;
};

IncastResult run_incast(bool pfc, std::uint64_t buffer, std::uint64_t bytes, std::uint64_t seed) {
  sim::Simulator sim(seed);
  sim.enable_fingerprint(true);
  Fabric f(sim);
  SwitchParams sp;
  sp.buffer_bytes = buffer;
  sp.pfc.enabled = pfc;
  NicParams np = test::nic_without_cc();
  np.rto = Time::us(200);
  test::make_star(f, 17, LinkParams{}, sp, np);
  test::RecordingObserver obs;
  f.set_observer(&obs);
  for (EndpointId s = 1; s <= 16; ++s)
    f.send_message(s, 0, bytes, 0, 100 + s);
  sim.run();
  IncastResult r;
  r.counters = f.counters();
  r.fingerprint = sim.fingerprint();
  for (EndpointId s = 1; s <= 16; ++s)
    r.nic_pauses_received += f.nic(s).port().pause_frames_received();
  r.live_packets = f.pool().live();
  r.messages = obs.received.size();
  for (const auto& [key, rec] : obs.received) {
    if (rec.count != 1 || rec.bytes != bytes || rec.dst != 0) r.all_once = false;
  }
  if (obs.sent.size() != 16) r.all_once = false;
  return r;
}

}  // namespace

TEST_CASE("16:1 incast with PFC: no drop, PAUSE sent and honoured, every byte delivered") {
  constexpr std::uint64_t kBytes = 512 * 1024;
  const IncastResult r = run_incast(true, 4ULL << 20, kBytes, 1);
  INFO("pause frames "
       << r.counters.pfc_pause_frames << ", max queue " << r.counters.max_queue_bytes
       << ", headroom drops "
       << r.counters.drops_by_reason[static_cast<std::size_t>(DropReason::kHeadroom)]
       << ", buffer-full drops "
       << r.counters.drops_by_reason[static_cast<std::size_t>(DropReason::kBufferFull)]);
  CHECK(r.counters.drops == 0);
  CHECK(r.counters.retransmissions == 0);
  CHECK(r.counters.pfc_pause_frames > 0);
  CHECK(r.counters.pfc_resume_frames > 0);
  CHECK(r.nic_pauses_received == r.counters.pfc_pause_frames + r.counters.pfc_resume_frames);
  CHECK(r.messages == 16);
  CHECK(r.all_once);
  CHECK(r.counters.bytes_delivered == 16 * kBytes);
  CHECK(r.counters.max_queue_bytes <= (4ULL << 20));
  CHECK(r.live_packets == 0);
}

TEST_CASE("16:1 incast without PFC and a small buffer: drops, retransmissions, exactly once") {
  constexpr std::uint64_t kBytes = 256 * 1024;
  const IncastResult r = run_incast(false, 256 * 1024, kBytes, 1);
  INFO("drops " << r.counters.drops << ", retransmissions " << r.counters.retransmissions);
  CHECK(r.counters.drops > 0);
  CHECK(r.counters.retransmissions > 0);
  CHECK(r.counters.pfc_pause_frames == 0);
  CHECK(r.messages == 16);
  CHECK(r.all_once);
  CHECK(r.counters.bytes_delivered == 16 * kBytes);
  CHECK(r.live_packets == 0);
}

TEST_CASE("determinism: same setup and seed give identical counters and event fingerprint") {
  const IncastResult a = run_incast(true, 4ULL << 20, 128 * 1024, 11);
  const IncastResult b = run_incast(true, 4ULL << 20, 128 * 1024, 11);
  CHECK(a.counters == b.counters);
  CHECK(a.fingerprint == b.fingerprint);
  const IncastResult c = run_incast(false, 256 * 1024, 128 * 1024, 11);
  const IncastResult d = run_incast(false, 256 * 1024, 128 * 1024, 11);
  CHECK(c.counters == d.counters);
  CHECK(c.fingerprint == d.fingerprint);
}

namespace {
// Replies to every request from inside the completion callback (re-entrant send_message).
class ReplyingObserver : public test::RecordingObserver {
 public:
  explicit ReplyingObserver(Fabric& f) : fabric_(&f) {}
  void on_message_received(EndpointId dst, EndpointId src, std::uint64_t cookie,
                           std::uint64_t bytes, sim::Time t) override {
    test::RecordingObserver::on_message_received(dst, src, cookie, bytes, t);
    if (cookie < kReplyBase) {
      fabric_->send_message(dst, src, bytes / 2, 3, kReplyBase + cookie);
      ++replies_posted;
    }
  }
  static constexpr std::uint64_t kReplyBase = 1'000'000;
  int replies_posted = 0;

 private:
  Fabric* fabric_;
};
}  // namespace

TEST_CASE("random loss, many QPs, replies from callbacks: every message exactly once") {
  sim::Simulator sim(99);
  Fabric f(sim);
  LinkParams link;
  link.loss_rate = 0.002;
  SwitchParams sp;
  sp.pfc.enabled = false;
  NicParams np = test::nic_without_cc();
  np.rto = Time::us(100);
  np.ack_every = 3;
  test::make_star(f, 8, link, sp, np);
  ReplyingObserver obs(f);
  f.set_observer(&obs);
  sim::Rng rng(5);
  std::map<std::pair<EndpointId, std::uint64_t>, std::uint64_t> expected;
  for (std::uint64_t m = 0; m < 200; ++m) {
    const auto src = static_cast<EndpointId>(rng.below(8));
    auto dst = static_cast<EndpointId>(rng.below(7));
    if (dst >= src) ++dst;
    const std::uint64_t bytes = m % 17 == 0 ? 0 : rng.below(60'000);
    f.send_message(src, dst, bytes, static_cast<std::uint32_t>(rng.below(3)), m);
    expected[{src, m}] = bytes;
    expected[{dst, ReplyingObserver::kReplyBase + m}] = bytes / 2;
  }
  sim.run();
  const FabricCounters c = f.counters();
  INFO("lost " << c.drops_by_reason[static_cast<std::size_t>(DropReason::kLinkLoss)]
               << ", retransmissions " << c.retransmissions << ", timeouts " << c.timeouts);
  CHECK(c.drops_by_reason[static_cast<std::size_t>(DropReason::kLinkLoss)] > 0);
  CHECK(obs.replies_posted == 200);
  REQUIRE(obs.received.size() == expected.size());
  for (const auto& [key, bytes] : expected) {
    const auto it = obs.received.find(key);
    REQUIRE(it != obs.received.end());
    CHECK(it->second.count == 1);
    CHECK(it->second.bytes == bytes);
  }
  CHECK(obs.sent.size() == expected.size());
  CHECK(c.messages_completed == expected.size());
  CHECK(f.pool().live() == 0);
}
