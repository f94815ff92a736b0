// Tests scenario/: parsing, --set overrides, bad input naming the JSON path, determinism.
#include <catch2/catch.hpp>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"

using namespace fabricsim;
using nlohmann::json;

namespace {
json small_scenario() {
  return json::parse(R"({
    "name": "t", "seed": 3,
    "topology": {"kind": "explicit",
      "switches": [{"name": "s0"}],
      "hosts": [{"name": "h0"}, {"name": "h1"}, {"name": "h2"}, {"name": "h3"}],
      "links": [{"a": "h0", "b": "s0"}, {"a": "h1", "b": "s0"}, {"a": "h2", "b": "s0"}, {"a": "h3", "b": "s0"}]},
    "workload": {"kind": "traffic", "pattern": "incast", "senders": 3, "receiver": 0, "flow_size": "256KB"}
  })");
}
}  // namespace

TEST_CASE("overrides given as --set create and replace fields", "[scenario]") {
  json doc = small_scenario();
  scenario::apply_override(doc, "models.switch.pfc.enabled=false", "x.json");
  scenario::apply_override(doc, "models.link.rate=400Gbps", "x.json");
  scenario::apply_override(doc, "seed=9", "x.json");
  CHECK(doc["models"]["switch"]["pfc"]["enabled"] == false);
  CHECK(doc["models"]["link"]["rate"] == "400Gbps");
  CHECK(doc["seed"] == 9);
  CHECK_THROWS_AS(scenario::apply_override(doc, "novalue", "x.json"), topologies::ConfigError);
  CHECK_THROWS_AS(scenario::apply_override(doc, "seed.x=1", "x.json"), topologies::ConfigError);
}

TEST_CASE("overrides given as --set reach into lists by index", "[scenario]") {
  json doc = small_scenario();
  scenario::apply_override(doc, "topology.hosts.2.name=\"h9\"", "x.json");
  CHECK(doc["topology"]["hosts"][2]["name"] == "h9");
  scenario::apply_override(doc, "topology.links.0.rate=100Gbps", "x.json");
  CHECK(doc["topology"]["links"][0]["rate"] == "100Gbps");
  for (const char* bad : {"topology.hosts.4.name=x", "topology.hosts.first.name=x",
                          "topology.hosts.-1.name=x", "topology.hosts.99999999999.name=x"}) {
    INFO(bad);
    CHECK_THROWS_WITH(scenario::apply_override(doc, bad, "x.json"),
                      Catch::Contains("x.json") && Catch::Contains("/topology/hosts") &&
                          Catch::Contains("a list of 4"));
  }
}

TEST_CASE("a topology.* override resizes a topology named by file", "[scenario]") {
  const auto path =
      std::string(FABRICSIM_SOURCE_DIR) + "/configs/scenarios/allreduce_ring_1024.json";
  const auto shipped = scenario::load_scenario(path);
  const auto small = scenario::load_scenario(path, {"topology.nodes=4"});
  CHECK(shipped.topology.rail.nodes == 128);
  CHECK(small.topology.rail.nodes == 4);
  CHECK(small.topology.rail.gpus_per_node == shipped.topology.rail.gpus_per_node);
  CHECK(small.topology.kind == shipped.topology.kind);
}

TEST_CASE("bad scenarios name the file, the JSON path and the expectation", "[scenario]") {
  struct Case {
    const char* assignment;
    const char* must_contain;
  };
  const Case cases[] = {
      {"workload.kind=\"dance\"", "/workload/kind"},
      {"workload.pattern=\"shuffle\"", "/workload/pattern"},
      {"workload.flow_size=\"2XB\"", "/workload/flow_size"},
      {"workload.flow_size=0", "/workload/flow_size"},
      {"workload.surprise=1", "/workload"},
      {"stop_at=\"5 parsecs\"", "/stop_at"},
      {"seed=-1", "/seed"},
      {"models.switch.ecn.kmin=\"10XB\"", "/models/switch/ecn/kmin"},
      {"models.link.rate=-5", "/models/link/rate"},
      {"models.cpu={}", "/models"},
      {"outputs={\"timeseries\": {\"interval\": \"1us\", \"metrics\": [\"colour\"]}}",
       "/outputs/timeseries/metrics/0"},
      {"schema=\"fabricsim.scenario/9\"", "/schema"},
      {"topology=42", "/topology"},
      {"topology=\"missing.json\"", "/topology"},
  };
  for (const auto& c : cases) {
    INFO(c.assignment);
    json doc = small_scenario();
    scenario::apply_override(doc, c.assignment, "bad.json");
    try {
      (void)scenario::parse_scenario(doc, "bad.json", ".");
      FAIL("accepted");
    } catch (const topologies::ConfigError& e) {
      CHECK_THAT(e.what(), Catch::Contains("bad.json") && Catch::Contains(c.must_contain));
    }
  }
}

TEST_CASE("an incast runs to completion and the same seed gives identical results",
          "[scenario][determinism]") {
  const auto s = scenario::parse_scenario(small_scenario(), "t.json", ".");
  const auto a = scenario::run_scenario(s);
  const auto b = scenario::run_scenario(s);
  CHECK(a.completed);
  CHECK(a.flows.completed == 3);
  CHECK(a.fabric.packet_hops > 0);
  CHECK(scenario::to_json(a, false) == scenario::to_json(b, false));
  // Three 256 KB flows share one 100 Gb/s link: the last one cannot finish before 3 x 256 KB
  // has crossed it.
  CHECK(a.flows.fct_max_ps >= static_cast<std::int64_t>(3 * 256'000 * 8 * 10));
}

TEST_CASE("results report each fabric counter under its own name", "[scenario][regression]") {
  // A 3:1 incast seen twice: lossless with low thresholds (queueing, ECN, PAUSE, no loss), then
  // lossy with a tiny queue (drops and retransmissions). A results field filled from the wrong
  // counter (a positional initialiser once moved ECN/PFC/queue counts into drop reasons) breaks
  // one of these.
  json lossless = small_scenario();
  scenario::apply_override(lossless, "models.switch.pfc.xoff=\"60KB\"", "t.json");
  scenario::apply_override(lossless, "models.switch.ecn.kmin=\"20KB\"", "t.json");
  scenario::apply_override(lossless, "models.switch.ecn.kmax=\"80KB\"", "t.json");
  const auto on = scenario::run_scenario(scenario::parse_scenario(lossless, "t.json", "."));
  CHECK(on.completed);
  CHECK(on.fabric.drops == 0);
  CHECK(on.fabric.retransmissions == 0);
  CHECK(on.fabric.pfc_pause_frames > 0);
  CHECK(on.fabric.ecn_marks > 0);
  CHECK(on.fabric.max_queue_bytes >= 60'000);
  CHECK(on.fabric.packets_delivered > 3 * 256'000 / 4096);
  CHECK(on.fabric.packet_hops > on.fabric.packets_delivered);
  CHECK(on.setup_seconds > 0);
  CHECK(on.run_seconds > 0);
  CHECK(on.setup_seconds + on.run_seconds <= on.wall_seconds);
  const auto doc = scenario::to_json(on);
  CHECK(doc["run_seconds"] == on.run_seconds);
  CHECK(doc["fabric"]["pfc_pause_frames"] == on.fabric.pfc_pause_frames);
  CHECK(doc["fabric"]["ecn_marks"] == on.fabric.ecn_marks);
  CHECK(doc["fabric"]["max_queue_bytes"] == on.fabric.max_queue_bytes);

  json lossy = small_scenario();
  scenario::apply_override(lossy, "models.switch.pfc.enabled=false", "t.json");
  scenario::apply_override(lossy, "models.switch.queue_limit=\"40KB\"", "t.json");
  const auto off = scenario::run_scenario(scenario::parse_scenario(lossy, "t.json", "."));
  CHECK(off.completed);
  CHECK(off.fabric.drops > 0);
  CHECK(off.fabric.retransmissions > 0);
  CHECK(off.fabric.pfc_pause_frames == 0);
  CHECK(off.fabric.max_queue_bytes <= 40'000);
}

TEST_CASE("an endpoint outside the topology is a clear error", "[scenario]") {
  json doc = small_scenario();
  doc["workload"] =
      json::parse(R"({"kind": "flows", "flows": [{"src": 0, "dst": 9, "size": "1KB"}]})");
  const auto s = scenario::parse_scenario(doc, "f.json", ".");
  CHECK_THROWS_WITH(scenario::run_scenario(s), Catch::Contains("/workload/flows/0"));
}

TEST_CASE("an invalid models value is reported at /models, a topology's own in the topology",
          "[scenario]") {
  json doc = small_scenario();
  doc["models"]["switch"]["priorities"] = 0;
  CHECK_THROWS_WITH(scenario::parse_scenario(doc, "t.json", "."),
                    Catch::Contains("t.json: /models/switch/priorities: 0: expected 1 to 4"));
  doc = small_scenario();
  doc["models"]["nic"]["cc"]["dcqcn"]["g"] = 2;
  CHECK_THROWS_WITH(scenario::parse_scenario(doc, "t.json", "."),
                    Catch::StartsWith("t.json: /models/nic/cc/dcqcn: expected valid parameters"));
  // Written in the topology itself: named there (here the inline topology).
  doc = small_scenario();
  doc["topology"]["switch"]["priorities"] = 0;
  CHECK_THROWS_WITH(scenario::parse_scenario(doc, "t.json", "."),
                    Catch::StartsWith("t.json (inline topology at /topology): /switch/priorities"));
}

TEST_CASE("a --set value that is not UTF-8 is refused, never dumped", "[scenario]") {
  json doc = small_scenario();  // fuzz_set found "seed=9\xc2\xc6" aborting in preview()
  CHECK_THROWS_WITH(scenario::apply_override(doc, "name=9\xc2\xc6", "x.json"),
                    Catch::Contains("x.json: --set name: the value is not valid UTF-8 text"));
  // Messages about other values holding such bytes show them replaced, not an exception.
  json bad = json::parse(R"({"seed": "x"})");
  bad["seed"] = std::string("\xff");
  CHECK_THROWS_AS(scenario::parse_scenario(bad, "x.json", "."), topologies::ConfigError);
}
