// Tests scenario/runner: RunOptions::interrupt stops a run (RunInterrupted) and, when it never
// fires, leaves the results unchanged.
#include <catch2/catch.hpp>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

using namespace fabricsim;
using nlohmann::json;

namespace {
// A 3:1 incast long enough for several interrupt polls (hundreds of thousands of events).
scenario::Scenario long_incast() {
  return scenario::parse_scenario(json::parse(R"({
    "name": "i", "seed": 2,
    "topology": {"kind": "explicit", "switches": [{"name": "s0"}],
      "hosts": [{"name": "h0"}, {"name": "h1"}, {"name": "h2"}, {"name": "h3"}],
      "links": [{"a": "h0", "b": "s0"}, {"a": "h1", "b": "s0"}, {"a": "h2", "b": "s0"},
                {"a": "h3", "b": "s0"}]},
    "workload": {"kind": "traffic", "pattern": "incast", "senders": 3, "receiver": 0,
                 "flow_size": "64MB"}})"),
                                  "i.json", ".");
}
}  // namespace

TEST_CASE("an interrupt hook that fires stops the run with RunInterrupted",
          "[scenario][interrupt]") {
  int polls = 0;
  scenario::RunOptions options;
  options.interrupt = [&polls] { return ++polls == 2; };
  CHECK_THROWS_AS(scenario::run_scenario(long_incast(), options), scenario::RunInterrupted);
  CHECK(polls == 2);  // stopped at the second poll, not polled again afterwards
}

TEST_CASE("an interrupt hook that never fires changes nothing in the results",
          "[scenario][interrupt]") {
  int polls = 0;
  scenario::RunOptions options;
  options.interrupt = [&polls] {
    ++polls;
    return false;
  };
  const auto s = long_incast();
  const auto with_hook = scenario::run_scenario(s, options);
  const auto without = scenario::run_scenario(s);
  CHECK(polls > 2);
  CHECK(with_hook.completed);
  CHECK(scenario::to_json(with_hook, false) == scenario::to_json(without, false));
}
