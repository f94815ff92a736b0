// The sim transport: message timing on the simulated fabric, receive matching in both orders,
// the GPU engine, NVLink domains, and every algorithm running to completion on it.
#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include "sim/simulator.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"
#include "topologies/spec.hpp"
#include "workloads/algorithms/registry.hpp"
#include "workloads/executor.hpp"
#include "workloads/transports/sim/sim_transport.hpp"

using namespace fabricsim;
using sim::Time;

namespace {

// A simulator, a fabric built from a topology document, and the sim transport over it.
struct Rig {
  explicit Rig(const nlohmann::json& topology, models::GpuParams gpu = zero_latency_gpu())
      : graph(topologies::build_graph(topologies::parse_topology(topology, "test"))),
        routes(topologies::compute_routes(graph)),
        fabric(topologies::build_fabric(graph, routes, simulator)),
        network(*fabric, gpu) {}

  static models::GpuParams zero_latency_gpu() {
    models::GpuParams gpu;
    gpu.launch_latency = Time::zero();
    return gpu;
  }

  sim::Simulator simulator;
  topologies::NetworkGraph graph;
  topologies::Routes routes;
  std::unique_ptr<models::Fabric> fabric;
  workloads::SimNetwork network;
};

// One switch, two hosts, 100 Gb/s, 1 us links, 300 ns store-and-forward switch.
nlohmann::json two_hosts() {
  return nlohmann::json::parse(R"({
    "kind": "explicit", "switches": [ { "name": "s" } ],
    "hosts": [ { "name": "h0" }, { "name": "h1" } ],
    "links": [ { "a": "h0", "b": "s" }, { "a": "h1", "b": "s" } ],
    "link": { "rate": "100Gbps", "delay": "1us", "mtu": 4096 },
    "switch": { "latency": "300ns" } })");
}

nlohmann::json fat_tree_32() {
  return nlohmann::json::parse(R"({
    "kind": "fat_tree", "tiers": 2, "radix": 8, "hosts": 32,
    "link": { "rate": "100Gbps", "delay": "1us", "mtu": 4096 } })");
}

// Records when each cookie completed.
struct Recorder final : workloads::CompletionListener {
  explicit Recorder(const sim::Simulator& s) : sim(&s) {}
  void on_complete(std::uint64_t cookie) override { at[cookie] = sim->now(); }
  const sim::Simulator* sim;
  std::map<std::uint64_t, Time> at;
};

}  // namespace

TEST_CASE("a one-packet send arrives after two serialisations, two link delays and the switch",
          "[sim_transport]") {
  Rig rig(two_hosts());
  Recorder rec(rig.simulator);
  const std::uint64_t bytes = 1000;
  rig.network.post_recv(1, 0, workloads::make_tag(0, 0), rec, 1);
  rig.network.post_send(0, 1, bytes, workloads::make_tag(0, 0), rec, 2);
  rig.simulator.run();
  const std::uint64_t wire = bytes + models::NicParams{}.header_bytes;
  const Time hop = sim::serialization_time(wire, 100'000'000'000ULL) + Time::us(1);
  CHECK(rec.at.at(1) == hop + Time::ns(300) + hop);
  // The send completes when the ACK is back: later than the arrival.
  CHECK(rec.at.at(2) > rec.at.at(1));
  CHECK(rig.network.unmatched() == 0);
  CHECK(rig.network.counters().unexpected_arrivals == 0);
}

TEST_CASE("a receive posted after its message arrived completes at once, in order",
          "[sim_transport]") {
  Rig rig(two_hosts());
  Recorder rec(rig.simulator);
  for (std::uint64_t seq = 0; seq < 3; ++seq)
    rig.network.post_send(0, 1, 5000, workloads::make_tag(0, seq), rec, 10 + seq);
  rig.simulator.run();
  CHECK(rig.network.unmatched() == 3);
  CHECK(rig.network.counters().unexpected_arrivals == 3);
  const Time late = rig.simulator.now() + Time::us(50);
  struct Poster final : sim::EventHandler {
    Rig* rig;
    Recorder* rec;
    void on_event(std::uint64_t) override {
      for (std::uint64_t seq = 0; seq < 3; ++seq)
        rig->network.post_recv(1, 0, workloads::make_tag(0, seq), *rec, seq);
    }
  } poster;
  poster.rig = &rig;
  poster.rec = &rec;
  rig.simulator.schedule(late, poster);
  rig.simulator.run();
  for (std::uint64_t seq = 0; seq < 3; ++seq)
    CHECK(rec.at.at(seq) == late);
  CHECK(rig.network.unmatched() == 0);
}

TEST_CASE("receives posted out of sequence order are reported, not mismatched", "[sim_transport]") {
  Rig rig(two_hosts());
  Recorder rec(rig.simulator);
  rig.network.post_send(0, 1, 100, workloads::make_tag(0, 0), rec, 1);
  rig.simulator.run();
  CHECK_THROWS_WITH(rig.network.post_recv(1, 0, workloads::make_tag(0, 1), rec, 2),
                    Catch::Contains("out of sequence order"));
}

TEST_CASE("reductions and copies queue on the GPU engine at its throughput", "[sim_transport]") {
  models::GpuParams gpu;
  gpu.reduce_bandwidth_bps = 8'000'000'000'000ULL;  // 1 TB/s: 1 MB takes 1 us
  gpu.copy_bandwidth_bps = 16'000'000'000'000ULL;   // 2 TB/s
  gpu.step_latency = Time::ns(100);
  Rig rig(two_hosts(), gpu);
  Recorder rec(rig.simulator);
  rig.network.post_compute(0, 1'000'000, true, rec, 1);
  rig.network.post_compute(0, 1'000'000, true, rec, 2);
  rig.network.post_compute(0, 1'000'000, false, rec, 3);
  rig.network.post_compute(1, 1'000'000, true, rec, 4);  // another GPU: in parallel
  rig.simulator.run();
  CHECK(rec.at.at(1) == Time::ns(1100));
  CHECK(rec.at.at(2) == Time::ns(2100));
  CHECK(rec.at.at(3) == Time::ns(2600));
  CHECK(rec.at.at(4) == Time::ns(1100));
  CHECK(rig.network.counters().reductions == 3);
  CHECK(rig.network.counters().copies == 1);
}

TEST_CASE("the step latency delays a send's injection", "[sim_transport]") {
  models::GpuParams gpu = Rig::zero_latency_gpu();
  Rig fast(two_hosts(), gpu);
  gpu.step_latency = Time::us(2);
  Rig slow(two_hosts(), gpu);
  Time arrival[2];
  int i = 0;
  for (Rig* rig : {&fast, &slow}) {
    Recorder rec(rig->simulator);
    rig->network.post_recv(1, 0, workloads::make_tag(0, 0), rec, 1);
    rig->network.post_send(0, 1, 64, workloads::make_tag(0, 0), rec, 2);
    rig->simulator.run();
    arrival[i++] = rec.at.at(1);
  }
  CHECK(arrival[1] - arrival[0] == Time::us(2));
}

TEST_CASE("inside an NVLink domain a send is a fluid transfer and the GPU port serialises",
          "[sim_transport]") {
  Rig rig(fat_tree_32());
  rig.network.set_nvlink({4, 8'000'000'000'000ULL, Time::ns(150)});  // 1 TB/s per direction
  Recorder rec(rig.simulator);
  rig.network.post_recv(1, 0, workloads::make_tag(0, 0), rec, 1);
  rig.network.post_recv(2, 0, workloads::make_tag(0, 0), rec, 2);
  rig.network.post_recv(4, 0, workloads::make_tag(0, 0), rec, 3);  // another domain: the NIC
  rig.network.post_send(0, 1, 1'000'000, workloads::make_tag(0, 0), rec, 11);
  rig.network.post_send(0, 2, 1'000'000, workloads::make_tag(0, 0), rec, 12);
  rig.network.post_send(0, 4, 1'000'000, workloads::make_tag(0, 0), rec, 13);
  rig.simulator.run();
  CHECK(rec.at.at(1) == Time::ns(1150));
  CHECK(rec.at.at(11) == Time::ns(1150));
  CHECK(rec.at.at(2) == Time::ns(2150));  // waited for GPU 0's NVLink egress
  CHECK(rec.at.at(3) > Time::us(80));     // 1 MB at 100 Gb/s through the fabric
  CHECK(rig.network.counters().nvlink_messages == 2);
  CHECK(rig.fabric->counters().messages_completed == 1);
}

// Runs one Schedule on the sim transport; returns the finishing time, or fails.
Time run_on_sim(Rig& rig, const workloads::Schedule& schedule) {
  struct Done final : workloads::ExecutorObserver {
    void on_executor_done(workloads::Executor&) override { ++count; }
    int count = 0;
  } done;
  std::vector<models::EndpointId> gpus;
  for (std::int32_t r = 0; r < schedule.nranks; ++r)
    gpus.push_back(static_cast<models::EndpointId>((r * 5) % 32));  // spread over leaves
  workloads::SimGroup group(rig.network, gpus);
  std::vector<std::unique_ptr<workloads::Executor>> executors;
  for (std::int32_t r = 0; r < schedule.nranks; ++r) {
    executors.push_back(std::make_unique<workloads::Executor>(r, schedule, group.transport(r),
                                                              workloads::Buffers{}, rig.network));
    executors.back()->set_observer(&done);
    executors.back()->start();
  }
  rig.simulator.run();
  if (done.count != schedule.nranks) {
    for (const auto& e : executors) {
      if (!e->done()) FAIL_CHECK("rank " << e->rank() << ":\n" << e->describe_pending(4));
    }
  }
  CHECK(rig.network.unmatched() == 0);
  return rig.simulator.now();
}

TEST_CASE("every algorithm of every op runs to completion on the sim transport",
          "[sim_transport]") {
  for (const auto op : workloads::kAllCollectiveOps) {
    for (const auto& algorithm : workloads::list_algorithms(op)) {
      for (const std::int32_t nranks : {1, 2, 3, 5, 8, 16}) {
        for (const bool nvlink : {false, true}) {
          workloads::CollectiveRequest request;
          request.op = op;
          request.algorithm = algorithm;
          request.nranks = nranks;
          request.count = 3000 * static_cast<std::uint64_t>(nranks) + 7;
          request.channels = 2;
          request.slice_bytes = 4096;
          request.ranks_per_node = nranks % 4 == 0 ? 4 : 1;
          if (op == workloads::CollectiveOp::kSendRecv && nranks % 2 != 0) continue;
          workloads::Schedule schedule;
          try {
            schedule = workloads::generate(request);
          } catch (const std::invalid_argument&) {
            continue;  // not offered for this rank count
          }
          INFO(workloads::to_string(op)
               << " " << algorithm << " x" << nranks << (nvlink ? " with NVLink" : ""));
          Rig rig(fat_tree_32());
          if (nvlink) rig.network.set_nvlink({4, 8'000'000'000'000ULL, Time::ns(150)});
          run_on_sim(rig, schedule);
        }
      }
    }
  }
}

TEST_CASE("a collective on the sim transport is deterministic", "[sim_transport]") {
  workloads::CollectiveRequest request;
  request.algorithm = "ring";
  request.nranks = 7;
  request.count = 100'000;
  request.channels = 3;
  request.slice_bytes = 16384;
  const auto schedule = workloads::generate(request);
  Rig a(fat_tree_32());
  Rig b(fat_tree_32());
  const Time ta = run_on_sim(a, schedule);
  CHECK(ta == run_on_sim(b, schedule));
  CHECK(a.fabric->counters() == b.fabric->counters());
}
