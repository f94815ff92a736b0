// Straggler GPUs (scenario/straggler.hpp): a slower kernel launch, reductions and compute phases
// by their factors, stalls on and off the critical path, no change at all without a slowdown,
// the same results for 1 and 2 threads, and clear errors for bad straggler lists.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "scenario/straggler.hpp"
#include "topologies/config_error.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/partition.hpp"
#include "workloads/transports/sim/gpu_slowdown.hpp"

using namespace fabricsim;
using sim::Time;

namespace {

nlohmann::json collective(const char* op, const char* size) {
  nlohmann::json doc = nlohmann::json::parse(R"({
    "name": "straggler_collective",
    "topology": { "kind": "fat_tree", "tiers": 2, "radix": 8, "hosts": 32,
                  "link": { "rate": "100Gbps", "delay": "1us" } },
    "models": { "gpu": { "launch_latency": "10us" } },
    "workload": { "kind": "collective", "algorithm": "ring", "ranks": [0, 5, 9, 30] } })");
  doc["workload"]["op"] = op;
  doc["workload"]["size"] = size;
  return doc;
}

nlohmann::json training_step() {
  return nlohmann::json::parse(R"({
    "name": "straggler_step",
    "topology": { "kind": "fat_tree", "tiers": 2, "radix": 8, "hosts": 32,
                  "link": { "rate": "100Gbps", "delay": "1us" } },
    "workload": { "kind": "training_step",
      "groups": { "tp": { "size": 4 } },
      "phases": [
        { "name": "fwd", "compute": "100us" },
        { "name": "tp", "group": "tp",
          "collective": { "op": "allreduce", "algorithm": "ring", "size": "64KiB" } } ] } })");
}

scenario::Results run(const nlohmann::json& doc, std::vector<scenario::Straggler> stragglers = {},
                      unsigned threads = 1) {
  auto s = scenario::parse_scenario(doc, "test.json", ".");
  s.faults.stragglers = std::move(stragglers);
  scenario::RunOptions options;
  options.threads = threads;
  return scenario::run_scenario(s, options);
}

std::int64_t collective_ps(const scenario::Results& r) {
  REQUIRE(r.completed);
  REQUIRE(r.collectives.size() == 1);
  return r.collectives.front().time_ps;
}

// Results as results.json holds them, without the measured wall times and memory.
nlohmann::json same_fields(const scenario::Results& r) {
  return scenario::to_json(r, false);
}

scenario::Straggler straggler(std::uint32_t gpu) {
  scenario::Straggler s;
  s.gpu = gpu;
  return s;
}

}  // namespace

TEST_CASE("a slowdown's arithmetic: factors inside their window, a stall pauses work",
          "[stragglers]") {
  workloads::GpuSlowdown s;
  s.stall_at = Time::us(10);
  s.stall_for = Time::us(5);
  s.from = Time::us(20);
  s.until = Time::us(30);
  CHECK(s.resume(Time::us(9)) == Time::us(9));
  CHECK(s.resume(Time::us(10)) == Time::us(15));
  CHECK(s.resume(Time::ps(14'999'999)) == Time::us(15));
  CHECK(s.resume(Time::us(15)) == Time::us(15));
  // Completions due inside the stall are heard at its end; one due as it begins, at once.
  CHECK(s.heard(Time::us(10)) == Time::us(10));
  CHECK(s.heard(Time::ps(10'000'001)) == Time::us(15));
  CHECK(s.heard(Time::us(15)) == Time::us(15));
  // Started before the stall and still running when it begins: paused for it.
  CHECK(s.end_of(Time::us(8), Time::us(4)) == Time::us(17));
  CHECK(s.end_of(Time::us(6), Time::us(4)) == Time::us(10));   // done as the stall begins
  CHECK(s.end_of(Time::us(12), Time::us(4)) == Time::us(19));  // ready in it: starts at its end
  // Factors apply to work starting in [from, until) only.
  CHECK(s.end_of(Time::us(19), Time::us(2), 3.0) == Time::us(21));
  CHECK(s.end_of(Time::us(20), Time::us(2), 3.0) == Time::us(26));
  CHECK(s.end_of(Time::ps(29'999'999), Time::us(2), 3.0) == Time::ps(35'999'999));
  CHECK(s.end_of(Time::us(30), Time::us(2), 3.0) == Time::us(32));
  CHECK(workloads::scale_time(Time::ps(3), 1.5) == Time::ps(5));  // rounded to the nearest
  CHECK(workloads::scale_time(Time::max() / 2, 4.0) == Time::max());
}

TEST_CASE("a straggler's slower kernel launch delays a small all-reduce by the extra latency",
          "[stragglers]") {
  const auto doc = collective("allreduce", "4KiB");
  const std::int64_t base = collective_ps(run(doc));
  auto slow = straggler(9);  // rank 2
  slow.launch_factor = 3.0;
  const std::int64_t slowed = collective_ps(run(doc, {slow}));
  // Its ops start (3 - 1) x 10 us later; every other rank waits for its messages.
  CHECK(slowed - base == 20'000'000);
  SECTION("a launch that starts before the factors' window is not slowed") {
    slow.from = Time::ps(1);
    CHECK(collective_ps(run(doc, {slow})) == base);
  }
  SECTION("one that starts in it is, even if the window ends during the launch") {
    slow.until = Time::us(1);
    CHECK(collective_ps(run(doc, {slow})) == base + 20'000'000);
  }
}

TEST_CASE("a straggler's slower reductions slow a ring all-reduce, not an all-gather",
          "[stragglers]") {
  auto doc = collective("allreduce", "16MiB");
  // Reductions at 5 GB/s, below the 12.5 GB/s links: they are on the critical path.
  doc["models"]["gpu"]["reduce_bandwidth"] = "5GBps";
  auto slow = straggler(5);
  slow.reduce_factor = 4.0;
  const std::int64_t base = collective_ps(run(doc));
  const std::int64_t slowed = collective_ps(run(doc, {slow}));
  // The straggler reduces 3/4 of 16 MiB in all; 3 more times that at 5 GB/s is extra.
  const double extra_ps = 3.0 * (0.75 * 16 * 1048576) / 5e9 * 1e12;
  CAPTURE(base, slowed, extra_ps);
  CHECK(static_cast<double>(slowed - base) > 0.9 * extra_ps);
  CHECK(static_cast<double>(slowed - base) < 1.05 * extra_ps);
  SECTION("an all-gather has no reductions: the same results, field for field") {
    doc["workload"]["op"] = "allgather";
    CHECK(same_fields(run(doc, {slow})) == same_fields(run(doc)));
  }
}

TEST_CASE("a straggler's compute factor stretches a training step's compute phase",
          "[stragglers]") {
  const auto doc = training_step();
  const auto base = run(doc);
  REQUIRE(base.completed);
  REQUIRE(base.phases[0].end_ps == 100'000'000);
  auto slow = straggler(6);  // in the second tp group
  slow.compute_factor = 2.5;
  const auto r = run(doc, {slow});
  REQUIRE(r.completed);
  // Every GPU computes in the phase: it ends with the straggler, 2.5 x 100 us after its start.
  CHECK(r.phases[0].end_ps - r.phases[0].start_ps == 250'000'000);
  // The collective after it runs as before, 150 us later.
  CHECK(r.phases[1].start_ps == 250'000'000);
  CHECK(r.phases[1].end_ps - r.phases[1].start_ps ==
        base.phases[1].end_ps - base.phases[1].start_ps);
  SECTION("a stall during the compute phase lengthens it by the stall") {
    slow.compute_factor = 1.0;
    slow.stall_at = Time::us(40);
    slow.stall_for = Time::us(30);
    CHECK(run(doc, {slow}).phases[0].end_ps == 130'000'000);
  }
}

TEST_CASE("a stall on the critical path delays the collective by about the stall", "[stragglers]") {
  const auto doc = collective("allreduce", "1MiB");
  const std::int64_t base = collective_ps(run(doc));
  REQUIRE(base > 30'000'000);
  auto slow = straggler(30);
  slow.stall_for = Time::us(50);
  SECTION("in the middle of the collective") {
    slow.stall_at = Time::us(25);  // 10 us launch, then the ring runs
    const std::int64_t slowed = collective_ps(run(doc, {slow}));
    CAPTURE(base, slowed);
    // What its NIC already sends goes on: at most one 256 KiB ring message (21 us at 100 Gb/s)
    // of the stall is hidden.
    CHECK(slowed - base >= 50'000'000 - 20'971'520);
    CHECK(slowed - base <= 50'000'000);
  }
  SECTION("during the launch: the launch pauses for it") {
    slow.stall_at = Time::us(2);
    const std::int64_t slowed = collective_ps(run(doc, {slow}));
    CAPTURE(base, slowed);
    // Its ranks start 50 us late; the others' first messages to it wait for it, unhurried.
    CHECK(slowed - base >= 50'000'000);
    CHECK(slowed - base <= 50'500'000);
  }
  SECTION("a message that lands during the stall is heard at its end") {
    // A broadcast down the chain 0 -> 5 -> 9 -> 30: the last GPU only receives; its data lands
    // shortly before the run ends (with the sender's acknowledgement), inside the stall.
    auto bcast = doc;
    bcast["workload"]["op"] = "broadcast";
    const std::int64_t bcast_base = collective_ps(run(bcast));
    slow.stall_at = Time::ps(bcast_base) - Time::us(10);
    CHECK(collective_ps(run(bcast, {slow})) == bcast_base + 40'000'000);
  }
  SECTION("after the run has ended: nothing changes") {
    // From the instant of the last completion: that completion is heard at once.
    slow.stall_at = Time::ps(base);
    CHECK(same_fields(run(doc, {slow})) == same_fields(run(doc)));
  }
}

TEST_CASE("factors of 1 and no stall give the results of a run without stragglers",
          "[stragglers]") {
  for (const auto& doc : {collective("allreduce", "1MiB"), training_step()}) {
    const auto expected = same_fields(run(doc));
    CHECK(same_fields(run(doc, {})) == expected);
    CHECK(same_fields(run(doc, {straggler(0), straggler(5), straggler(31)})) == expected);
  }
}

TEST_CASE("stragglers give the same results for 1 and 2 threads", "[stragglers][parallel]") {
  // 128 GPUs on a 3-tier rail-optimized fabric that splits over 2 partitions.
  auto doc = nlohmann::json::parse(R"({
    "name": "straggler_parallel",
    "topology": { "kind": "rail_optimized", "nodes": 16, "gpus_per_node": 8, "rails": 8,
                  "tiers": 3, "radix": 8,
                  "nvlink": { "bandwidth": "900GBps", "links": 18, "latency": "150ns" },
                  "link": { "rate": "400Gbps", "delay": "600ns", "mtu": 4096 } },
    "workload": { "kind": "training_step",
      "groups": { "tp": { "size": 8 }, "dp": { "size": 16, "stride": 8 } },
      "phases": [
        { "name": "fwd", "compute": "20us" },
        { "name": "tp", "group": "tp",
          "collective": { "op": "allreduce", "algorithm": "ring", "size": "1MiB" } },
        { "name": "dp", "group": "dp",
          "collective": { "op": "allreduce", "algorithm": "ring", "size": "1MiB" } } ] } })");
  std::vector<scenario::Straggler> stragglers;
  for (const std::uint32_t gpu : {3U, 70U, 127U})
    stragglers.push_back(straggler(gpu));
  stragglers[0].launch_factor = 2.0;
  stragglers[0].reduce_factor = 3.0;
  stragglers[1].compute_factor = 1.5;
  stragglers[1].stall_at = Time::us(40);
  stragglers[1].stall_for = Time::us(7);
  stragglers[2].launch_factor = 1.7;
  stragglers[2].from = Time::us(25);
  // The stragglers lie in both partitions of a 2-thread run.
  const auto parts = topologies::partition_graph(
      topologies::build_graph(scenario::parse_scenario(doc, "test.json", ".").topology), 2);
  REQUIRE(parts.nic_part[3] != parts.nic_part[127]);
  SECTION("a training step") {
    const auto one = run(doc, stragglers, 1);
    REQUIRE(one.completed);
    CHECK(same_fields(one) != same_fields(run(doc)));
    CHECK(same_fields(run(doc, stragglers, 2)) == same_fields(one));
  }
  SECTION("a collective of 3 iterations") {
    doc["workload"] = nlohmann::json::parse(R"({ "kind": "collective", "op": "allreduce",
        "algorithm": "ring", "size": "1MiB", "iterations": 3 })");
    const auto one = run(doc, stragglers, 1);
    REQUIRE(one.completed);
    CHECK(same_fields(one) != same_fields(run(doc)));
    CHECK(same_fields(run(doc, stragglers, 2)) == same_fields(one));
  }
}

TEST_CASE("a straggler list is read with every field, and back", "[stragglers]") {
  const auto list = nlohmann::json::parse(R"([
    { "gpu": 3, "compute": 2.0, "launch": 1.5, "reduce": 4,
      "stall": { "at": "100us", "for": "50us" }, "from": "0us", "until": "1ms" },
    { "gpu": 0 } ])");
  const auto s = scenario::parse_stragglers(list, {"test.json", "/faults/stragglers"}, 8);
  REQUIRE(s.size() == 2);
  CHECK(s[0].gpu == 3);
  CHECK(s[0].compute_factor == 2.0);
  CHECK(s[0].launch_factor == 1.5);
  CHECK(s[0].reduce_factor == 4.0);
  CHECK(s[0].stall_at == Time::us(100));
  CHECK(s[0].stall_for == Time::us(50));
  CHECK(s[0].from == Time::zero());
  CHECK(s[0].until == Time::ms(1));
  CHECK(s[1].gpu == 0);
  CHECK(s[1].compute_factor == 1.0);
  CHECK(s[1].stall_for == Time::zero());
  CHECK(s[1].until == Time::max());
  const auto again = scenario::parse_stragglers(scenario::stragglers_json(s),
                                                {"test.json", "/faults/stragglers"}, 8);
  CHECK(scenario::stragglers_json(again) == scenario::stragglers_json(s));
}

TEST_CASE("bad straggler lists name the file, the path, the value and what was expected",
          "[stragglers]") {
  struct Case {
    const char* list;
    const char* message;
  };
  const Case cases[] = {
      {R"({"gpu": 1})", "/faults/stragglers: {\"gpu\":1}: expected a list of stragglers"},
      {R"([3])", "/faults/stragglers/0: 3"},
      {R"([{"gpu": 1, "slow": 2}])", "/faults/stragglers/0/slow: unknown key \"slow\""},
      {R"([{"compute": 2}])", "/faults/stragglers/0/gpu: missing; expected a GPU id below 8"},
      {R"([{"gpu": 8}])", "/faults/stragglers/0/gpu: 8: expected a GPU id below 8"},
      {R"([{"gpu": -1}])", "/faults/stragglers/0/gpu: -1"},
      {R"([{"gpu": 1}, {"gpu": 2}, {"gpu": 1}])",
       "/faults/stragglers/2/gpu: 1: expected each GPU once (it is also /faults/stragglers/0)"},
      {R"([{"gpu": 1, "compute": 0.5}])",
       "/faults/stragglers/0/compute: 0.5: expected a slowdown factor from 1 to 1e6"},
      {R"([{"gpu": 1, "launch": 2e6}])", "/faults/stragglers/0/launch: 2000000.0: expected"},
      {R"([{"gpu": 1, "reduce": "2x"}])", "/faults/stragglers/0/reduce: \"2x\": expected"},
      {R"([{"gpu": 1, "stall": {"at": "1us"}}])", "/faults/stragglers/0/stall/for: missing"},
      {R"([{"gpu": 1, "stall": {"at": "1us", "for": "2us", "length": 1}}])",
       "/faults/stragglers/0/stall/length: unknown key \"length\""},
      {R"([{"gpu": 1, "stall": {"at": "-1us", "for": "2us"}}])",
       "/faults/stragglers/0/stall/at: \"-1us\""},
      {R"([{"gpu": 1, "from": "-5ns"}])", "/faults/stragglers/0/from: \"-5ns\""},
      {R"([{"gpu": 1, "from": "5us", "until": "5us"}])",
       "/faults/stragglers/0/until: \"5us\": expected a time after \"from\" (5us)"},
      {R"([{"gpu": 1, "until": "soon"}])", "/faults/stragglers/0/until: \"soon\""},
  };
  for (const auto& c : cases) {
    INFO(c.list);
    CHECK_THROWS_WITH(scenario::parse_stragglers(nlohmann::json::parse(c.list),
                                                 {"test.json", "/faults/stragglers"}, 8),
                      Catch::StartsWith("test.json: ") && Catch::Contains(c.message));
  }
  // Not finite (only built in code: JSON text has no NaN).
  CHECK_THROWS_WITH(
      scenario::parse_stragglers(nlohmann::json::array({{{"gpu", 1}, {"compute", NAN}}}),
                                 {"test.json", "/faults/stragglers"}, 8),
      Catch::Contains("/faults/stragglers/0/compute: ") && Catch::Contains("expected a slowdown"));
}
