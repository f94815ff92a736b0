// The packet path end to end. The reference run (issue 3): the k=16 3-tier fat-tree of
// configs/topologies/fat_tree_k16.json (1,024 hosts, 320 switches, 100 Gb/s, 1 us, 4 KiB MTU,
// PFC on, DCQCN on), every host sending one 2 MB flow to a random permutation partner, built
// through topologies/. Plus hand-wired 2-tier leaf-spines (64 and 1,024 hosts).
// Reports packet-hops/s (items_per_second, the figure of merit), events/s, and the memory of a
// port and of a queue pair. BM_CcPerPacket times one congestion-control object's work per data
// packet (send, rate check, ACK) for DCQCN, Swift and HPCC (cc 1, 2, 3; 0 = none).
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

#include <chrono>
#include <string>

#include "models/cc/dcqcn.hpp"
#include "models/cc/factory.hpp"
#include "models/cc/hpcc.hpp"
#include "models/cc/swift.hpp"
#include "models/fabric.hpp"
#include "sim/rng.hpp"
#include "topologies/fabric_builder.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"
#include "topologies/spec.hpp"

namespace {

using namespace fabricsim;
using namespace fabricsim::models;

struct Result {
  FabricCounters counters;
  std::uint64_t events = 0;
  std::size_t ports = 0;
  std::size_t switch_bytes = 0;
  std::size_t qps = 0;
  std::size_t nic_bytes = 0;
};

// leaves x hosts_per_leaf hosts, `spines` spines; host h on leaf h / hosts_per_leaf.
// Who sends to whom: each host `flow_bytes` to a random permutation partner on another leaf
// (one QP), or split over `qps` QPs (channels) into host 0 from the hosts of the other leaves
// (an incast where every sender's QPs are cut by DCQCN and paced).
struct Traffic {
  enum class Kind { kPermutation, kIncast } kind = Kind::kPermutation;
  std::uint32_t qps = 1;      // per sending host (kIncast)
  std::uint32_t senders = 0;  // kIncast: the first `senders` hosts of leaves 1..
  std::uint64_t bytes_per_sender = 2'000'000;
  std::uint64_t dcqcn_min_rate_bps = 0;  // 0 = the default
};

Result run_leaf_spine(std::uint32_t leaves, std::uint32_t spines, std::uint32_t hosts_per_leaf,
                      std::uint64_t flow_bytes, CcAlgorithm cc, Routing routing,
                      const Traffic& traffic = Traffic{}) {
  sim::Simulator sim(1);
  Fabric f(sim);
  LinkParams link;
  SwitchParams sp;
  sp.routing = routing;
  NicParams np;
  np.cc.algorithm = cc;
  // HPCC's T for 4 links of 1 us and a 4 KiB packet each (the builder's auto rule).
  np.cc.hpcc.base_rtt = (sim::Time::us(2) + sim::serialization_time(4158, link.rate_bps)) * 4;
  if (traffic.dcqcn_min_rate_bps != 0) np.cc.dcqcn.min_rate_bps = traffic.dcqcn_min_rate_bps;
  std::vector<std::uint32_t> leaf_ids, spine_ids;
  for (std::uint32_t l = 0; l < leaves; ++l) {
    leaf_ids.push_back(f.add_switch(static_cast<std::uint16_t>(hosts_per_leaf + spines), sp, 0));
  }
  for (std::uint32_t s = 0; s < spines; ++s) {
    spine_ids.push_back(f.add_switch(static_cast<std::uint16_t>(leaves), sp, 1));
  }
  for (std::uint32_t l = 0; l < leaves; ++l) {
    for (std::uint32_t h = 0; h < hosts_per_leaf; ++h) {
      const EndpointId e = f.add_nic(np);
      f.connect(NodeRef::nic(e), 0, NodeRef::sw(leaf_ids[l]), static_cast<std::uint16_t>(h), link);
      f.set_endpoint_attachment(e, leaf_ids[l], static_cast<std::uint16_t>(h));
    }
    for (std::uint32_t s = 0; s < spines; ++s) {
      f.connect(NodeRef::sw(leaf_ids[l]), static_cast<std::uint16_t>(hosts_per_leaf + s),
                NodeRef::sw(spine_ids[s]), static_cast<std::uint16_t>(l), link);
    }
  }
  std::vector<std::uint16_t> ups(spines);
  std::iota(ups.begin(), ups.end(), static_cast<std::uint16_t>(hosts_per_leaf));
  std::vector<std::vector<std::uint16_t>> down(leaves);
  std::vector<std::uint16_t> to_leaf(leaves);
  for (std::uint32_t l = 0; l < leaves; ++l) {
    f.set_routes(leaf_ids[l], std::vector<std::uint16_t>(leaves, 0), {ups});
    down[l] = {static_cast<std::uint16_t>(l)};
    to_leaf[f.edge_index(leaf_ids[l])] = static_cast<std::uint16_t>(l);
  }
  for (const std::uint32_t s : spine_ids)
    f.set_routes(s, to_leaf, down);
  if (cc == CcAlgorithm::kHpcc) f.enable_utilization_telemetry(np.cc.hpcc.base_rtt);

  // A random permutation, then swaps until every partner sits on another leaf.
  const std::uint32_t hosts = leaves * hosts_per_leaf;
  std::vector<std::uint32_t> perm(hosts);
  std::iota(perm.begin(), perm.end(), 0U);
  sim::Rng rng(7);
  for (std::uint32_t i = hosts - 1; i > 0; --i)
    std::swap(perm[i], perm[rng.below(i + 1)]);
  const auto same_leaf = [&](std::uint32_t a, std::uint32_t b) {
    return a / hosts_per_leaf == b / hosts_per_leaf;
  };
  for (std::uint32_t i = 0; i < hosts; ++i) {
    while (same_leaf(i, perm[i])) {
      const auto j = static_cast<std::uint32_t>(rng.below(hosts));
      if (!same_leaf(i, perm[j]) && !same_leaf(j, perm[i])) std::swap(perm[i], perm[j]);
    }
  }
  if (traffic.kind == Traffic::Kind::kPermutation) {
    for (std::uint32_t i = 0; i < hosts; ++i)
      f.send_message(i, perm[i], flow_bytes, 0, i);
  } else {
    for (std::uint32_t k = 0; k < traffic.qps; ++k) {
      for (std::uint32_t i = 0; i < traffic.senders; ++i)
        f.send_message(hosts_per_leaf + i, 0, flow_bytes / traffic.qps, k, k);
    }
  }
  sim.run();

  Result r;
  r.counters = f.counters();
  r.events = sim.events_processed();
  for (std::uint32_t s = 0; s < f.switch_count(); ++s) {
    r.ports += f.switch_at(s).port_count();
    r.switch_bytes += f.switch_at(s).memory_bytes();
  }
  for (EndpointId e = 0; e < f.nic_count(); ++e)
    r.qps += f.nic(e).qp_count();
  return r;
}

void report(benchmark::State& state, std::uint32_t leaves, std::uint32_t spines,
            std::uint32_t hosts_per_leaf, const Traffic& traffic = Traffic{}) {
  const auto cc = state.range(0) == 0   ? CcAlgorithm::kNone
                  : state.range(0) == 1 ? CcAlgorithm::kDcqcn
                  : state.range(0) == 2 ? CcAlgorithm::kSwift
                                        : CcAlgorithm::kHpcc;
  const auto routing = static_cast<Routing>(state.range(1));
  const std::uint64_t flow_bytes = traffic.bytes_per_sender;
  std::uint64_t hops = 0, events = 0, runs = 0;
  Result last;
  for (auto _ : state) {
    last = run_leaf_spine(leaves, spines, hosts_per_leaf, flow_bytes, cc, routing, traffic);
    hops += last.counters.packet_hops;
    events += last.events;
    ++runs;
    const std::uint64_t senders = traffic.kind == Traffic::Kind::kPermutation
                                      ? std::uint64_t{leaves} * hosts_per_leaf
                                      : traffic.senders;
    if (last.counters.bytes_delivered != senders * flow_bytes) {
      state.SkipWithError("bytes lost");
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(hops));
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["hops_per_run"] = static_cast<double>(hops / runs);
  state.counters["events_per_hop"] = static_cast<double>(events) / static_cast<double>(hops);
  state.counters["pause_frames"] = static_cast<double>(last.counters.pfc_pause_frames);
  state.counters["ecn_marks"] = static_cast<double>(last.counters.ecn_marks);
  state.counters["drops"] = static_cast<double>(last.counters.drops);
  // Memory: a switch port (its share of the switch: port, MMU state, routes, the switch
  // itself), a QP (struct, its CC object, its hash-map entry, one message record).
  state.counters["bytes_per_switch_port"] =
      static_cast<double>(last.switch_bytes) / static_cast<double>(last.ports);
  state.counters["sizeof_Port"] = sizeof(Port);
  state.counters["sizeof_Packet"] = sizeof(Packet);
  state.counters["bytes_per_qp"] =
      static_cast<double>(sizeof(QueuePair) +
                          (cc == CcAlgorithm::kDcqcn   ? sizeof(Dcqcn)
                           : cc == CcAlgorithm::kSwift ? sizeof(Swift)
                           : cc == CcAlgorithm::kHpcc  ? sizeof(Hpcc)
                                                       : sizeof(void*)) +
                          2 * sizeof(std::uint64_t) /* hash-map entry */ + sizeof(QpMessage) +
                          QpScheduler::bytes_per_qp());
  state.counters["sizeof_Nic"] = sizeof(Nic);
  state.counters["connections"] = static_cast<double>(last.qps) / 2;  // a QP at each end
  state.counters["retransmissions"] = static_cast<double>(last.counters.retransmissions);
}

// 64 hosts: 8 leaves x 8 hosts, 8 spines (non-blocking).
void BM_LeafSpine64(benchmark::State& state) {
  report(state, 8, 8, 8);
}
// 1,024 hosts: 32 leaves x 32 hosts, 16 spines (2:1 oversubscribed at the leaves).
void BM_LeafSpine1024(benchmark::State& state) {
  report(state, 32, 16, 32);
}

// The NIC's choice among many active, paced QPs: 4 hosts of the 64-host leaf-spine send 32 MB
// each into host 0, spread over `qps` QPs per sender (range 2). DCQCN's rate floor is lowered to
// 100 Mb/s so that it, not PFC, shares the bottleneck: each QP is paced below its NIC's line rate
// and the NIC picks among many QPs of which few are ready.
void BM_LeafSpine64IncastQps(benchmark::State& state) {
  Traffic t;
  t.kind = Traffic::Kind::kIncast;
  t.qps = static_cast<std::uint32_t>(state.range(2));
  t.senders = 4;
  t.bytes_per_sender = 32'000'000;
  t.dcqcn_min_rate_bps = 100'000'000;
  report(state, 8, 8, 8, t);
}

// The reference scenario. Wall time covers the simulation only (the fabric is built before).
void BM_FatTreeK16Permutation(benchmark::State& state) {
  const std::string path =
      std::string(FABRICSIM_SOURCE_DIR) + "/configs/topologies/fat_tree_k16.json";
  const auto spec = topologies::load_topology(path);
  const auto graph = topologies::build_graph(spec);
  const auto routes = topologies::compute_routes(graph);
  std::uint64_t hops = 0, events = 0;
  FabricCounters counters;
  for (auto _ : state) {
    state.PauseTiming();
    sim::Simulator sim(1);
    auto fabric = topologies::build_fabric(graph, routes, sim);
    const std::uint32_t n = fabric->nic_count();
    std::vector<std::uint32_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0U);
    sim::Rng rng(1);
    for (std::uint32_t i = n - 1; i > 0; --i)
      std::swap(perm[i], perm[rng.below(i + 1)]);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (perm[i] == i) std::swap(perm[i], perm[(i + 1) % n]);
    }
    state.ResumeTiming();
    for (std::uint32_t i = 0; i < n; ++i)
      fabric->send_message(i, perm[i], 2'000'000, 0, i);
    sim.run();
    state.PauseTiming();
    counters = fabric->counters();
    hops += counters.packet_hops;
    events += sim.events_processed();
    if (counters.bytes_delivered != std::uint64_t{n} * 2'000'000) state.SkipWithError("bytes lost");
    fabric.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(hops));
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["hops_per_run"] = static_cast<double>(counters.packet_hops);
  state.counters["pause_frames"] = static_cast<double>(counters.pfc_pause_frames);
  state.counters["ecn_marks"] = static_cast<double>(counters.ecn_marks);
  state.counters["cnps"] = static_cast<double>(counters.cnps);
  state.counters["drops"] = static_cast<double>(counters.drops);
}
BENCHMARK(BM_FatTreeK16Permutation)->Unit(benchmark::kMillisecond)->Iterations(3);

// One QP's congestion control over a stream of data packets: on_send, rate_bps and on_ack per
// packet, with a CNP every 64th packet for DCQCN and a delay above Swift's target every 8th.
void BM_CcPerPacket(benchmark::State& state) {
  CcParams params;
  params.algorithm = state.range(0) == 1   ? CcAlgorithm::kDcqcn
                     : state.range(0) == 2 ? CcAlgorithm::kSwift
                                           : CcAlgorithm::kHpcc;
  params.hpcc.base_rtt = sim::Time::us(14);
  auto cc = make_congestion_control(params, 100'000'000'000ULL, 4096);
  sim::Time t = sim::Time::zero();
  std::uint64_t k = 0;
  for (auto _ : state) {
    t += sim::Time::ns(330);
    cc->on_send(t, 4158);
    benchmark::DoNotOptimize(cc->rate_bps(t));
    const sim::Time rtt = (k % 8 == 0) ? sim::Time::us(60) : sim::Time::us(12);
    cc->on_ack(t, 4096, {rtt, 3, 0.9});
    if (k % 64 == 0) cc->on_cnp(t);
    ++k;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CcPerPacket)->ArgNames({"cc"})->Arg(1)->Arg(2)->Arg(3);

BENCHMARK(BM_LeafSpine1024)
    ->ArgNames({"cc", "routing"})
    ->Args({1, static_cast<int>(Routing::kEcmp)})
    ->Args({2, static_cast<int>(Routing::kEcmp)})
    ->Args({3, static_cast<int>(Routing::kEcmp)})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(BM_LeafSpine64IncastQps)
    ->ArgNames({"cc", "routing", "qps"})
    ->Args({1, static_cast<int>(Routing::kEcmp), 1})
    ->Args({1, static_cast<int>(Routing::kEcmp), 16})
    ->Args({1, static_cast<int>(Routing::kEcmp), 64})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LeafSpine64)
    ->ArgNames({"cc", "routing"})
    ->Args({0, static_cast<int>(Routing::kEcmp)})
    ->Args({1, static_cast<int>(Routing::kEcmp)})
    ->Args({2, static_cast<int>(Routing::kEcmp)})
    ->Args({3, static_cast<int>(Routing::kEcmp)})
    ->Args({1, static_cast<int>(Routing::kSpray)})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
