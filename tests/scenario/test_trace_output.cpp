// Tests scenario/trace_output and "outputs": {"trace": true}: trace.json is valid Chrome trace
// JSON with one slice per flow on non-overlapping tracks of its source NIC.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "scenario/trace_output.hpp"

using namespace fabricsim;
using nlohmann::json;

namespace {

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return json::parse(in);  // throws (fails the test) on invalid JSON
}

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("fabricsim_test_trace_" + name);
}

}  // namespace

TEST_CASE("flows become slices on lanes of their source NIC", "[scenario][trace]") {
  using sim::Time;
  const std::vector<models::FlowRecord> flows = {
      {0, 1, 1000, Time::us(0), Time::us(10)},
      {0, 2, 2000, Time::us(5), Time::us(8)},    // overlaps the first: a second lane
      {0, 3, 3000, Time::us(10), Time::us(12)},  // starts when the first ends: lane 0 again
      {4, 0, 4000, Time::us(1), Time::us(2)},
  };
  const auto path = temp_path("unit.json");
  {
    sim::TraceWriter trace(path.string());
    CHECK(scenario::write_flow_trace(trace, flows, 7) == 4);
  }
  const auto doc = read_json(path);
  std::map<std::uint32_t, std::string> thread;
  std::vector<json> slices;
  for (const auto& e : doc["traceEvents"]) {
    CHECK(e["pid"] == 7);
    if (e["ph"] == "M" && e["name"] == "thread_name") thread[e["tid"]] = e["args"]["name"];
    if (e["ph"] == "M" && e["name"] == "process_name") CHECK(e["args"]["name"] == "flows");
    if (e["ph"] == "X") slices.push_back(e);
  }
  REQUIRE(slices.size() == 4);
  CHECK(thread ==
        std::map<std::uint32_t, std::string>{{0, "nic 0"}, {1, "nic 0 #1"}, {2, "nic 4"}});
  CHECK(slices[0]["name"] == "0->1 1000 B");
  CHECK(slices[0]["tid"] == 0);
  CHECK(slices[0]["cat"] == "flow");
  CHECK(slices[0]["ts"].get<double>() == Approx(0.0));
  CHECK(slices[0]["dur"].get<double>() == Approx(10.0));  // microseconds
  CHECK(slices[1]["tid"] == 1);
  CHECK(slices[2]["tid"] == 0);
  CHECK(slices[3]["tid"] == 2);
  CHECK(slices[3]["ts"].get<double>() == Approx(1.0));
}

TEST_CASE("a scenario with outputs.trace writes every completed flow to trace.json",
          "[scenario][trace]") {
  auto doc = json::parse(R"({
    "name": "tr", "seed": 2,
    "topology": {"kind": "explicit", "switches": [{"name": "s0"}],
      "hosts": [{"name": "h0"}, {"name": "h1"}, {"name": "h2"}, {"name": "h3"}],
      "links": [{"a": "h0", "b": "s0"}, {"a": "h1", "b": "s0"}, {"a": "h2", "b": "s0"},
                {"a": "h3", "b": "s0"}]},
    "workload": {"kind": "traffic", "pattern": "all_to_all", "flow_size": "64KB"},
    "outputs": {"trace": true}
  })");
  const auto dir = temp_path("run");
  std::filesystem::remove_all(dir);
  scenario::RunOptions options;
  options.out_dir = dir.string();
  const auto r = scenario::run_scenario(scenario::parse_scenario(doc, "tr.json", "."), options);
  REQUIRE(r.flows.completed == 12);
  const auto trace = read_json(dir / "trace.json");
  std::map<std::uint32_t, double> lane_end;
  int slices = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    ++slices;
    const double ts = e["ts"];
    const double dur = e["dur"];
    CHECK(dur > 0);
    CHECK(ts >= lane_end[e["tid"]]);  // slices of one track never overlap
    lane_end[e["tid"]] = ts + dur;
  }
  CHECK(slices == 12);
  // Without the flag, no trace.
  doc["outputs"]["trace"] = false;
  std::filesystem::remove_all(dir);
  scenario::run_scenario(scenario::parse_scenario(doc, "tr.json", "."), options);
  CHECK(!std::filesystem::exists(dir / "trace.json"));
}
