// The GPU-side collective model in scenarios: hardware presets under a topology, the tuner's
// auto choice reported in the results, the protocols' costs, and the refusals (NVLS without
// NVLink SHARP, auto with the ideal protocol).
#include <catch2/catch.hpp>

#include <string>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"

using namespace fabricsim;

namespace {

const std::string kHardware = std::string(FABRICSIM_SOURCE_DIR) + "/configs/hardware/";

// One 8-GPU node of `gpu` (a configs/hardware preset) with 400G InfiniBand NICs.
nlohmann::json node(const std::string& gpu, const std::string& size, std::int32_t nodes = 1) {
  nlohmann::json doc = nlohmann::json::parse(R"({
    "name": "gpu_model",
    "topology": { "kind": "rail_optimized", "gpus_per_node": 8, "rails": 8, "tiers": 2,
                  "radix": 16 },
    "workload": { "kind": "collective", "op": "allreduce", "algorithm": "auto" } })");
  doc["topology"]["nodes"] = nodes;
  doc["topology"]["hardware"] = {kHardware + gpu + ".json", kHardware + "cx7_400g_ib.json"};
  doc["workload"]["size"] = size;
  return doc;
}

scenario::Results run(const nlohmann::json& doc) {
  return scenario::run_scenario(scenario::parse_scenario(doc, "test.json", "."), {});
}

}  // namespace

TEST_CASE("a hardware preset fills the topology's blocks; the topology's own fields win",
          "[gpu_model]") {
  auto doc = node("hgx_h100", "1MiB");
  doc["topology"]["gpu"] = {{"nccl", {{"nvls_efficiency", 0.5}}}};
  const auto s = scenario::parse_scenario(doc, "test.json", ".");
  CHECK(s.topology.gpu_params.nccl.arch == 90);
  CHECK(s.topology.gpu_params.nccl.nvlink_efficiency == Approx(0.824));
  CHECK(s.topology.gpu_params.nccl.nvls_efficiency == 0.5);  // the topology's
  CHECK(s.topology.rail.nvlink.links == 18);
  CHECK(s.topology.link.rate_bps == 400'000'000'000ULL);  // from the NIC preset
  CHECK(s.topology.fabric == topologies::FabricTechnology::kInfiniband);
  doc["topology"]["hardware"] = kHardware + "no_such_preset.json";
  CHECK_THROWS_WITH(scenario::parse_scenario(doc, "test.json", "."),
                    Catch::Contains("test.json: /topology/hardware") &&
                        Catch::Contains("a readable hardware preset file"));
}

TEST_CASE("auto picks LL for 8 bytes and NVLS for 1 GiB on an H100 node, and says so",
          "[gpu_model]") {
  const auto small = run(node("hgx_h100", "8"));
  REQUIRE(small.collectives.size() == 1);
  CHECK(small.collectives[0].protocol == "LL");
  CHECK(small.collectives[0].algorithm == "ring");
  CHECK(small.collectives[0].nccl_algorithm == "Ring");
  // Launch 5 us + NCCL's ring LL latency 6.6 + 14 x 0.6 us, plus the NVLink hops themselves.
  CHECK(small.collectives[0].time_ps > 20'000'000);
  CHECK(small.collectives[0].time_ps < 25'000'000);
  const auto large = run(node("hgx_h100", "256MiB"));
  CHECK(large.collectives[0].algorithm == "nvls");
  CHECK(large.collectives[0].protocol == "Simple");
  // algbw <= B e_nvlink e_nvls n/(n+1): 450 x 0.824 x 0.85 x 8/9 = 280 GB/s.
  CHECK(large.collectives[0].algbw_GBps < 281.0);
  CHECK(large.collectives[0].algbw_GBps > 250.0);
}

TEST_CASE("the ideal protocol keeps the line-rate model; a ring reaches the NVLink rate",
          "[gpu_model]") {
  auto doc = node("hgx_h100", "256MiB");
  doc["workload"]["algorithm"] = "ring";
  doc["workload"]["protocol"] = "ideal";
  const auto ideal = run(doc);
  CHECK(ideal.collectives[0].protocol == "ideal");
  CHECK(ideal.collectives[0].busbw_GBps > 440.0);
  doc["workload"]["protocol"] = "Simple";
  const auto simple = run(doc);
  // 450 GB/s x 20.6/25 (NCCL's per-link NVLink 4 bandwidth): about 371.
  CHECK(simple.collectives[0].busbw_GBps < 372.0);
  CHECK(simple.collectives[0].busbw_GBps > 340.0);
}

TEST_CASE("NVLS is refused on A100 (no NVLink SHARP) and auto needs a protocol that tunes",
          "[gpu_model]") {
  auto doc = node("hgx_a100", "64MiB");
  doc["workload"]["algorithm"] = "nvls";
  CHECK_THROWS_WITH(run(doc),
                    Catch::Contains("/workload/algorithm") && Catch::Contains("no NVLink SHARP"));
  doc["workload"]["algorithm"] = "auto";
  CHECK(run(doc).collectives[0].algorithm == "ring");
  doc["workload"]["protocol"] = "ideal";
  CHECK_THROWS_WITH(
      run(doc), Catch::Contains("/workload/algorithm") && Catch::Contains("needs NCCL's tuner"));
  doc["workload"]["protocol"] = "LL256";
  CHECK_THROWS_WITH(run(doc), Catch::Contains("/workload/protocol"));
  auto h100 = node("hgx_h100", "64MiB");
  h100["workload"]["algorithm"] = "nvls";
  h100["workload"]["protocol"] = "LL";
  CHECK_THROWS_WITH(
      run(h100), Catch::Contains("/workload/protocol") && Catch::Contains("Simple protocol only"));
}
