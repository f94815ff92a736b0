// GPU endpoints: the PCIe hop between a GPU and its NIC caps what the GPU sends and receives
// over the network at the PCIe rate, and back-pressures an InfiniBand fabric without loss.
#include <catch2/catch.hpp>

#include <array>

#include "tests/models/fabric_test_helpers.hpp"

using namespace fabricsim;
using namespace fabricsim::models;
using sim::Time;

namespace {

constexpr std::uint64_t kGbps = 1'000'000'000ULL;

struct PcieRun {
  double goodput_bps = 0;
  FabricCounters counters;
  std::uint64_t switch_stalls = 0;  // credit stalls of the switch port towards the receiver
};

// Two GPUs (NICs 0 and 1) on one switch; GPU i's PCIe runs at pcie_bps[i] (0 = no PCIe hop).
PcieRun run_pair(LinkType type, std::uint64_t link_bps, std::array<std::uint64_t, 2> pcie_bps) {
  sim::Simulator sim(1);
  Fabric f(sim);
  LinkParams link;
  link.type = type;
  link.rate_bps = link_bps;
  link.delay = Time::ns(500);
  SwitchParams sw;
  if (type == LinkType::kInfiniband) {
    sw.pfc.enabled = false;
    sw.ecn.enabled = false;
    sw.credit_buffer_bytes = 128 * 1024;
  }
  const std::uint32_t s = f.add_switch(2, sw, 0);
  for (std::uint16_t h = 0; h < 2; ++h) {
    const EndpointId e = f.add_nic(test::nic_without_cc());
    GpuParams gpu;
    gpu.pcie_rate_bps = pcie_bps[h];
    f.add_pcie(e, gpu);
    f.connect(NodeRef::nic(e), 0, NodeRef::sw(s), h, link);
    f.set_endpoint_attachment(e, s, h);
  }
  f.set_routes(s, {}, {});
  test::RecordingObserver obs;
  f.set_observer(&obs);
  constexpr std::uint64_t kBytes = 16ULL << 20;
  f.send_message(0, 1, kBytes, 0, 1);
  sim.run();
  PcieRun r;
  r.goodput_bps = static_cast<double>(kBytes) * 8.0 / obs.received.at({0, 1}).t.seconds();
  r.counters = f.counters();
  r.switch_stalls = f.switch_at(s).port(1).credit_stalls();
  CHECK(r.counters.bytes_delivered == kBytes);
  CHECK(f.pool().live() == 0);
  return r;
}

double payload_share() {
  const NicParams n = test::nic_without_cc();
  return 4096.0 / (4096.0 + n.header_bytes);
}

}  // namespace

TEST_CASE("PCIe slower than the NIC caps a GPU's network throughput at the PCIe rate") {
  for (const LinkType type : {LinkType::kEthernet, LinkType::kInfiniband}) {
    INFO("link type " << static_cast<int>(type));
    // Sender's PCIe at 200G behind a 400G NIC: 200G, not 400G.
    const PcieRun slow = run_pair(type, 400 * kGbps, {200 * kGbps, 800 * kGbps});
    INFO("goodput " << slow.goodput_bps / 1e9 << " Gb/s");
    CHECK(slow.goodput_bps <= 200e9 * payload_share() * 1.001);
    CHECK(slow.goodput_bps >= 0.97 * 200e9 * payload_share());
    CHECK(slow.counters.drops == 0);
    // PCIe faster than the NIC: the network link is the limit.
    const PcieRun fast = run_pair(type, 400 * kGbps, {800 * kGbps, 800 * kGbps});
    CHECK(fast.goodput_bps >= 0.97 * 400e9 * payload_share());
    // Without a PCIe hop the NIC runs at its line rate, as before.
    const PcieRun none = run_pair(type, 400 * kGbps, {0, 0});
    CHECK(none.goodput_bps >= 0.97 * 400e9 * payload_share());
  }
}

TEST_CASE("a receiver's slow PCIe back-pressures an InfiniBand fabric by credits, without loss") {
  const PcieRun r = run_pair(LinkType::kInfiniband, 400 * kGbps, {800 * kGbps, 200 * kGbps});
  INFO("goodput " << r.goodput_bps / 1e9 << " Gb/s, switch stalls " << r.switch_stalls);
  CHECK(r.goodput_bps <= 200e9 * payload_share() * 1.001);
  CHECK(r.goodput_bps >= 0.97 * 200e9 * payload_share());
  CHECK(r.counters.drops == 0);
  CHECK(r.counters.retransmissions == 0);
  CHECK(r.switch_stalls > 0);  // the switch waited for the receiver's NIC buffer
}
