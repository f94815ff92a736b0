// The scenario's faults: planning (merged outages, each end's detection, convergence epochs,
// seeded flaps), bad specs with their messages, every byte delivered exactly once while the
// transport survives (many seeds), the same results for 1 and 2 threads, and the fault-free
// comparison.
#include <catch2/catch.hpp>

#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "scenario/fault_run.hpp"
#include "scenario/fault_timeline.hpp"
#include "scenario/results.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"
#include "topologies/network_graph.hpp"

using namespace fabricsim;
using models::FaultActionKind;
using sim::Time;

namespace {

// 2-tier radix-8 fat-tree: 32 hosts on 8 leaves, 4 spines; 100 Gb/s, 1 us.
nlohmann::json base_scenario(const std::string& faults) {
  return nlohmann::json::parse(fmt::format(R"({{
    "name": "faults_test", "seed": 3,
    "topology": {{ "kind": "fat_tree", "tiers": 2, "radix": 8 }},
    "models": {{ "nic": {{ "rto": "100us", "cc": {{ "algorithm": "dcqcn" }} }} }},
    "workload": {{ "kind": "traffic", "pattern": "permutation", "flow_size": "1MB" }},
    "faults": {}
  }})",
                                           faults));
}

scenario::Scenario parse(const nlohmann::json& doc) {
  return scenario::parse_scenario(doc, "test.json", ".");
}

scenario::FaultSetup plan(const std::string& faults, Time stop_at = Time::max()) {
  const auto s = parse(base_scenario(faults));
  const auto g = topologies::build_graph(s.topology);
  return scenario::plan_faults(s.faults, g, s.seed, stop_at);
}

std::size_t count(const models::FaultPlan& p, FaultActionKind kind) {
  std::size_t n = 0;
  for (const auto& a : p.actions)
    n += a.kind == kind ? 1 : 0;
  return n;
}

std::string error_of(const nlohmann::json& doc) {
  try {
    const auto s = parse(doc);
    const auto g = topologies::build_graph(s.topology);
    scenario::plan_faults(s.faults, g, s.seed, s.stop_at);
  } catch (const topologies::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

nlohmann::json deterministic(const scenario::Results& r) {
  return scenario::to_json(r, false);
}

}  // namespace

TEST_CASE("overlapping outages of one link merge; each end detects after its delay") {
  // Switch 0 is a leaf: port 4 is its first uplink (ports 0-3 hold hosts).
  const auto setup = plan(R"({ "detection": "5us", "convergence": "40us", "events": [
      { "kind": "link_down", "at": "10us", "for": "30us", "link": { "switch": 0, "port": 4 } },
      { "kind": "link_down", "at": "20us", "for": "50us", "link": { "switch": 0, "port": 4 } } ]
  })");
  const models::FaultPlan& p = *setup.plan;
  REQUIRE(p.links.size() == 1);
  CHECK(p.faults.size() == 2);
  CHECK(count(p, FaultActionKind::kFail) == 1);
  CHECK(count(p, FaultActionKind::kRestore) == 1);
  CHECK(count(p, FaultActionKind::kDetect) == 2);  // one per end
  for (const auto& a : p.actions) {
    if (a.kind == FaultActionKind::kFail) CHECK(a.at == Time::us(10));
    if (a.kind == FaultActionKind::kDetect) CHECK(a.at == Time::us(15));
    if (a.kind == FaultActionKind::kRestore) CHECK(a.at == Time::us(70));  // the union's end
  }
  // Routing converges 40 us after the detection (around the link), and after it is back.
  REQUIRE(count(p, FaultActionKind::kConverge) == 2);
  std::vector<Time> converge;
  for (const auto& a : p.actions) {
    if (a.kind == FaultActionKind::kConverge) converge.push_back(a.at);
  }
  CHECK(converge == std::vector<Time>{Time::us(55), Time::us(110)});
  CHECK(p.faults[0].detected == Time::us(15));
  CHECK(p.faults[0].converged == Time::us(55));
  CHECK(p.faults[0].restored == Time::us(40));
  CHECK(p.faults[0].target == "switch 0 port 4 - switch 8 port 0");
  // Actions are in time order.
  for (std::size_t i = 1; i < p.actions.size(); ++i)
    CHECK(p.actions[i - 1].at <= p.actions[i].at);
}

TEST_CASE("a rebooting switch loses its links at once; its neighbours notice after detection") {
  const auto setup = plan(R"({ "detection": "7us", "convergence": "never", "events": [
      { "kind": "switch_reboot", "at": "10us", "for": "100us", "switch": 8 } ] })");
  const models::FaultPlan& p = *setup.plan;
  CHECK(p.links.size() == 8);  // a spine of the radix-8 tree: one link to each leaf
  CHECK(count(p, FaultActionKind::kFail) == 8);
  CHECK(count(p, FaultActionKind::kConverge) == 0);  // "never": local repair only
  std::size_t at_once = 0;
  std::size_t later = 0;
  for (const auto& a : p.actions) {
    if (a.kind != FaultActionKind::kDetect) continue;
    const models::LinkRef& l = p.links[a.link];
    const models::LinkEnd& end = (a.ends & 1U) != 0 ? l.a : l.b;
    const bool spine_end = end.node.kind == models::NodeRef::Kind::kSwitch && end.node.index == 8;
    if (spine_end) {
      CHECK(a.at == Time::us(10));
      ++at_once;
    } else {
      CHECK(a.at == Time::us(17));
      ++later;
    }
  }
  CHECK(at_once == 8);
  CHECK(later == 8);
  CHECK(p.faults.front().links == 8);
}

TEST_CASE("flaps: a seeded Poisson process over the class, the same plan for the same seed") {
  const std::string flaps = R"({ "seed": 11, "flaps": [
      { "links": "leaf-spine", "every": "10us", "down_for": { "exponential": "2us" },
        "until": "10ms" } ] })";
  const auto a = plan(flaps);
  const auto b = plan(flaps);
  const std::size_t n = a.plan->faults.size();
  INFO(n << " flaps planned, 1000 expected");
  CHECK(n > 900);
  CHECK(n < 1100);
  REQUIRE(b.plan->faults.size() == n);
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(a.plan->faults[i].at == b.plan->faults[i].at);
    CHECK(a.plan->faults[i].target == b.plan->faults[i].target);
  }
  // Every flapped link is a leaf-spine one (switch ports 4.. of leaves 0-7).
  for (const auto& f : a.plan->faults) {
    CHECK(f.kind == "flap");
    CHECK(f.target.find(" - switch ") != std::string::npos);
  }
  // Another seed, other flaps.
  const auto c = plan(R"({ "seed": 12, "flaps": [
      { "links": "leaf-spine", "every": "10us", "down_for": "2us", "until": "10ms" } ] })");
  CHECK(c.plan->faults.front().at != a.plan->faults.front().at);
}

TEST_CASE("bad fault specs name the file, the JSON path, the value and what was expected") {
  auto with = [](const std::string& faults) { return error_of(base_scenario(faults)); };
  CHECK_THAT(with(R"({ "events": [ { "kind": "link_down", "at": "1us",
                       "link": { "switch": 99, "port": 0 } } ] })"),
             Catch::Contains("test.json: /faults/events/0/link/switch: 99: a switch id below 12"));
  CHECK_THAT(with(R"({ "events": [ { "kind": "link_down", "at": "1us",
                       "link": { "switch": 0, "port": 8 } } ] })"),
             Catch::Contains("/faults/events/0/link/port: 8: a port of switch 0 (it has 8)"));
  CHECK_THAT(
      with(R"({ "events": [ { "kind": "link_down", "at": "1us", "link": "spine-core" } ] })"),
      Catch::Contains("/faults/events/0/link: \"spine-core\": a link class this topology "
                      "has"));
  CHECK_THAT(with(R"({ "events": [ { "kind": "link_down", "at": "1us", "for": "0us",
                       "link": "nic" } ] })"),
             Catch::Contains("/faults/events/0/for: \"0us\": a duration above zero"));
  CHECK_THAT(with(R"({ "events": [ { "kind": "link_dwn", "at": "1us" } ] })"),
             Catch::Contains("/faults/events/0/kind: \"link_dwn\": expected one of link_down"));
  CHECK_THAT(with(R"({ "events": [ { "kind": "link_down", "at": "1us", "link": "nic",
                       "port": 3 } ] })"),
             Catch::Contains("/faults/events/0"));
  CHECK_THAT(with(R"({ "events": [ { "kind": "degrade", "at": "1us", "link": "nic" } ] })"),
             Catch::Contains("a degrade needs rate, rate_factor or loss_rate"));
  CHECK_THAT(with(R"({ "events": [ { "kind": "degrade", "at": "1us", "link": "nic",
                       "rate_factor": 1.5 } ] })"),
             Catch::Contains("/faults/events/0/rate_factor: 1.5: a factor in (0, 1]"));
  CHECK_THAT(with(R"({ "events": [ { "kind": "degrade", "at": "1us", "link": "nic",
                       "loss_rate": -0.1 } ] })"),
             Catch::Contains("/faults/events/0/loss_rate: -0.1"));
  CHECK_THAT(with(R"({ "events": [ { "kind": "degrade", "at": "1us", "link": "nic",
                       "rate": "-5Gbps" } ] })"),
             Catch::Contains("/faults/events/0/rate"));
  CHECK_THAT(with(R"({ "events": [
      { "kind": "degrade", "at": "1us", "for": "10us", "link": { "gpu": 0 }, "rate_factor": 0.5 },
      { "kind": "degrade", "at": "5us", "link": { "gpu": 0 }, "loss_rate": 0.01 } ] })"),
             Catch::Contains("/faults/events/1: this degrade of gpu 0 - switch 0 port 0 "
                             "overlaps an earlier one"));
  CHECK_THAT(with(R"({ "flaps": [ { "links": "nic", "every": "1ms", "down_for": "1us" } ] })"),
             Catch::Contains("/faults/flaps/0/until: missing; flaps need an end"));
  CHECK_THAT(with(R"({ "flaps": [ { "links": "nic", "every": "1ps", "down_for": "1us",
                        "until": "1s" } ] })"),
             Catch::Contains("/faults/flaps/0/every: about"));
  CHECK_THAT(with(R"({ "flaps": [ { "links": "nic", "every": "1ms", "down_for": "1us",
                        "from": "2ms", "until": "1ms" } ] })"),
             Catch::Contains("/faults/flaps/0/until: \"1ms\": a time after from"));
  CHECK_THAT(with(R"({ "detektion": "1us" })"), Catch::Contains("/faults/detektion"));
  CHECK_THAT(with(R"({ "events": [ { "kind": "nic_down", "at": "1us", "gpu": 32 } ] })"),
             Catch::Contains("/faults/events/0/gpu: 32: a GPU id below 32"));
  CHECK_THAT(with(R"({ "events": [ { "kind": "switch_reboot", "at": "-1us", "switch": 0 } ] })"),
             Catch::Contains("/faults/events/0/at"));
}

TEST_CASE("under random flaps every byte arrives exactly once while the transport survives") {
  std::uint64_t with_losses = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    auto doc = base_scenario(R"({ "detection": "2us", "convergence": "30us", "flaps": [
        { "links": "switch", "every": "20us", "down_for": { "uniform": ["5us", "40us"] },
          "until": "300us" },
        { "links": "nic", "every": "100us", "down_for": "10us", "until": "300us" } ] })");
    doc["seed"] = seed;
    const auto r = scenario::run_scenario(parse(doc));
    INFO("seed " << seed);
    CHECK(r.completed);
    CHECK(r.flows.completed == r.flows.count);
    CHECK(r.fabric.qp_errors == 0);
    // bytes_delivered counts payload delivered in order for the first time: exactly the
    // flows' bytes means nothing was lost for good and nothing was delivered twice.
    CHECK(r.fabric.bytes_delivered == r.flows.bytes);
    CHECK(r.faults.configured);
    CHECK(r.faults.events > 5);
    with_losses += r.faults.packets_blackholed + r.faults.packets_link_down > 0 ? 1 : 0;
  }
  CHECK(with_losses == 8);  // the property was tested under real losses every time
}

TEST_CASE("faults give the same results for 1 and 2 threads") {
  auto doc = base_scenario(R"({ "detection": "2us", "convergence": "30us",
      "events": [ { "kind": "switch_reboot", "at": "20us", "for": "50us", "switch": 9 },
                  { "kind": "nic_down", "at": "15us", "for": "40us", "gpu": 5 },
                  { "kind": "degrade", "at": "5us", "for": "100us", "link": "leaf-spine",
                    "rate_factor": 0.25, "loss_rate": 0.001 } ],
      "flaps": [ { "links": "leaf-spine", "every": "30us", "down_for": "20us",
                   "until": "200us" } ] })");
  const auto s = parse(doc);
  scenario::RunOptions two;
  two.threads = 2;
  const auto one_thread = scenario::run_scenario(s);
  const auto two_threads = scenario::run_scenario(s, two);
  CHECK(one_thread.faults.packets_blackholed > 0);
  CHECK(deterministic(one_thread) == deterministic(two_threads));
}

TEST_CASE("the fault-free comparison: the slowdown of a fault on the critical path is above 1") {
  // Every flow crosses the spines; a spine reboots mid-run with a slow timeout.
  const auto s = parse(base_scenario(R"({ "detection": "5us", "convergence": "50us",
      "events": [ { "kind": "switch_reboot", "at": "20us", "for": "200us", "switch": 8 } ] })"));
  scenario::RunOptions compare;
  compare.compare_fault_free = true;
  const auto r = scenario::run_scenario(s, compare);
  const auto clean = scenario::run_scenario(scenario::without_faults(s));
  CHECK_FALSE(clean.faults.configured);
  CHECK(r.faults.fault_free_time_ps == clean.sim_time_ps);
  INFO("slowdown " << r.faults.slowdown << ", FCT p99 " << r.faults.fct_p99_slowdown);
  CHECK(r.faults.slowdown > 1.05);
  CHECK(r.faults.slowdown ==
        Approx(static_cast<double>(r.sim_time_ps) / static_cast<double>(clean.sim_time_ps)));
  CHECK(r.faults.fct_p99_slowdown > 1.0);
  const auto doc = scenario::to_json(r);
  CHECK(doc["faults"]["slowdown"].get<double>() == r.faults.slowdown);
  CHECK(doc["faults"]["timeline"].size() == 1);
  CHECK(doc["faults"]["timeline"][0]["kind"] == "switch_reboot");
  // The resolved configuration spells out the reaction delays.
  const auto config = scenario::resolved_config(s);
  CHECK(config["faults"]["detection"] == "5us");
  CHECK(config["faults"]["convergence"] == "50us");
}

TEST_CASE("a collective whose NIC is lost for good ends with QP errors, never a hang") {
  const auto s = parse(nlohmann::json::parse(R"({
    "name": "nic_lost", "seed": 1,
    "topology": { "kind": "fat_tree", "tiers": 2, "radix": 8 },
    "models": { "nic": { "rto": "50us", "retry_count": 2 } },
    "workload": { "kind": "collective", "op": "allreduce", "algorithm": "ring", "size": "4MiB",
                  "ranks": [0, 4, 8, 12] },
    "faults": { "detection": "5us",
                "events": [ { "kind": "nic_down", "at": "20us", "gpu": 8 } ] } })"));
  const auto r = scenario::run_scenario(s);
  CHECK_FALSE(r.completed);
  CHECK(r.fabric.qp_errors > 0);
  REQUIRE_FALSE(r.errors.empty());
  CHECK(r.errors.front().kind == "qp_error");
  // Three timeouts of 50 us after the loss, then the error: well under a millisecond (the run
  // itself goes on to the fault plan's last action, routing convergence 50 ms later).
  CHECK(r.errors.front().time_ps < Time::ms(1).picoseconds());
  CHECK(r.errors.front().time_ps > Time::us(150).picoseconds());
  CHECK(r.faults.timeline.size() == 1);
  CHECK(r.faults.timeline.front().restored_ps == -1);  // never back
}
