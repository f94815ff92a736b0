// Tests scenario/size_cdf and the CDF traffic: the shipped distributions, their means, draws
// that match them, the uniform pattern's offered load, and bad CDF files.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "scenario/scenario.hpp"
#include "scenario/size_cdf.hpp"
#include "scenario/traffic.hpp"
#include "topologies/config_error.hpp"

using namespace fabricsim;

namespace {

const std::filesystem::path kConfigs = std::filesystem::path(FABRICSIM_SOURCE_DIR) / "configs";

scenario::SizeCdf shipped(const char* name) {
  return scenario::read_size_cdf((kConfigs / "cdf" / name).string(), {"test", "/cdf"});
}

}  // namespace

TEST_CASE("the shipped CDFs read with the means their headers state", "[scenario][cdf]") {
  const auto web = shipped("web_search.csv");
  const auto hadoop = shipped("hadoop.csv");
  CHECK(web.points.size() == 12);
  CHECK(hadoop.points.size() == 20);
  CHECK(scenario::mean_size(web) == Approx(1'711'250.0));
  CHECK(scenario::mean_size(hadoop) == Approx(120'420.75));
}

TEST_CASE("drawn sizes follow the CDF: mean and quantiles", "[scenario][cdf]") {
  for (const char* name : {"web_search.csv", "hadoop.csv"}) {
    INFO(name);
    const auto cdf = shipped(name);
    sim::Rng rng(7, 1);
    constexpr int kDraws = 400'000;
    double sum = 0;
    std::vector<std::uint64_t> sizes;
    sizes.reserve(kDraws);
    for (int i = 0; i < kDraws; ++i) {
      sizes.push_back(scenario::draw_size(cdf, rng));
      sum += static_cast<double>(sizes.back());
    }
    CHECK(sum / kDraws == Approx(scenario::mean_size(cdf)).epsilon(0.02));
    // The empirical CDF at every point's size is within 0.5% of the point's probability.
    std::sort(sizes.begin(), sizes.end());
    for (const auto& [size, p] : cdf.points) {
      const auto below = std::upper_bound(sizes.begin(), sizes.end(),
                                          static_cast<std::uint64_t>(std::max(1.0, size))) -
                         sizes.begin();
      if (size >= 1) CHECK(static_cast<double>(below) / kDraws == Approx(p).margin(0.005));
    }
  }
}

TEST_CASE("uniform traffic with a CDF draws the CDF's mean at the offered load",
          "[scenario][cdf]") {
  // The shipped scenario, with many flows per host so the sample is large.
  auto s = scenario::load_scenario((kConfigs / "scenarios" / "websearch_uniform.json").string(),
                                   {"workload.flows_per_host=400"});
  REQUIRE(!s.workload.traffic.cdf.points.empty());
  sim::Rng rng(1, 2);
  constexpr std::uint32_t kHosts = 128;
  constexpr std::uint64_t kRate = 100'000'000'000ULL;
  const auto flows = scenario::generate_flows(s.workload.traffic, kHosts, kRate, rng, s.source);
  REQUIRE(flows.size() == 400 * kHosts);
  double bytes = 0;
  std::vector<double> last_start(kHosts, 0.0);
  for (const auto& f : flows) {
    bytes += static_cast<double>(f.bytes);
    last_start[f.src] = std::max(last_start[f.src], f.start.seconds());
    CHECK(f.src != f.dst);
  }
  const double mean = bytes / static_cast<double>(flows.size());
  CHECK(mean == Approx(scenario::mean_size(s.workload.traffic.cdf)).epsilon(0.03));
  double span = 0;
  for (const double t : last_start)
    span += t;
  const double load = bytes * 8.0 / (span * static_cast<double>(kRate));
  CHECK(load == Approx(0.5).epsilon(0.06));
}

TEST_CASE("a CDF path resolves relative to the scenario file", "[scenario][cdf]") {
  const auto s = scenario::load_scenario((kConfigs / "scenarios" / "hadoop_uniform.json").string());
  CHECK(s.workload.traffic.cdf.points.size() == 20);
  CHECK_THROWS_WITH(
      scenario::load_scenario((kConfigs / "scenarios" / "hadoop_uniform.json").string(),
                              {"workload.flow_size.cdf=\"no_such.csv\""}),
      Catch::Contains("hadoop_uniform.json") && Catch::Contains("/workload/flow_size/cdf") &&
          Catch::Contains("no_such.csv"));
}

TEST_CASE("bad CDF files name the file and line", "[scenario][cdf]") {
  const auto dir = std::filesystem::temp_directory_path() / "fabricsim_test_size_cdf";
  std::filesystem::create_directories(dir);
  const char* cases[][2] = {
      {"0 0\n1000 50\n2000 100\n", "above 1 (a file in percent?"},
      {"0 0\n1000 0.7\n2000 0.5\n3000 1\n", ":3: the probability falls"},
      {"0 0\n1000 0.5\n500 1\n", ":3: the size falls"},
      {"0 0\nbig 0.5\n3000 1\n", ":2: not two numbers"},
      {"0 0 0\n3000 1\n", ":1: not two numbers"},
      {"0 0\n1000 -0.1\n3000 1\n", ":2: a negative probability"},
      {"-5 0\n3000 1\n", ":1: a size out of range"},
      {"# nothing\n1000 1\n", "at least two points"},
      {"0 0\n1000 0.5\n", "must end at probability 1"},
      {"", "at least two points"},
  };
  int i = 0;
  for (const auto& c : cases) {
    INFO(c[0]);
    const auto path = dir / fmt::format("bad_{}.csv", i++);
    std::ofstream(path) << c[0];
    CHECK_THROWS_WITH(scenario::read_size_cdf(path.string(), {"s.json", "/x"}),
                      Catch::Contains(path.string()) && Catch::Contains(c[1]));
  }
  CHECK_THROWS_WITH(scenario::read_size_cdf(dir.string(), {"s.json", "/x"}),
                    Catch::Contains("s.json") && Catch::Contains("/x"));
}
