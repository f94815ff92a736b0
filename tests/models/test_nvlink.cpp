// NVLink domains: per-GPU bandwidth (links x link rate) in an all-to-all, sub-microsecond
// latency, lossless, and the in-switch all-reduce against a ring on the same domain.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "tests/models/fabric_test_helpers.hpp"

using namespace fabricsim;
using namespace fabricsim::models;
using sim::Time;

namespace {

// HGX H100: 8 GPUs, 18 NVLink 4 links each (25 GB/s per direction) over 4 NVSwitch chips.
NvlinkParams hgx_h100() {
  NvlinkParams p;
  p.links = 18;
  p.switches = 4;
  p.link.rate_bps = 200'000'000'000ULL;
  return p;
}

std::vector<EndpointId> gpus(std::uint32_t n) {
  std::vector<EndpointId> v(n);
  for (std::uint32_t i = 0; i < n; ++i)
    v[i] = i;
  return v;
}

double per_gpu_Bps(const NvlinkParams& p) {
  return static_cast<double>(p.links) * static_cast<double>(p.link.rate_bps) / 8.0;
}

// Drives a ring all-reduce (reduce-scatter then all-gather, 2 (G-1) steps of S/G bytes): GPU g
// sends step s to g+1 once it has received step s-1 from g-1.
class RingDriver : public MessageObserver {
 public:
  RingDriver(Fabric& f, std::uint32_t n, std::uint64_t bytes)
      : f_(&f), n_(n), step_bytes_(bytes / n), done_(n, Time::zero()) {}
  void start() {
    for (EndpointId g = 0; g < n_; ++g)
      f_->send_gpu_message(g, (g + 1) % n_, step_bytes_, 0, 0);
  }
  void on_message_sent(EndpointId, std::uint64_t, Time) override {}
  void on_message_received(EndpointId dst, EndpointId, std::uint64_t step, std::uint64_t,
                           Time t) override {
    if (step + 1 < 2 * (n_ - 1)) {
      f_->send_gpu_message(dst, (dst + 1) % n_, step_bytes_, 0, step + 1);
    } else {
      done_[dst] = t;
    }
  }
  Time finish() const { return *std::max_element(done_.begin(), done_.end()); }

 private:
  Fabric* f_;
  std::uint32_t n_;
  std::uint64_t step_bytes_;
  std::vector<Time> done_;
};

class NvlsDone : public NvlsObserver {
 public:
  void on_nvls_allreduce_done(EndpointId gpu, std::uint64_t, Time t) override {
    done.push_back({gpu, t});
  }
  std::vector<std::pair<EndpointId, Time>> done;
};

}  // namespace

TEST_CASE("NVLink: all-to-all among 8 GPUs reaches >= 95% of the per-GPU bandwidth") {
  const NvlinkParams p = hgx_h100();
  sim::Simulator sim(1);
  Fabric f(sim);
  f.add_nvlink_domain(p, gpus(8));
  test::RecordingObserver obs;
  f.set_observer(&obs);
  constexpr std::uint64_t kBytes = 16ULL << 20;
  for (EndpointId a = 0; a < 8; ++a) {
    for (EndpointId b = 0; b < 8; ++b) {
      if (a != b) f.send_gpu_message(a, b, kBytes, 0, a * 8 + b);
    }
  }
  sim.run();
  REQUIRE(obs.received.size() == 56);
  REQUIRE(obs.sent.size() == 56);
  Time last = Time::zero();
  for (const auto& [key, r] : obs.received) {
    CHECK(r.count == 1);
    CHECK(r.bytes == kBytes);
    last = std::max(last, r.t);
  }
  const double per_gpu = 7.0 * kBytes / last.seconds();
  INFO("per-GPU send rate " << per_gpu / 1e9 << " GB/s of " << per_gpu_Bps(p) / 1e9);
  CHECK(per_gpu >= 0.95 * per_gpu_Bps(p));
  const FabricCounters c = f.counters();
  CHECK(c.drops == 0);
  CHECK(c.bytes_delivered == 56 * kBytes);
  CHECK(f.pool().live() == 0);
}

TEST_CASE("NVLink: one small message crosses the domain in under a microsecond") {
  sim::Simulator sim(1);
  Fabric f(sim);
  f.add_nvlink_domain(hgx_h100(), gpus(8));
  test::RecordingObserver obs;
  f.set_observer(&obs);
  f.send_gpu_message(3, 5, 256, 0, 1);
  sim.run();
  const Time t = obs.received.at({3, 1}).t;
  INFO("latency " << t.seconds() * 1e9 << " ns");
  CHECK(t < Time::us(1));
  CHECK(obs.received.at({3, 1}).dst == 5);
}

// Model (see models/nvlink/domain.hpp): T_ring = 2 (G-1) (S/(G B) + a), T_nvls = S/B + a, with
// B the per-GPU bandwidth per direction (payload) and a the latency of one step (measured here
// as the time of a one-packet message). Bandwidth-bound the ratio tends to 2 (G-1)/G = 1.75.
TEST_CASE("NVLink: in-switch all-reduce beats the ring by the predicted factor") {
  const NvlinkParams p = hgx_h100();
  constexpr std::uint32_t kGpus = 8;
  constexpr std::uint64_t kBytes = 16ULL << 20;
  const double payload =
      static_cast<double>(p.link.mtu_bytes) / (p.link.mtu_bytes + p.header_bytes);
  const double B = per_gpu_Bps(p) * payload;

  sim::Simulator s1(1);
  Fabric f1(s1);
  f1.add_nvlink_domain(p, gpus(kGpus));
  test::RecordingObserver probe;
  f1.set_observer(&probe);
  f1.send_gpu_message(0, 1, p.link.mtu_bytes, 0, 1);
  s1.run();
  const double a = probe.received.at({0, 1}).t.seconds();

  sim::Simulator s2(1);
  Fabric f2(s2);
  f2.add_nvlink_domain(p, gpus(kGpus));
  RingDriver ring(f2, kGpus, kBytes);
  f2.set_observer(&ring);
  ring.start();
  s2.run();
  const double t_ring = ring.finish().seconds();

  sim::Simulator s3(1);
  Fabric f3(s3);
  f3.add_nvlink_domain(p, gpus(kGpus));
  NvlsDone nvls;
  f3.set_nvls_observer(&nvls);
  for (EndpointId g = 0; g < kGpus; ++g)
    f3.post_nvls_allreduce(g, kBytes, 42);
  s3.run();
  REQUIRE(nvls.done.size() == kGpus);
  double t_nvls = 0;
  for (const auto& [gpu, t] : nvls.done)
    t_nvls = std::max(t_nvls, t.seconds());
  CHECK(f3.counters().drops == 0);
  CHECK(f3.pool().live() == 0);
  std::uint64_t reductions = 0;
  for (std::uint32_t c = 0; c < p.switches; ++c)
    reductions += f3.nvlink_domain(0).nvswitch(c).reductions();
  CHECK(reductions == kBytes / p.link.mtu_bytes);

  const double g = kGpus;
  const double predicted_ring = 2 * (g - 1) * (kBytes / (g * B) + a);
  const double predicted_nvls = kBytes / B + a;
  const double predicted = predicted_ring / predicted_nvls;
  INFO("ring " << t_ring * 1e6 << " us (model " << predicted_ring * 1e6 << "), NVLS "
               << t_nvls * 1e6 << " us (model " << predicted_nvls * 1e6 << "), speed-up "
               << t_ring / t_nvls << ", predicted " << predicted << ", a " << a * 1e9 << " ns");
  CHECK(t_ring == Approx(predicted_ring).epsilon(0.05));
  CHECK(t_nvls == Approx(predicted_nvls).epsilon(0.05));
  CHECK(t_ring / t_nvls == Approx(predicted).epsilon(0.05));
  CHECK(t_ring / t_nvls > 1.6);
}

TEST_CASE("NVLink runs are deterministic: same setup, same event fingerprint") {
  const auto run = [] {
    sim::Simulator sim(7);
    sim.enable_fingerprint(true);
    Fabric f(sim);
    f.add_nvlink_domain(hgx_h100(), gpus(8));
    NvlsDone nvls;
    f.set_nvls_observer(&nvls);
    test::RecordingObserver obs;
    f.set_observer(&obs);
    for (EndpointId g = 0; g < 8; ++g) {
      f.post_nvls_allreduce(g, 1ULL << 20, 5);
      f.send_gpu_message(g, (g + 3) % 8, 300'000, 0, g);
    }
    sim.run();
    return std::pair{sim.fingerprint(), f.counters()};
  };
  const auto a = run();
  const auto b = run();
  CHECK(a.first == b.first);
  CHECK(a.second == b.second);
  CHECK(a.second.bytes_delivered == 8 * 300'000 + 8 * (1ULL << 20));
}
