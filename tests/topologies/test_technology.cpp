// Link technologies in topology JSON: "fabric": "infiniband" defaults, per-link "type", the
// GPU's PCIe hop, and the errors for unknown values.
#include <catch2/catch.hpp>

#include <algorithm>

#include "topologies/fabric_builder.hpp"
#include "topologies/params_json.hpp"
#include "topologies/routing.hpp"
#include "topologies/spec.hpp"

using namespace fabricsim;
using namespace fabricsim::topologies;

namespace {
const char* kFatTree = R"("kind": "fat_tree", "tiers": 2, "radix": 4)";

TopologySpec parse(const std::string& body) {
  return parse_topology(Json::parse("{" + body + "}"), "t.json");
}
}  // namespace

TEST_CASE("fabric infiniband sets IB defaults that explicit fields still override") {
  const auto ib = parse(std::string(kFatTree) + R"(, "fabric": "infiniband")");
  CHECK(ib.fabric == FabricTechnology::kInfiniband);
  CHECK(ib.link.type == models::LinkType::kInfiniband);
  CHECK(ib.clos.level_link[1].type == models::LinkType::kInfiniband);
  CHECK_FALSE(ib.switch_params.pfc.enabled);
  CHECK_FALSE(ib.switch_params.ecn.enabled);
  CHECK(ib.nic.transport == models::NicTransport::kInfiniband);
  CHECK(ib.nic.cc.algorithm == models::CcAlgorithm::kNone);
  const auto over = parse(std::string(kFatTree) +
                          R"(, "fabric": "infiniband", "nic": {"cc": {"algorithm": "dcqcn"}})");
  CHECK(over.nic.cc.algorithm == models::CcAlgorithm::kDcqcn);
  // Round trip through the resolved form.
  const auto again = parse_topology(topology_to_json(ib), "resolved");
  CHECK(again.link == ib.link);
  CHECK(again.fabric == ib.fabric);

  const auto eth = parse(kFatTree);
  CHECK(eth.fabric == FabricTechnology::kEthernet);
  CHECK(eth.link.type == models::LinkType::kEthernet);
  CHECK(eth.switch_params.pfc.enabled);
}

TEST_CASE("unknown fabric or link type values name the JSON path") {
  CHECK_THROWS_WITH(parse(std::string(kFatTree) + R"(, "fabric": "omnipath")"),
                    Catch::Contains("t.json: /fabric: \"omnipath\"") &&
                        Catch::Contains("expected ethernet or infiniband"));
  CHECK_THROWS_WITH(
      parse(std::string(kFatTree) + R"(, "link": {"type": "ib"})"),
      Catch::Contains("/link/type") && Catch::Contains("ethernet, infiniband, nvlink, pcie"));
  CHECK_THROWS_WITH(parse(std::string(kFatTree) + R"(, "gpu": {"pcie": "64GBps"})"),
                    Catch::Contains("/gpu/pcie"));
}

TEST_CASE("an IB topology builds credit-limited ports; gpu.pcie_rate inserts PCIe stages") {
  const auto spec =
      parse(std::string(kFatTree) + R"(, "fabric": "infiniband", "gpu": {"pcie_rate": "64GBps"})");
  CHECK(spec.gpu_params.pcie_rate_bps == 512'000'000'000ULL);
  const auto g = build_graph(spec);
  const auto routes = compute_routes(g);
  sim::Simulator sim(1);
  auto fabric = build_fabric(g, routes, sim);
  REQUIRE(fabric->pcie(0) != nullptr);
  CHECK(fabric->nic(0).port(0).rate_bps() == 512'000'000'000ULL);
  CHECK(fabric->nic(0).port(0).credit_limited());
  CHECK(fabric->pcie(0)->port(models::PcieStage::kNetworkSide).credit_limited());
  CHECK(fabric->switch_at(0).port(0).credit_limited());  // into the PCIe stage's buffer
  // Without pcie_rate the NIC sits on the link as before.
  const auto plain = parse(kFatTree);
  const auto g2 = build_graph(plain);
  auto f2 = build_fabric(g2, compute_routes(g2), sim);
  CHECK(f2->pcie(0) == nullptr);
  CHECK_FALSE(f2->switch_at(0).port(0).credit_limited());
}

TEST_CASE("rail_optimized nvlink.switches builds one simulated NVLink domain per node") {
  const auto spec = parse(R"("kind": "rail_optimized", "nodes": 2, "gpus_per_node": 4,
      "rails": 4, "tiers": 2, "radix": 8,
      "nvlink": {"bandwidth": "400GBps", "links": 4, "latency": "150ns", "switches": 2})");
  const auto g = build_graph(spec);
  sim::Simulator sim(1);
  auto fabric = build_fabric(g, compute_routes(g), sim);
  REQUIRE(fabric->nvlink_domain_count() == 2);
  CHECK(fabric->nvlink_domain_of(5) == 1);
  CHECK(fabric->nvlink_local_index(5) == 1);
  const auto& p = fabric->nvlink_domain(0).params();
  CHECK(p.link.rate_bps == 400'000'000'000ULL);  // 400 GB/s both ways = 200 GB/s over 4 links
  CHECK(p.switches == 2);
  CHECK(p.link.delay * 2 + p.switch_latency == sim::Time::ns(150));
  // Without "switches" the domain is only recorded.
  const auto plain = parse(R"("kind": "rail_optimized", "nodes": 2, "gpus_per_node": 4,
      "rails": 4, "tiers": 2, "radix": 8)");
  const auto g2 = build_graph(plain);
  CHECK(build_fabric(g2, compute_routes(g2), sim)->nvlink_domain_count() == 0);
  CHECK_THROWS_WITH(parse(R"("kind": "rail_optimized", "nodes": 2, "gpus_per_node": 4,
      "rails": 4, "tiers": 2, "radix": 8, "nvlink": {"links": 4, "switches": 5})"),
                    Catch::Contains("/nvlink/switches") && Catch::Contains("at most one"));
}

TEST_CASE("the IB and NVL72 example topologies build credit-based fabrics and NVLink domains") {
  const std::string dir = std::string(FABRICSIM_SOURCE_DIR) + "/configs/topologies/";
  const auto ib = load_topology(dir + "ib_rail_optimized_1024.json");
  CHECK(ib.fabric == FabricTechnology::kInfiniband);
  const auto nvl = load_topology(dir + "nvl72_rack.json");
  const auto g = build_graph(nvl);
  sim::Simulator sim(1);
  auto fabric = build_fabric(g, compute_routes(g), sim);
  REQUIRE(fabric->nvlink_domain_count() == 1);
  const auto& d = fabric->nvlink_domain(0);
  CHECK(d.size() == 72);
  CHECK(d.switch_count() == 18);
  CHECK(d.params().link.rate_bps * 18 / 8 == 900'000'000'000ULL);  // 900 GB/s per direction
}

namespace {
struct LastDone : models::NvlsObserver {
  void on_nvls_allreduce_done(models::EndpointId, std::uint64_t, sim::Time t) override {
    last = std::max(last, t);
    ++count;
  }
  sim::Time last = sim::Time::zero();
  std::uint32_t count = 0;
};
}  // namespace

TEST_CASE("NVL72: the in-switch all-reduce of 72 GPUs runs at 900 GB/s per GPU") {
  const auto spec =
      load_topology(std::string(FABRICSIM_SOURCE_DIR) + "/configs/topologies/nvl72_rack.json");
  const auto g = build_graph(spec);
  sim::Simulator sim(1);
  auto fabric = build_fabric(g, compute_routes(g), sim);
  LastDone done;
  fabric->set_nvls_observer(&done);
  constexpr std::uint64_t kBytes = 8ULL << 20;
  for (models::EndpointId gpu = 0; gpu < 72; ++gpu)
    fabric->post_nvls_allreduce(gpu, kBytes, 1);
  sim.run();
  REQUIRE(done.count == 72);
  const auto& p = fabric->nvlink_domain(0).params();
  const double payload =
      static_cast<double>(p.link.mtu_bytes) / (p.link.mtu_bytes + p.header_bytes);
  const double seconds = static_cast<double>(kBytes) / (900e9 * payload);
  INFO("NVLS all-reduce " << done.last.seconds() * 1e6 << " us, S/B " << seconds * 1e6 << " us");
  CHECK(done.last.seconds() == Approx(seconds).epsilon(0.05));
  CHECK(fabric->counters().drops == 0);
}

TEST_CASE("send_gpu_message: NVLink inside a node, PCIe + NIC + InfiniBand between nodes") {
  const auto spec = load_topology(std::string(FABRICSIM_SOURCE_DIR) +
                                  "/configs/topologies/ib_rail_optimized_1024.json");
  const auto g = build_graph(spec);
  sim::Simulator sim(1);
  auto fabric = build_fabric(g, compute_routes(g), sim);
  struct Seen : models::MessageObserver {
    void on_message_sent(models::EndpointId src, std::uint64_t cookie, sim::Time) override {
      sent.push_back({src, cookie});
    }
    void on_message_received(models::EndpointId dst, models::EndpointId src, std::uint64_t cookie,
                             std::uint64_t bytes, sim::Time t) override {
      received.push_back({dst, src, cookie, bytes, t});
    }
    struct Rx {
      models::EndpointId dst, src;
      std::uint64_t cookie, bytes;
      sim::Time t;
    };
    std::vector<std::pair<models::EndpointId, std::uint64_t>> sent;
    std::vector<Rx> received;
  } seen;
  fabric->set_observer(&seen);
  constexpr std::uint64_t kBytes = 4ULL << 20;
  fabric->send_gpu_message(0, 1, kBytes, 0, 11);  // same node: NVLink
  fabric->send_gpu_message(0, 8, kBytes, 0, 22);  // next node, same rail: IB
  sim.run();
  REQUIRE(seen.received.size() == 2);
  REQUIRE(seen.sent.size() == 2);
  const auto& nv = seen.received[0].cookie == 11 ? seen.received[0] : seen.received[1];
  const auto& ib = seen.received[0].cookie == 22 ? seen.received[0] : seen.received[1];
  CHECK((nv.dst == 1 && nv.src == 0 && nv.bytes == kBytes));
  CHECK((ib.dst == 8 && ib.src == 0 && ib.bytes == kBytes));
  CHECK(fabric->nvlink_domain(0).bytes_delivered() == kBytes);
  CHECK(fabric->nic(8).counters().bytes_delivered == kBytes);
  CHECK(fabric->nic(1).counters().bytes_delivered == 0);
  // NVLink at 450 GB/s, the NIC at 400 Gb/s (its PCIe, 64 GB/s, is faster).
  CHECK(nv.t.seconds() < 1.05 * kBytes / 450e9 + 1e-6);
  CHECK(ib.t.seconds() > kBytes * 8.0 / 400e9);
  CHECK(ib.t.seconds() < 1.1 * kBytes * 8.0 / 400e9 + 5e-6);
  CHECK(fabric->counters().drops == 0);
}
