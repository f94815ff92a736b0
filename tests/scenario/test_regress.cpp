// The regression gate bites: a deliberately slowed algorithm is reported slower and fails, a
// deliberately broken one is reported as wrong data and fails, an unchanged one passes; faster,
// missing and new points are reported; --update records; JUnit XML lists the failures.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "scenario/regress.hpp"
#include "topologies/config_error.hpp"
#include "workloads/algorithms/registry.hpp"

using namespace fabricsim;
using scenario::Verdict;

namespace {

// Test-only variants of the ring all-reduce.
// Slowed: in the reduce-scatter phase every step's reduction and send wait for the previous
// send to be acknowledged (a round trip per step on RDMA), as a careless change to the ring's
// dependencies would. Only staged ops get the extra dependency (their receive is still posted
// at once), so the variant stays deadlock-free on a rendezvous transport.
void wait_for_previous_send(workloads::Schedule& schedule) {
  for (auto& program : schedule.ranks) {
    std::vector<std::uint32_t> deps;
    std::int64_t previous_send = -1;
    for (std::size_t i = 0; i < program.ops.size(); ++i) {
      auto& op = program.ops[i];
      const auto begin = static_cast<std::uint32_t>(deps.size());
      deps.insert(deps.end(), program.deps.begin() + op.deps_begin,
                  program.deps.begin() + op.deps_begin + op.deps_count);
      if (op.kind == workloads::OpKind::kRecvReduceSend && previous_send >= 0) {
        deps.push_back(static_cast<std::uint32_t>(previous_send));
      }
      op.deps_begin = begin;
      op.deps_count = static_cast<std::uint32_t>(deps.size()) - begin;
      if (workloads::has_send(op.kind)) previous_send = static_cast<std::int64_t>(i);
    }
    program.deps = std::move(deps);
  }
}

// Broken: rank 0 stores two received chunks of the all-gather phase in each other's place.
void swap_two_chunks(workloads::Schedule& schedule) {
  auto& ops = schedule.ranks[0].ops;
  workloads::Op* first = nullptr;
  for (auto& op : ops) {
    if (op.kind != workloads::OpKind::kRecvCopySend) continue;
    if (first == nullptr) {
      first = &op;
    } else if (op.count == first->count) {
      std::swap(first->dst, op.dst);
      return;
    }
  }
}

struct Gate {
  Gate() {
    workloads::register_variant(workloads::CollectiveOp::kAllReduce, "ring_wait_acks", "ring",
                                "test only: sends wait for the previous send",
                                wait_for_previous_send);
    workloads::register_variant(workloads::CollectiveOp::kAllReduce, "ring_broken", "ring",
                                "test only: two chunks swapped on rank 0", swap_two_chunks);
    dir = std::filesystem::temp_directory_path() /
          ("fabricsim_regress_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~Gate() { std::filesystem::remove_all(dir); }

  // Writes the suite: one ring all-reduce case (algorithm as given) at two sizes.
  void write_suite(const std::string& algorithm, const std::string& extra_case = "") {
    std::ofstream(dir / "suite.json")
        << R"({ "name": "gate", "cases": [
      { "name": "ring8", "topology": { "kind": "fat_tree", "tiers": 2, "radix": 8, "hosts": 32,
                                       "link": { "rate": "100Gbps", "delay": "1us" } },
        "collective": { "op": "allreduce", "algorithm": ")"
        << algorithm << R"(", "ranks": [0, 5, 9, 13, 17, 21, 25, 30] },
        "sizes": ["256KiB", "1MiB"] })"
        << extra_case << "] }";
  }
  scenario::RegressReport run(bool update = false, unsigned jobs = 1) {
    scenario::RegressOptions options;
    options.suite_path = (dir / "suite.json").string();
    options.baseline_path = (dir / "baseline.json").string();
    options.update = update;
    options.jobs = jobs;
    return scenario::run_regression(options);
  }

  std::filesystem::path dir;
};

}  // namespace

TEST_CASE("an unchanged algorithm passes the gate, with its data checked", "[regress]") {
  Gate gate;
  gate.write_suite("ring");
  const auto recorded = gate.run(true);
  CHECK(recorded.baseline_written);
  CHECK(recorded.exit_code() == 0);
  const auto again = gate.run();
  CHECK(again.exit_code() == 0);
  REQUIRE(again.points.size() == 2);
  for (const auto& p : again.points) {
    CHECK(p.verdict == Verdict::kOk);
    CHECK(p.data_checked);
    CHECK(p.change == 0.0);  // deterministic: bit-for-bit the same time
    CHECK(p.now_ps > 0);
  }
  CHECK(scenario::report_table(again).find("0 failing") != std::string::npos);
}

TEST_CASE("a slowed algorithm is reported slower and fails the gate", "[regress]") {
  Gate gate;
  gate.write_suite("ring");
  gate.run(true);
  gate.write_suite("ring_wait_acks");
  const auto report = gate.run();
  CHECK(report.exit_code() == 1);
  for (const auto& p : report.points) {
    INFO(p.id << ": " << p.change << " " << p.detail);
    CHECK(p.verdict == Verdict::kSlower);
    CHECK(p.change > 0.02);
    WARN(p.id << ": the slowed ring is " << 100 * p.change << "% slower");
  }
  const auto xml = scenario::junit_xml(report);
  CHECK(xml.find("failures=\"2\"") != std::string::npos);
  CHECK(xml.find("<failure type=\"slower\"") != std::string::npos);
}

TEST_CASE("a broken algorithm is reported as wrong data and fails the gate", "[regress]") {
  Gate gate;
  gate.write_suite("ring");
  gate.run(true);
  gate.write_suite("ring_broken");
  const auto report = gate.run();
  CHECK(report.exit_code() == 1);
  for (const auto& p : report.points) {
    CHECK(p.verdict == Verdict::kWrongData);
    CHECK(p.detail.find("rank") != std::string::npos);
  }
  // --update never records wrong data.
  const auto update = gate.run(true);
  CHECK_FALSE(update.baseline_written);
  CHECK(update.exit_code() == 1);
}

TEST_CASE("faster points are reported but pass; --update takes them", "[regress]") {
  Gate gate;
  gate.write_suite("ring_wait_acks");
  gate.run(true);
  gate.write_suite("ring");
  const auto report = gate.run();
  CHECK(report.exit_code() == 0);
  for (const auto& p : report.points)
    CHECK(p.verdict == Verdict::kFaster);
  const auto updated = gate.run(true);
  CHECK(updated.baseline_written);
  const auto after = gate.run();
  for (const auto& p : after.points)
    CHECK(p.verdict == Verdict::kOk);
}

TEST_CASE("points missing from the suite or from the baseline fail the gate", "[regress]") {
  Gate gate;
  gate.write_suite("ring", R"(, { "name": "extra", "topology": { "kind": "fat_tree", "tiers": 2,
      "radix": 8, "hosts": 32 }, "collective": { "op": "allgather", "ranks": [1, 2, 3] },
      "sizes": ["3KiB"] })");
  gate.run(true);
  gate.write_suite("ring");
  auto report = gate.run();
  CHECK(report.exit_code() == 1);
  REQUIRE(report.points.size() == 3);
  CHECK(report.points[2].id == "extra/3KiB");
  CHECK(report.points[2].verdict == Verdict::kMissing);

  gate.write_suite("ring", R"(, { "name": "later", "topology": { "kind": "fat_tree", "tiers": 2,
      "radix": 8, "hosts": 32 }, "collective": { "op": "broadcast", "algorithm": "binomial",
      "ranks": [1, 2, 3] }, "sizes": ["4KiB"] })");
  report = gate.run();
  CHECK(report.exit_code() == 1);
  bool saw_new = false;
  for (const auto& p : report.points)
    saw_new = saw_new || (p.id == "later/4KiB" && p.verdict == Verdict::kNew);
  CHECK(saw_new);
}

TEST_CASE("cases in parallel give the same report as in sequence", "[regress]") {
  Gate gate;
  gate.write_suite("ring");
  gate.run(true);
  const auto one = gate.run(false, 1);
  const auto two = gate.run(false, 3);
  REQUIRE(one.points.size() == two.points.size());
  for (std::size_t i = 0; i < one.points.size(); ++i) {
    CHECK(one.points[i].id == two.points[i].id);
    CHECK(one.points[i].now_ps == two.points[i].now_ps);
  }
}

TEST_CASE("a bad suite or baseline is bad input naming the file and path", "[regress]") {
  Gate gate;
  std::ofstream(gate.dir / "suite.json") << R"({ "cases": [ { "name": "x", "sizes": [] } ] })";
  CHECK_THROWS_WITH(gate.run(true), Catch::Contains("suite.json: /cases/0"));
  gate.write_suite("ring");
  std::ofstream(gate.dir / "baseline.json")
      << R"({ "points": { "ring8/1MiB": { "time_ps": -3 } } })";
  CHECK_THROWS_WITH(gate.run(), Catch::Contains("baseline.json: /points/ring8/1MiB/time_ps"));
  std::filesystem::remove(gate.dir / "baseline.json");
  CHECK_THROWS_WITH(gate.run(), Catch::Contains("baseline.json"));
}
