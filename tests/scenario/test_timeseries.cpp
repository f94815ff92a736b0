// Tests scenario/timeseries: the fabric-wide, per-port and per-QP CSVs, the port selection and
// its errors, and that sampling neither perturbs the simulation nor varies between runs.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"

using namespace fabricsim;
using nlohmann::json;

namespace {

// Hosts h0 and h1 (left) send 2 MB each to h2 (right) over a 200 Gb/s inter-switch link: the
// right switch's 100 Gb/s port to h2 fills, so it marks ECN and pauses the left switch (PFC).
json congested_dumbbell() {
  return json::parse(R"({
    "name": "ts", "seed": 5,
    "topology": {"kind": "explicit",
      "switches": [{"name": "left"}, {"name": "right"}],
      "hosts": [{"name": "h0"}, {"name": "h1"}, {"name": "h2"}, {"name": "h3"}],
      "links": [{"a": "h0", "b": "left"}, {"a": "h1", "b": "left"}, {"a": "h2", "b": "right"},
                {"a": "h3", "b": "right"}, {"a": "left", "b": "right", "rate": "200Gbps"}],
      "link": {"rate": "100Gbps", "delay": "1us"}},
    "models": {"switch": {"buffer": "384KiB", "pfc": {"enabled": true},
                          "ecn": {"kmin": "20KB", "kmax": "200KB", "pmax": 0.5}},
               "nic": {"cc": {"algorithm": "dcqcn"}}},
    "workload": {"kind": "flows", "flows": [{"src": 0, "dst": 2, "size": "2MB"},
                                            {"src": 1, "dst": 2, "size": "2MB"}]},
    "outputs": {"timeseries": {"interval": "5us", "qps": true,
      "metrics": ["queue_bytes", "link_utilization", "pfc_paused", "pfc_pause_frames",
                  "ecn_marks", "drops", "qp_rate"]}}
  })");
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  std::size_t column(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    FAIL("no column " << name);
    return 0;
  }
};

Csv read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  Csv csv;
  std::string line;
  std::getline(in, line);
  std::istringstream head(line);
  for (std::string cell; std::getline(head, cell, ',');)
    csv.header.push_back(cell);
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    std::vector<double> row;
    for (std::string cell; std::getline(cells, cell, ',');)
      row.push_back(std::stod(cell));
    REQUIRE(row.size() == csv.header.size());
    csv.rows.push_back(std::move(row));
  }
  return csv;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("fabricsim_test_timeseries_" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

scenario::Results run(const json& doc, const std::filesystem::path& dir) {
  const auto s = scenario::parse_scenario(doc, "ts.json", ".");
  scenario::RunOptions options;
  options.out_dir = dir.string();
  return scenario::run_scenario(s, options);
}

}  // namespace

TEST_CASE("time series record queues, PFC, ECN and QP rates consistently with the counters",
          "[scenario][timeseries]") {
  const auto dir = fresh_dir("full");
  const auto r = run(congested_dumbbell(), dir);
  REQUIRE(r.completed);
  REQUIRE(r.fabric.pfc_pause_frames > 0);
  REQUIRE(r.fabric.ecn_marks > 0);

  const auto wide = read_csv(dir / "timeseries.csv");
  REQUIRE(wide.rows.size() > 10);
  const auto& last = wide.rows.back();
  // Cumulative counters end at the run's totals; queues are empty at the end.
  CHECK(last[wide.column("ecn_marks")] == static_cast<double>(r.fabric.ecn_marks));
  CHECK(last[wide.column("cnps")] == static_cast<double>(r.fabric.cnps));
  CHECK(last[wide.column("pfc_pause_frames")] == static_cast<double>(r.fabric.pfc_pause_frames));
  CHECK(last[wide.column("drops")] == 0);
  CHECK(last[wide.column("queue_bytes_total")] == 0);
  double max_queue = 0;
  double max_paused = 0;
  double max_util = 0;
  for (const auto& row : wide.rows) {
    max_queue = std::max(max_queue, row[wide.column("queue_bytes_max")]);
    max_paused = std::max(max_paused, row[wide.column("pfc_paused_ports")]);
    max_util = std::max(max_util, row[wide.column("link_utilization_max")]);
    CHECK(row[wide.column("link_utilization_mean")] <= row[wide.column("link_utilization_max")]);
  }
  CHECK(max_queue > 20000);
  CHECK(max_queue <= static_cast<double>(r.fabric.max_queue_bytes));
  CHECK(max_paused >= 1);
  CHECK(max_util > 0.9);
  // A port counts a packet when it starts sending it: one MTU more than the interval's capacity
  // (4 KiB of 62.5 KB at 100 Gb/s x 5 us) is possible.
  CHECK(max_util < 1.07);

  // Per port: every connected switch port (2 + 2 + 1 + 1 = 6) at every sample.
  const auto ports = read_csv(dir / "timeseries_ports.csv");
  CHECK(ports.rows.size() == 6 * wide.rows.size());
  std::map<std::pair<int, int>, double> last_pauses;
  double paused_rows = 0;
  double busiest = 0;
  for (const auto& row : ports.rows) {
    const auto key = std::make_pair(static_cast<int>(row[ports.column("switch")]),
                                    static_cast<int>(row[ports.column("port")]));
    const double pauses = row[ports.column("pause_frames_received")];
    CHECK(pauses >= last_pauses[key]);  // cumulative
    last_pauses[key] = pauses;
    paused_rows += row[ports.column("paused")];
    busiest = std::max(busiest, row[ports.column("utilization")]);
  }
  CHECK(paused_rows > 0);
  CHECK(busiest > 0.9);
  // The left switch's port towards the right one is the one the right switch pauses.
  double left_pauses = 0;
  for (const auto& [key, pauses] : last_pauses) {
    if (key.first == 0) left_pauses += pauses;
  }
  CHECK(left_pauses > 0);

  // Per QP: rates within (0, line rate], DCQCN cut at least one below line rate.
  const auto qps = read_csv(dir / "timeseries_qps.csv");
  REQUIRE(!qps.rows.empty());
  double min_rate = 1e300;
  for (const auto& row : qps.rows) {
    CHECK(row[qps.column("rate_bps")] > 0);
    CHECK(row[qps.column("rate_bps")] <= 100e9);
    min_rate = std::min(min_rate, row[qps.column("rate_bps")]);
  }
  CHECK(min_rate < 100e9);
}

TEST_CASE("sampling does not change the simulation and repeats bit for bit",
          "[scenario][timeseries][determinism]") {
  const auto a_dir = fresh_dir("a");
  const auto b_dir = fresh_dir("b");
  const auto a = run(congested_dumbbell(), a_dir);
  const auto b = run(congested_dumbbell(), b_dir);
  for (const char* file : {"timeseries.csv", "timeseries_ports.csv", "timeseries_qps.csv"}) {
    INFO(file);
    CHECK(slurp(a_dir / file) == slurp(b_dir / file));
  }
  json quiet = congested_dumbbell();
  quiet.erase("outputs");
  const auto c = run(quiet, fresh_dir("c"));
  auto without_time = [](const scenario::Results& r) {
    auto j = scenario::to_json(r, false);
    j.erase("sim_time_ps");  // the sampler's last sample may come after the last other event
    j.erase("events");
    return j;
  };
  CHECK(without_time(a) == without_time(c));
}

TEST_CASE("the per-port time series takes a port selection and checks it",
          "[scenario][timeseries]") {
  SECTION("one port and one whole switch") {
    json doc = congested_dumbbell();
    doc["outputs"]["timeseries"]["ports"] =
        json::parse(R"([{"switch": 1, "port": 0}, {"switch": 0}])");
    const auto dir = fresh_dir("select");
    run(doc, dir);
    const auto ports = read_csv(dir / "timeseries_ports.csv");
    std::set<std::pair<int, int>> seen;
    for (const auto& row : ports.rows) {
      seen.emplace(static_cast<int>(row[ports.column("switch")]),
                   static_cast<int>(row[ports.column("port")]));
    }
    CHECK(seen == std::set<std::pair<int, int>>{{1, 0}, {0, 0}, {0, 1}, {0, 2}});
  }
  SECTION("\"none\" writes no per-port file") {
    json doc = congested_dumbbell();
    doc["outputs"]["timeseries"]["ports"] = "none";
    const auto dir = fresh_dir("none");
    run(doc, dir);
    CHECK(std::filesystem::exists(dir / "timeseries.csv"));
    CHECK(!std::filesystem::exists(dir / "timeseries_ports.csv"));
  }
  SECTION("by default, too many ports are skipped with a warning") {
    json doc = congested_dumbbell();
    doc["outputs"]["timeseries"]["max_ports"] = 4;
    const auto dir = fresh_dir("auto");
    const auto r = run(doc, dir);
    CHECK(!std::filesystem::exists(dir / "timeseries_ports.csv"));
    REQUIRE(r.warnings.size() == 1);
    CHECK_THAT(r.warnings[0], Catch::Contains("max_ports"));
    CHECK(scenario::to_json(r)["warnings"].size() == 1);
  }
  struct Bad {
    const char* ports;
    int max_ports;
    const char* must_contain;
  };
  const Bad bad[] = {
      {R"("all")", 4, "/outputs/timeseries/ports: \"all\""},
      {R"([{"switch": 2}])", 4096, "/outputs/timeseries/ports/0/switch: 2"},
      {R"([{"switch": 0, "port": 3}])", 4096, "/outputs/timeseries/ports/0/port: 3"},
      {R"([{"switch": 0}, {"switch": 1}])", 5, "max_ports (5)"},
  };
  for (const auto& c : bad) {
    INFO(c.ports);
    json doc = congested_dumbbell();
    doc["outputs"]["timeseries"]["ports"] = json::parse(c.ports);
    doc["outputs"]["timeseries"]["max_ports"] = c.max_ports;
    CHECK_THROWS_WITH(run(doc, fresh_dir("bad")),
                      Catch::Contains("ts.json") && Catch::Contains(c.must_contain));
  }
}

TEST_CASE("time series options are validated when the scenario is read", "[scenario][timeseries]") {
  const char* bad[][2] = {
      {R"({"interval": "5us", "metrics": ["queue_bytes", "queue_bytes"]})",
       "/outputs/timeseries/metrics/1"},
      {R"({"interval": "5us", "metrics": ["colour"]})", "/outputs/timeseries/metrics/0"},
      {R"({"interval": "5us", "ports": "some"})", "/outputs/timeseries/ports"},
      {R"({"interval": "5us", "ports": []})", "/outputs/timeseries/ports"},
      {R"({"interval": "5us", "ports": [{"port": 1}]})", "/outputs/timeseries/ports/0/switch"},
      {R"({"interval": "5us", "ports": [{"switch": 0, "lane": 1}]})",
       "/outputs/timeseries/ports/0"},
      {R"({"interval": "5us", "max_ports": 0})", "/outputs/timeseries/max_ports"},
      {R"({"interval": "5us", "qps": "yes"})", "/outputs/timeseries/qps"},
      {R"({"interval": "-5us"})", "/outputs/timeseries/interval"},
      {R"({"metrics": []})", "/outputs/timeseries/interval"},
  };
  for (const auto& c : bad) {
    INFO(c[0]);
    json doc = congested_dumbbell();
    doc["outputs"]["timeseries"] = json::parse(c[0]);
    CHECK_THROWS_WITH(scenario::parse_scenario(doc, "ts.json", "."),
                      Catch::Contains("ts.json") && Catch::Contains(c[1]));
  }
}
