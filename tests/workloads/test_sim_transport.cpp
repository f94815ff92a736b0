// The sim transport: message timing on the simulated fabric, receive matching in both orders,
// the GPU engine, NVLink domains, group reduces (in-switch all-reduce), and every algorithm
// running to completion on it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>

#include "sim/simulator.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"
#include "topologies/spec.hpp"
#include "workloads/algorithms/registry.hpp"
#include "workloads/cost_model.hpp"
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

// GPUs spread over the leaves of fat_tree_32(): rank r on GPU 5r mod 32.
std::vector<models::EndpointId> spread(std::int32_t nranks) {
  std::vector<models::EndpointId> gpus;
  for (std::int32_t r = 0; r < nranks; ++r)
    gpus.push_back(static_cast<models::EndpointId>((r * 5) % 32));
  return gpus;
}

// Runs one Schedule on the sim transport (rank r on gpus[r], by default spread()); returns the
// finishing time, or fails.
Time run_on_sim(Rig& rig, const workloads::Schedule& schedule,
                std::vector<models::EndpointId> gpus = {}) {
  struct Done final : workloads::ExecutorObserver {
    void on_executor_done(workloads::Executor&) override { ++count; }
    int count = 0;
  } done;
  if (gpus.empty()) gpus = spread(schedule.nranks);
  workloads::SimGroup group(rig.network, gpus);
  std::vector<std::unique_ptr<workloads::Executor>> executors;
  for (std::int32_t r = 0; r < schedule.nranks; ++r) {
    executors.push_back(std::make_unique<workloads::Executor>(
        r, schedule, group.transport(r), workloads::Buffers{},
        rig.network.clock_of(gpus[static_cast<std::size_t>(r)])));
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
          if (!schedule.groups.empty()) {
            // Spread over domains, the in-switch all-reduce has no switch to run in: refused.
            workloads::SimGroup group(rig.network, spread(nranks));
            CHECK_FALSE(group.group_reduce_problem(schedule).empty());
            continue;
          }
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

// ---------------------------------------------------------------------------------------------
// Group reduces: the in-switch all-reduce of an NVLink domain.

namespace {

// One HGX-like node: 8 GPUs in a simulated NVLink domain (18 links of 25 GB/s per direction to
// 4 NVSwitch chips, 450 GB/s per GPU and direction), 8 rails of 400 Gb/s.
nlohmann::json hgx8() {
  return nlohmann::json::parse(R"({
    "kind": "rail_optimized", "nodes": 1, "gpus_per_node": 8, "rails": 8, "tiers": 2,
    "radix": 16, "link": { "rate": "400Gbps", "delay": "500ns" },
    "nvlink": { "bandwidth": "900GBps", "links": 18, "latency": "100ns", "switches": 4 } })");
}

std::vector<models::EndpointId> first_gpus(std::uint32_t n) {
  std::vector<models::EndpointId> gpus;
  for (models::EndpointId g = 0; g < n; ++g)
    gpus.push_back(g);
  return gpus;
}

workloads::Schedule allreduce(const char* algorithm, std::int32_t nranks, std::uint64_t bytes) {
  workloads::CollectiveRequest request;
  request.algorithm = algorithm;
  request.nranks = nranks;
  request.count = bytes / 4;
  return workloads::generate(request);
}

struct NvlsRecorder final : models::NvlsObserver {
  void on_nvls_allreduce_done(models::EndpointId, std::uint64_t, Time t) override {
    last = std::max(last, t);
    ++count;
  }
  Time last = Time::zero();
  int count = 0;
};

}  // namespace

TEST_CASE("in a fluid NVLink domain a group reduce takes S/B + a after the members' traffic",
          "[sim_transport][group]") {
  Rig rig(fat_tree_32());
  rig.network.set_nvlink({4, 8'000'000'000'000ULL, Time::ns(150)});  // 1 TB/s per direction
  Recorder rec(rig.simulator);
  const std::vector<models::EndpointId> gpus{0, 1, 2, 3};
  // GPU 2's NVLink egress is busy for 1 us with a message to GPU 3 first.
  rig.network.post_recv(3, 2, workloads::make_tag(0, 0), rec, 1);
  rig.network.post_send(2, 3, 1'000'000, workloads::make_tag(0, 0), rec, 2);
  for (const models::EndpointId g : gpus)
    rig.network.post_group_reduce(g, gpus, 0, 2'000'000, workloads::make_tag(0, 0), rec, 10 + g);
  rig.simulator.run();
  CHECK(rec.at.at(1) == Time::ns(1150));
  // Starts when GPU 2's egress and GPU 3's ingress are free (1 us), holds them 2 us, + 150 ns.
  for (const models::EndpointId g : gpus)
    CHECK(rec.at.at(10 + g) == Time::ns(3150));
  CHECK(rig.network.counters().group_reductions == 1);
  CHECK(rig.network.counters().group_bytes == 2'000'000);
  CHECK(rig.fabric->counters().messages_completed == 0);  // nothing crossed the NICs
  // A subset of a fluid domain is fine; the step latency delays the start.
  models::GpuParams slow = Rig::zero_latency_gpu();
  slow.step_latency = Time::ns(500);
  Rig late(fat_tree_32(), slow);
  late.network.set_nvlink({4, 8'000'000'000'000ULL, Time::ns(150)});
  Recorder late_rec(late.simulator);
  const std::vector<models::EndpointId> pair{5, 7};
  for (const models::EndpointId g : pair) {
    late.network.post_group_reduce(g, pair, 3, 1'000'000, workloads::make_tag(1, 4), late_rec,
                                   20 + g);
  }
  late.simulator.run();
  CHECK(late_rec.at.at(25) == Time::ns(1650));
  CHECK(late_rec.at.at(27) == Time::ns(1650));
}

TEST_CASE("a group reduce without in-switch reduction is refused, saying why",
          "[sim_transport][group]") {
  Rig plain(fat_tree_32());
  const std::vector<models::EndpointId> gpus{0, 1};
  CHECK_THAT(plain.network.group_reduce_problem(gpus),
             Catch::Contains("no NVLink domain, so there is no in-switch reduction"));
  Recorder rec(plain.simulator);
  CHECK_THROWS_WITH(plain.network.post_group_reduce(0, gpus, 0, 64, 0, rec, 1),
                    Catch::Contains("group reduce"));
  Rig fluid(fat_tree_32());
  fluid.network.set_nvlink({4, 8'000'000'000'000ULL, Time::ns(150)});
  CHECK(fluid.network.group_reduce_problem(gpus).empty());
  const std::vector<models::EndpointId> across{2, 5};
  CHECK_THAT(fluid.network.group_reduce_problem(across),
             Catch::Contains("GPUs 2 and 5 are not in one NVLink domain (of 4 GPUs)"));
  Rig domain(hgx8());
  const std::vector<models::EndpointId> part{0, 1, 2};
  CHECK_THAT(domain.network.group_reduce_problem(part),
             Catch::Contains("3 of the 8 GPUs of NVLink domain 0") &&
                 Catch::Contains("takes every GPU of its domain"));
  CHECK(domain.network.group_reduce_problem(first_gpus(8)).empty());
  // The schedule-level check names the algorithm and the ranks.
  workloads::SimGroup group(plain.network, first_gpus(4));
  CHECK_THAT(group.group_reduce_problem(allreduce("nvls", 4, 1024)),
             Catch::Contains("nvls all-reduce needs in-switch reduction over the GPUs of ranks "
                             "0..3 (GPUs 0..3)"));
  CHECK(group.group_reduce_problem(allreduce("ring", 4, 1024)).empty());
}

TEST_CASE("on a simulated NVLink domain nvls takes the time of Fabric::post_nvls_allreduce",
          "[sim_transport][group]") {
  constexpr std::uint64_t kBytes = 4 << 20;
  Rig direct(hgx8());
  NvlsRecorder nvls;
  direct.fabric->set_nvls_observer(&nvls);
  for (models::EndpointId g = 0; g < 8; ++g)
    direct.fabric->post_nvls_allreduce(g, kBytes, 99);
  direct.simulator.run();
  REQUIRE(nvls.count == 8);

  Rig rig(hgx8());
  const Time t = run_on_sim(rig, allreduce("nvls", 8, kBytes), first_gpus(8));
  CHECK(t == nvls.last);
  CHECK(rig.network.counters().group_reductions == 1);
  CHECK(rig.network.counters().messages == 0);
  CHECK(rig.fabric->counters().drops == 0);
  // Each member's step latency delays its part: the whole shifts by it.
  models::GpuParams gpu = Rig::zero_latency_gpu();
  gpu.step_latency = Time::us(1);
  Rig stepped(hgx8(), gpu);
  CHECK(run_on_sim(stepped, allreduce("nvls", 8, kBytes), first_gpus(8)) ==
        nvls.last + Time::us(1));
  // Several group reduces in flight (one per slice of nvls_ring on one node): slots are reused
  // and each GPU serves them in order. Each op pays a ramp and spreads its packets over the 18
  // links unevenly (128 chunks: 8 on some links, 7 on others), so it is a little slower.
  workloads::CollectiveRequest request;
  request.algorithm = "nvls_ring";
  request.nranks = 8;
  request.ranks_per_node = 8;
  request.count = kBytes / 4;
  request.slice_bytes = kBytes / 64;
  Rig sliced(hgx8());
  const Time once = run_on_sim(sliced, workloads::generate(request), first_gpus(8));
  CHECK(sliced.network.counters().group_reductions == 8);
  INFO("one op " << nvls.last.seconds() * 1e6 << " us, 8 slices " << once.seconds() * 1e6 << " us");
  CHECK(once > nvls.last);
  CHECK(once.seconds() < nvls.last.seconds() * 1.2);
}

// Model: the cost model's ring (2(n-1) alpha + 2(n-1)/n m beta + (n-1)/n m gamma) over nvls
// (alpha + m beta), with beta the NVLink payload rate per GPU and direction, gamma the GPU's
// reduction rate and alpha the time of a one-packet message across the domain.
TEST_CASE("on one NVLink domain nvls beats the ring by the factor the cost model predicts",
          "[sim_transport][group]") {
  constexpr std::uint64_t kBytes = 16 << 20;
  Rig probe(hgx8());
  Recorder rec(probe.simulator);
  probe.network.post_recv(1, 0, workloads::make_tag(0, 0), rec, 1);
  probe.network.post_send(0, 1, 4, workloads::make_tag(0, 0), rec, 2);
  probe.simulator.run();
  const double alpha = rec.at.at(1).seconds();

  Rig ring_rig(hgx8());
  const double t_ring = run_on_sim(ring_rig, allreduce("ring", 8, kBytes), first_gpus(8)).seconds();
  Rig nvls_rig(hgx8());
  const double t_nvls = run_on_sim(nvls_rig, allreduce("nvls", 8, kBytes), first_gpus(8)).seconds();

  const models::NvlinkParams& p = nvls_rig.fabric->nvlink_domain(0).params();
  const double payload =
      static_cast<double>(p.link.mtu_bytes) / (p.link.mtu_bytes + p.header_bytes);
  workloads::CostParams cost;
  cost.net.alpha_s = alpha;
  cost.net.beta_s_per_byte = 8.0 / (static_cast<double>(p.links * p.link.rate_bps) * payload);
  cost.net.gamma_s_per_byte = 8.0 / static_cast<double>(models::GpuParams{}.reduce_bandwidth_bps);
  workloads::CostQuery q;
  q.nranks = 8;
  q.bytes = kBytes;
  const double model_ring = workloads::predict_seconds(q, cost);
  q.algorithm = "nvls";
  const double model_nvls = workloads::predict_seconds(q, cost);
  INFO("ring " << t_ring * 1e6 << " us (model " << model_ring * 1e6 << "), nvls " << t_nvls * 1e6
               << " us (model " << model_nvls * 1e6 << "), alpha " << alpha * 1e9 << " ns");
  CHECK(t_nvls == Approx(model_nvls).epsilon(0.05));
  CHECK(t_ring == Approx(model_ring).epsilon(0.05));
  CHECK(t_ring / t_nvls == Approx(model_ring / model_nvls).epsilon(0.05));
  CHECK(t_ring / t_nvls > 1.6);
}

// --- The GPU-side collective model's send costs (SendCosts, workloads/nccl) ------------------

TEST_CASE("send costs: a protocol's factor stretches an NVLink transfer and its latency delays it",
          "[sim_transport][nccl]") {
  Rig rig(fat_tree_32());
  rig.network.set_nvlink({4, 8'000'000'000'000ULL, Time::ns(150)});  // 1 TB/s per direction
  Recorder rec(rig.simulator);
  workloads::SendCosts costs;
  costs.nvlink_factor = 2.0;
  costs.nvlink_latency = Time::us(3);
  costs.net_latency = Time::us(7);
  rig.network.post_recv(1, 0, workloads::make_tag(0, 0), rec, 1);
  rig.network.post_send(0, 1, 1'000'000, workloads::make_tag(0, 0), rec, 11, &costs);
  rig.network.post_recv(4, 0, workloads::make_tag(0, 0), rec, 2);  // through the NICs
  rig.network.post_send(0, 4, 4'096, workloads::make_tag(0, 0), rec, 12, &costs);
  rig.network.post_recv(4, 0, workloads::make_tag(1, 0), rec, 3);  // the same, ideal
  rig.network.post_send(0, 4, 4'096, workloads::make_tag(1, 0), rec, 13);
  rig.simulator.run();
  // 3 us latency, then 2 MB of link time at 1 TB/s, then the 150 ns hop.
  CHECK(rec.at.at(1) == Time::ns(3000 + 2000 + 150));
  // The network send started 7 us after the ideal one was posted.
  CHECK(rec.at.at(2) - rec.at.at(3) >= Time::us(7) - Time::ns(400));
  CHECK(rec.at.at(2) > Time::us(7));
}

TEST_CASE("fluid NVLink: all-to-all traffic gets the full per-GPU rate (no serialisation)",
          "[sim_transport][nccl]") {
  Rig rig(fat_tree_32());
  rig.network.set_nvlink({8, 8'000'000'000'000ULL, Time::zero()});  // 1 TB/s per direction
  Recorder rec(rig.simulator);
  // Every GPU of the domain sends 1 MB to each other one, in the order direct all-to-all does.
  std::uint64_t cookie = 0;
  for (models::EndpointId k = 1; k < 8; ++k) {
    for (models::EndpointId s = 0; s < 8; ++s) {
      const models::EndpointId d = (s + k) % 8;
      rig.network.post_recv(d, s, workloads::make_tag(0, 0), rec, ++cookie);
      rig.network.post_send(s, d, 1'000'000, workloads::make_tag(0, 0), rec, 1000 + cookie);
    }
  }
  rig.simulator.run();
  Time last = Time::zero();
  for (const auto& [c, t] : rec.at)
    last = std::max(last, t);
  // Each GPU sends and receives 7 MB at 1 TB/s: 7 us, as a non-blocking NVSwitch allows.
  CHECK(last == Time::us(7));
}

TEST_CASE("send costs: an in-switch all-reduce moves S (n+1)/n per member, times the factor",
          "[sim_transport][nccl][group]") {
  Rig rig(fat_tree_32());
  rig.network.set_nvlink({4, 8'000'000'000'000ULL, Time::zero()});  // 1 TB/s per direction
  Recorder rec(rig.simulator);
  const std::vector<models::EndpointId> gpus{0, 1, 2, 3};
  for (const models::EndpointId g : gpus)
    rig.network.post_group_reduce(g, gpus, 0, 4'000'000, workloads::make_tag(0, 0), rec, g,
                                  2.0 * 5.0 / 4.0);
  rig.simulator.run();
  // 4 MB x 5/4 x 2 = 10 MB at 1 TB/s.
  for (const models::EndpointId g : gpus)
    CHECK(rec.at.at(g) == Time::us(10));
}
