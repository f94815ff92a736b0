// Link technologies in topology JSON: "fabric": "infiniband" defaults, per-link "type", the
// GPU's PCIe hop, and the errors for unknown values.
#include <catch2/catch.hpp>

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
