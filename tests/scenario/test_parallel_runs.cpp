// Parallel runs (RunOptions::threads): the shipped traffic and collective scenarios give the
// same results, field for field (measured wall times and memory aside), and the same time
// series and traces, for 1, 2, 3 and 4 threads; what parallel runs do not take is refused
// with a clear message; a distributed run's process keeps only its partition's workload state.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/fabric.hpp"
#include "scenario/run_support.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "sim/parallel.hpp"
#include "topologies/config_error.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/partition.hpp"
#include "topologies/routing.hpp"

using namespace fabricsim;

namespace {
std::string scenario_path(const std::string& name) {
  return std::string(FABRICSIM_SOURCE_DIR) + "/configs/scenarios/" + name;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(read_file(path));
}

// How many of `parts` partitions hold GPUs (NICs) for `s`'s fabric: a comparison means
// something only where the work is split.
std::uint32_t partitions_with_nics(const scenario::Scenario& s, std::uint32_t parts) {
  const auto p = topologies::partition_graph(topologies::build_graph(s.topology), parts);
  std::vector<bool> used(parts, false);
  for (const std::uint32_t part : p.nic_part)
    used[part] = true;
  return static_cast<std::uint32_t>(std::count(used.begin(), used.end(), true));
}

// Runs `s` with 1 thread, then 2, 3, 4: the same results and the same time-series CSV files.
// The fabric must split its GPUs over at least `min_split` partitions of 2 and of 4 (1: one
// unit that cannot be split, e.g. a single NVLink domain; only its switches are spread).
scenario::Results check_same_for_threads(scenario::Scenario s, bool completes = true,
                                         std::uint32_t min_split = 2) {
  REQUIRE(partitions_with_nics(s, 2) >= min_split);
  REQUIRE(partitions_with_nics(s, 4) >= min_split);
  const auto base =
      std::filesystem::temp_directory_path() / ("fabricsim_parallel_" + std::to_string(::getpid()));
  scenario::RunOptions one;
  one.out_dir = (base / "1").string();
  const auto reference = scenario::run_scenario(s, one);
  REQUIRE(reference.completed == completes);
  const auto expected = scenario::to_json(reference, false);
  for (const unsigned threads : {2U, 3U, 4U}) {
    CAPTURE(threads);
    scenario::RunOptions options;
    options.threads = threads;
    options.out_dir = (base / std::to_string(threads)).string();
    CHECK(scenario::to_json(scenario::run_scenario(s, options), false) == expected);
    for (const char* csv : {"timeseries.csv", "timeseries_ports.csv", "timeseries_qps.csv",
                            "trace.json", "flows.csv"}) {
      CAPTURE(csv);
      CHECK(std::filesystem::exists(base / "1" / csv) ==
            std::filesystem::exists(base / std::to_string(threads) / csv));
      if (std::filesystem::exists(base / "1" / csv)) {
        CHECK(read_file(base / "1" / csv) == read_file(base / std::to_string(threads) / csv));
      }
    }
  }
  std::filesystem::remove_all(base);
  return reference;
}
}  // namespace

TEST_CASE("perm_1024_dcqcn: identical results for 1 to 4 threads", "[parallel]") {
  // 512 KB flows instead of 2 MB keep it short; the fabric and the traffic are the scenario's.
  check_same_for_threads(
      scenario::load_scenario(scenario_path("perm_1024_dcqcn.json"), {"workload.flow_size=512KB"}));
}

TEST_CASE(
    "Swift (send times and hop counts echoed across partitions): identical results for 1 "
    "to 4 threads",
    "[parallel]") {
  const auto r = check_same_for_threads(
      scenario::load_scenario(scenario_path("incast_16to1_dcqcn.json"),
                              {"workload.flow_size=256KB", "workload.receiver=100",
                               "models.nic.cc.algorithm=swift", "outputs.flows=true"}));
  CHECK(r.flows.completed == 16);
  CHECK(r.flow_rows.size() == 16);
}

TEST_CASE(
    "incast_16to1_pfc (PAUSE frames across partitions): identical results for 1 to 4 "
    "threads",
    "[parallel]") {
  // The receiver in the fabric's other half: PAUSE frames cross the cut core links.
  auto s = scenario::load_scenario(scenario_path("incast_16to1_pfc.json"),
                                   {"workload.flow_size=512KB", "workload.receiver=100"});
  const auto r = check_same_for_threads(s);
  CHECK(r.fabric.pfc_pause_frames > 0);
  // Every time series of the scenario, per port and per QP too.
  s.outputs.qps = true;
  s.outputs.metrics = {"queue_bytes",      "link_utilization", "pfc_paused",
                       "pfc_pause_frames", "ecn_marks",        "drops",
                       "qp_rate"};
  check_same_for_threads(s);
}

TEST_CASE(
    "flows, uniform traffic and an InfiniBand fabric (credits across partitions): "
    "identical results for 1 to 4 threads",
    "[parallel]") {
  for (const char* name : {"flows_dumbbell.json", "hadoop_uniform.json"}) {
    CAPTURE(name);
    check_same_for_threads(scenario::load_scenario(scenario_path(name)));
  }
  auto ib = scenario::load_scenario(scenario_path("perm_1024_dcqcn.json"),
                                    {"topology=../topologies/ib_rail_optimized_1024.json",
                                     "models.nic.cc.algorithm=ib", "workload.flow_size=256KB"});
  check_same_for_threads(ib);
}

TEST_CASE(
    "MRC on 8 planes (trims, NACKs, lost packets and EV state across partitions): identical "
    "results for 1 to 4 threads",
    "[parallel][mrc]") {
  const auto perm = check_same_for_threads(
      scenario::load_scenario(scenario_path("mrc_perm_1024.json"),
                              {"workload.flow_size=128KB", "models.link.loss_rate=0.0005"}));
  CHECK(perm.multipath.configured);
  CHECK(perm.fabric.drops > 0);
  CHECK(perm.multipath.ev_retirements > 0);
  CHECK(perm.flows.completed == 1024);
  // An incast overflows the receiver's leaf: trims, NACKs and selective resends.
  const auto incast = check_same_for_threads(scenario::load_scenario(
      scenario_path("mrc_perm_1024.json"),
      {R"(workload={"kind": "traffic", "pattern": "incast", "senders": 64, "receiver": 1000,
                    "flow_size": "256KB"})",
       "models.switch.buffer=2MB"}));
  CHECK(incast.multipath.trims > 0);
  CHECK(incast.multipath.nacks == incast.multipath.trims);
  CHECK(incast.flows.completed == 64);
}

TEST_CASE("collectives on a rail-optimized fabric: identical results for 1 to 4 threads",
          "[parallel]") {
  const std::string ring = scenario_path("allreduce_ring_1024.json");
  SECTION("ring all-reduce, 3 iterations, 128 GPUs") {
    const auto r = check_same_for_threads(
        scenario::load_scenario(ring, {"topology.nodes=16", "topology.tiers=3", "topology.radix=8",
                                       "workload.size=1MiB", "workload.iterations=3"}));
    REQUIRE(r.collectives.size() == 3);
    CHECK(r.fabric.packet_hops > 0);
  }
  SECTION("hierarchical tree (NVLink in the node, trees per rail), time series and trace") {
    auto s = scenario::load_scenario(
        ring, {"workload.algorithm=hierarchical_tree", "workload.size=2MiB", "seed=5"});
    s.outputs.trace = true;
    s.outputs.timeseries_interval = fabricsim::sim::Time::us(5);
    s.outputs.qps = true;
    s.outputs.metrics = {"queue_bytes", "link_utilization", "ecn_marks", "qp_rate"};
    check_same_for_threads(s);
  }
  SECTION("pairwise all-to-all over 2 channels, 64 GPUs") {
    check_same_for_threads(scenario::load_scenario(
        ring, {"topology.nodes=8", "topology.tiers=3", "topology.radix=8", "workload.op=alltoall",
               "workload.algorithm=pairwise", "workload.size=64KiB", "workload.channels=2"}));
  }
  SECTION("double binary tree on InfiniBand (credits across partitions)") {
    check_same_for_threads(
        scenario::load_scenario(scenario_path("allreduce_ib_1024.json"), {"workload.size=1MiB"}));
  }
}

TEST_CASE("the in-switch all-reduce of a simulated NVLink domain: identical for 1 to 4 threads",
          "[parallel]") {
  // One NVLink domain holds every GPU: it stays in one partition.
  const auto r = check_same_for_threads(
      scenario::load_scenario(scenario_path("allreduce_nvls_nvl72.json"), {"workload.size=4MiB"}),
      true, 1);
  CHECK(r.collectives.front().algorithm == "nvls");
}

TEST_CASE("training steps: identical results for 1 to 4 threads", "[parallel]") {
  const std::string path = scenario_path("training_step_128.json");
  nlohmann::json doc = read_json(path);
  // Rail groups of 4 nodes (radix-8 leaves, 3 tiers): the 16 nodes split over 2, 3 or 4
  // partitions (as shipped, one rail group holds them all).
  doc["topology"]["tiers"] = 3;
  doc["topology"]["radix"] = 8;
  auto& phases = doc["workload"]["phases"];
  SECTION("training_step_128, smaller: overlapping phases, trace and time series") {
    // Its phases with smaller buffers: tp_allreduce_bwd and dp_allreduce (after backward) run
    // at once on the same GPUs.
    for (auto& phase : phases) {
      if (phase.contains("collective")) phase["collective"]["size"] = "1MiB";
    }
    doc["outputs"]["timeseries"] = {{"interval", "20us"},
                                    {"qps", true},
                                    {"metrics", {"queue_bytes", "link_utilization", "qp_rate"}}};
    const auto r = check_same_for_threads(scenario::parse_scenario(doc, path, "."));
    REQUIRE(r.phases.size() == 6);
    // The two last phases overlap.
    CHECK(r.phases[4].start_ps == r.phases[5].start_ps);
    CHECK(r.phases[4].end_ps != r.phases[5].end_ps);
  }
  SECTION("zero-length compute phases, two roots, a short compute phase last") {
    // Phase starts and ends that fall inside one window, and an end decided by a compute
    // phase the control plane runs itself.
    phases = nlohmann::json::array({
        {{"name", "a"}, {"group", "tp"}, {"collective", {{"op", "allreduce"}, {"size", "1MiB"}}}},
        {{"name", "root2"}, {"compute", "0ns"}},
        {{"name", "z"},
         {"group", "dp"},
         {"after", {"root2"}},
         {"collective", {{"op", "allreduce"}, {"size", "256KiB"}}}},
        {{"name", "c0"}, {"compute", "0ns"}, {"after", {"a"}}},
        {{"name", "b"},
         {"group", "dp"},
         {"after", {"c0"}},
         {"collective", {{"op", "allreduce"}, {"size", "1MiB"}}}},
        {{"name", "d"}, {"compute", "100ns"}, {"after", {"a"}}},
        {{"name", "e"},
         {"group", "ep"},
         {"after", {"d"}},
         {"collective", {{"op", "alltoall"}, {"algorithm", "direct"}, {"size", "512KiB"}}}},
        {{"name", "f"}, {"compute", "1ns"}, {"after", {"b", "e", "z"}}},
        {{"name", "g"}, {"compute", "0ns"}, {"after", {"f"}}},
    });
    const auto r = check_same_for_threads(scenario::parse_scenario(doc, path, "."));
    REQUIRE(r.phases.size() == 9);
    CHECK(r.phases[8].end_ps == r.phases[7].end_ps);
    CHECK(r.sim_time_ps == r.phases[8].end_ps);
    SECTION("stopped in the middle by stop_at") {
      doc["stop_at"] = fmt::format("{}ps", r.phases[4].start_ps + 20'000'000);
      const auto cut = check_same_for_threads(scenario::parse_scenario(doc, path, "."), false);
      CHECK(cut.phases[4].end_ps == -1);
    }
  }
}

TEST_CASE("parallel runs refuse what they do not take, naming it", "[parallel]") {
  scenario::RunOptions options;
  options.threads = 2;
  // A training step's control plane looks ahead by the kernel launch latency.
  const auto step = scenario::load_scenario(scenario_path("training_step_128.json"),
                                            {"topology.gpu.launch_latency=0us"});
  CHECK_THROWS_WITH(scenario::run_scenario(step, options),
                    Catch::Contains("/gpu/launch_latency") && Catch::Contains("1 thread"));
  options.threads = 1;
  CHECK(scenario::run_scenario(step, options).completed);
}

TEST_CASE("a parallel run says when some of its partitions hold no GPU", "[parallel]") {
  scenario::RunOptions options;
  options.threads = 3;
  // As shipped, training_step_128's 16 nodes are one rail group: partitions 1 and 2 get none.
  const auto unsplit =
      scenario::run_scenario(scenario::load_scenario(scenario_path("training_step_128.json"),
                                                     {"workload.phases.1.collective.size=64KiB"}),
                             options);
  REQUIRE(unsplit.run_notes.size() == 1);
  CHECK_THAT(unsplit.run_notes[0], Catch::StartsWith("no GPU in 2 of the 3 partitions"));
  CHECK(scenario::to_json(unsplit).dump().find("no GPU in") == std::string::npos);
  options.threads = 2;
  const auto split = scenario::run_scenario(
      scenario::load_scenario(
          scenario_path("perm_1024_dcqcn.json"),
          {"topology=../topologies/fat_tree_128.json", "workload.flow_size=64KB"}),
      options);
  CHECK(split.run_notes.empty());
}

TEST_CASE("a process that runs one partition keeps that partition's ranks and QPs only",
          "[parallel]") {
  // What a distributed run's process builds (parallel_runner: Fabric::run_only_partition):
  // executors and programs of its own ranks, QP state of its own NICs, and from the other
  // NICs only their QP numbering, which must equal a full build's.
  const auto s =
      scenario::load_scenario(scenario_path("allreduce_ring_1024.json"), {"workload.size=1MiB"});
  const auto graph = topologies::build_graph(s.topology);
  const auto routes = topologies::compute_routes(graph);
  const auto parts = topologies::partition_graph(graph, 2);
  sim::ParallelEngine full_engine(2, s.seed, true);
  auto full_fabric = topologies::build_fabric(graph, routes, full_engine, parts);
  const auto full = scenario::make_gpu_workload(s, graph, *full_fabric);
  sim::ParallelEngine engine(2, s.seed, true);
  auto fabric = topologies::build_fabric(graph, routes, engine, parts);
  fabric->run_only_partition(1);
  const auto mine = scenario::make_gpu_workload(s, graph, *fabric);
  REQUIRE(full.collective != nullptr);
  REQUIRE(mine.collective != nullptr);

  const workloads::Schedule& whole = full.collective->schedule();
  const workloads::Schedule& kept = mine.collective->schedule();
  std::size_t mine_ranks = 0;
  for (std::int32_t r = 0; r < whole.nranks; ++r) {
    CAPTURE(r);
    const bool here = parts.nic_part[mine.collective->gpu(r)] == 1;
    mine_ranks += here ? 1 : 0;
    CHECK(full.collective->has_executor(r));
    CHECK(mine.collective->has_executor(r) == here);
    const auto& program = kept.ranks[static_cast<std::size_t>(r)];
    CHECK(program.ops.size() == (here ? whole.ranks[static_cast<std::size_t>(r)].ops.size() : 0));
    CHECK(program.input_count == whole.ranks[static_cast<std::size_t>(r)].input_count);
  }
  CHECK(mine_ranks > 0);
  CHECK(mine_ranks < static_cast<std::size_t>(whole.nranks));
  std::uint64_t qps = 0;
  for (models::EndpointId e = 0; e < fabric->nic_count(); ++e) {
    CAPTURE(e);
    const models::Nic& nic = fabric->nic(e);
    CHECK(nic.keeps_qp_numbers_only() == (parts.nic_part[e] == 0));
    REQUIRE(nic.qp_count() == full_fabric->nic(e).qp_count());
    qps += nic.qp_count();
    if (nic.keeps_qp_numbers_only()) continue;
    for (std::uint32_t q = 0; q < nic.qp_count(); ++q) {
      CHECK(nic.qp(q).peer == full_fabric->nic(e).qp(q).peer);
      CHECK(nic.qp(q).remote_qp == full_fabric->nic(e).qp(q).remote_qp);
    }
  }
  CHECK(qps > 0);
}
