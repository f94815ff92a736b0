// NCCL's tuning model (see tuner.hpp), after src/graph/tuning.cc of NCCL 2.30.7; the facts
// and their lines are in validation/nccl_model_facts.md. Where NCCL's numbers come from its
// topology search (channel counts, per-channel bandwidth) the search is approximated from the
// link bandwidths, as that file derives for an 8 x H100 node (marked [derived] there).
#include "workloads/nccl/tuner.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace fabricsim::workloads::nccl {

namespace {

int arch_index(std::uint32_t arch) {  // tuning.cc:263-266
  return arch >= 100 ? 3 : arch >= 90 ? 2 : arch >= 80 ? 1 : 0;
}
int nodes_index(std::int32_t nodes) {  // tuning.cc:267
  return nodes <= 2 ? nodes - 1 : 2;
}

// tuning.cc:178-211: [arch][nodes index], GB/s.
constexpr double kLlMaxBw[4][3] = {
    {39.0, 39.0, 20.4}, {87.7, 22.5, 19.0}, {141.0, 45.0, 35.0}, {282.0, 90.0, 70.0}};
constexpr double kPerChRingLl128Bw[4][3] = {
    {20.0, 20.0, 20.0}, {20.0, 20.0, 20.0}, {36.7, 36.7, 36.7}, {40.0, 40.0, 40.0}};
constexpr double kPerChTreeLl128Bw[4][3] = {
    {20.0, 20.0, 20.0}, {20.0, 20.0, 20.0}, {36.7, 36.7, 29.0}, {55.6, 31.67, 20.0}};
constexpr double kPerChTreeBw[4][3] = {
    {26.5, 18.5, 10.0}, {24.0, 23.6, 17.8}, {38.7, 41.4, 36.0}, {70.0, 42.8, 24.0}};
constexpr double kPerChNvlsTreeBw[4][3] = {
    {26.5, 18.5, 10.0}, {24.0, 23.6, 17.8}, {0.0, 57.7, 45.5}, {0.0, 96.0, 80.0}};
constexpr double kNvlsEfficiency[4] = {0.0, 0.0, 0.85, 0.74};  // tuning.cc:139-144
// treeCorrectionFactor[protocol][log2(bytes / 64)] (tuning.cc:623-627).
constexpr double kTreeCorrection[3][24] = {
    {1.0, 1.0, 1.0, 1.0, .9, .8, .7, .7,  .7,  .7,  .6,  .5,
     .4,  .4,  .5,  .6,  .7, .8, .9, 1.0, 1.0, 1.0, 1.0, 1.0},
    {1.0, 1.0, 1.0, 1.0, 1.0, .9, .8, .8, .8, .7,  .6,  .6,
     .6,  .6,  .6,  .6,  .8,  .9, .9, .9, .9, 1.0, 1.0, 1.0},
    {.9, .9, .9, .9, .9, .9, .9, .8, .7, .6, .6, .5,
     .5, .5, .5, .6, .7, .8, .7, .7, .8, .9, .9, .9}};
constexpr double kNetOverheadUs = 1.0;  // getNetOverhead on Intel x86 (tuning.cc:228-233)
// The search's channel granularity on SM80+: the intra-node speeds are multiples of 60 GB/s
// per channel pair before ncclTopoDupChannels halves them to 30 ([derived], search.cc).
constexpr double kSearchStepGBps = 60.0;
constexpr double kChannelGBps = 30.0;

int proto_column(Protocol p) {
  return p == Protocol::kLL ? 0 : p == Protocol::kLL128 ? 1 : 2;
}

std::int32_t log2i(std::int64_t v) {
  std::int32_t r = 0;
  while (v > 1) {
    v >>= 1;
    ++r;
  }
  return r;
}

struct Graph {
  double channels = 0.0;  // the search graph's nChannels
  double bw_intra = 0.0;  // per channel
  double bw_inter = 0.0;
};

// The ring / tree search graph: intra-node speed = the GPU's NVLink bandwidth rounded down to
// the search's steps, halved into channels of kChannelGBps; inter-node speed per channel
// shares the node's NICs among those channels.
Graph ring_graph(const TunerInput& in) {
  Graph g;
  const std::int32_t nodes = in.nodes();
  const double intra =
      in.ranks_per_node > 1 && in.nvlink_GBps > 0.0
          ? std::max(kChannelGBps, std::floor(in.nvlink_GBps / kSearchStepGBps) * kSearchStepGBps)
          : 0.0;
  const double node_net = in.net_GBps * in.ranks_per_node;
  if (intra > 0.0) {
    g.channels = intra / kChannelGBps;
    g.bw_intra = kChannelGBps;
    g.bw_inter = nodes > 1 ? std::min(kChannelGBps, node_net / g.channels) : kChannelGBps;
  } else {
    // One GPU per node (or no NVLink): channels over the NIC alone, two per NIC.
    const double bw = std::max(in.net_GBps, 1.0);
    g.channels = 2.0;
    g.bw_intra = bw / 2.0;
    g.bw_inter = bw / 2.0;
  }
  if (in.max_channels > 0) g.channels = std::min<double>(g.channels, in.max_channels);
  return g;
}

// The NVLS graph: one head per GPU of the node; a head pays its NVLink twice, so
// (heads + 1) x bw fits in the GPU's NVLink, in the search's 10 GB/s steps ([derived] from
// search.cc:410-443). On one node the search's second pass raises the inter speed to 1.5 x the
// intra one (40 -> 60 GB/s on 8 x H100, the facts file's worked check; one derivation, not a
// measurement); across nodes it is the NIC's.
Graph nvls_graph(const TunerInput& in) {
  Graph g;
  g.channels = std::min(in.ranks_per_node, 32);
  g.bw_intra = std::floor(in.nvlink_GBps / (g.channels + 1) / 10.0) * 10.0;
  g.bw_inter = in.nodes() > 1 ? in.net_GBps : 1.5 * g.bw_intra;
  return g;
}

bool allows(std::string_view wanted, const char* name) {
  return wanted == "auto" || wanted == name;
}

}  // namespace

NcclAlgorithm nccl_algorithm_of(CollectiveOp op, std::string_view algorithm) {
  if (op == CollectiveOp::kAllToAll || op == CollectiveOp::kSendRecv) return NcclAlgorithm::kP2p;
  if (algorithm == "nvls") return NcclAlgorithm::kNvls;
  if (algorithm == "nvls_ring") return NcclAlgorithm::kNvlsTree;
  if (algorithm == "double_binary_tree" || algorithm == "hierarchical_tree" ||
      algorithm == "binomial")
    return NcclAlgorithm::kTree;
  if (algorithm == "direct" || algorithm == "pairwise") return NcclAlgorithm::kP2p;
  return NcclAlgorithm::kRing;
}

std::vector<TunerChoice> candidates(const TunerInput& in, std::uint64_t bytes,
                                    std::string_view algorithm, std::optional<Protocol> protocol) {
  std::vector<TunerChoice> out;
  const std::int32_t n = in.nranks;
  const std::int32_t nodes = std::max(1, in.nodes());
  const std::int32_t ppn = std::max(1, in.ranks_per_node);
  const int cc = arch_index(in.arch);
  const int ni = nodes_index(nodes);
  const bool allreduce = in.op == CollectiveOp::kAllReduce;
  const bool rs_ag = in.op == CollectiveOp::kAllGather || in.op == CollectiveOp::kReduceScatter;
  const double nsteps = allreduce ? 2.0 * (n - 1) : rs_ag ? n - 1.0 : static_cast<double>(n);
  const auto size = static_cast<double>(bytes);
  const std::vector<Protocol> protos =
      protocol ? std::vector<Protocol>{*protocol}
               : std::vector<Protocol>{Protocol::kLL, Protocol::kLL128, Protocol::kSimple};
  const bool intra_nvlink = in.nvlink_GBps > 0.0;
  const HopKind intra_hop = HopKind::kNvlink;  // PCI-only nodes are not modelled here

  const auto add = [&](NcclAlgorithm a, const char* name, Protocol p, double lat, double busbw,
                       double ratio, std::uint32_t channels) {
    if (busbw <= 0.0) return;
    TunerChoice c;
    c.nccl_algorithm = a;
    c.algorithm = name;
    c.protocol = p;
    c.channels = std::max<std::uint32_t>(1, channels);
    c.latency_us = lat;
    c.busbw_GBps = busbw;
    double algbw = busbw * ratio;
    if (a == NcclAlgorithm::kTree && allreduce) {  // tuning.cc:641-645
      const std::int32_t log_size = log2i(static_cast<std::int64_t>(bytes >> 6));
      if (log_size >= 0 && log_size < 23)
        algbw *= kTreeCorrection[proto_column(p)][static_cast<std::size_t>(log_size)];
    }
    if (a == NcclAlgorithm::kRing && p == Protocol::kSimple && allreduce && nodes > 1 &&
        size / (static_cast<double>(c.channels) * n) >= 64.0) {
      lat *= in.arch < 80 ? 1.9 : 1.4;  // the ring "plateau" (tuning.cc:647-650)
      c.latency_us = lat;
    }
    c.time_us = lat + size / (1000.0 * algbw);
    out.push_back(std::move(c));
  };

  // P2P exchanges (all-to-all): every pair at once on the Simple protocol; no tuner in NCCL.
  if (in.op == CollectiveOp::kAllToAll || in.op == CollectiveOp::kSendRecv) {
    if (!allows(algorithm, "direct") && !allows(algorithm, "pairwise")) return out;
    const Protocol p = protocol.value_or(Protocol::kSimple);
    const double hop = nodes > 1 ? hop_latency_us(HopKind::kNet, NcclAlgorithm::kRing, p)
                                 : hop_latency_us(intra_hop, NcclAlgorithm::kRing, p);
    const double per_gpu =
        nodes > 1 ? std::min(in.net_GBps, in.nvlink_GBps > 0 ? in.nvlink_GBps : in.net_GBps)
                  : in.nvlink_GBps;
    add(NcclAlgorithm::kP2p, algorithm == "pairwise" ? "pairwise" : "direct", p,
        base_latency_us(NcclAlgorithm::kRing, p) + hop, per_gpu, 1.0, 1);
    return out;
  }

  // Ring: every op. On several nodes the schedule's rings follow the rails (one ring per
  // channel, entering and leaving each node on one NIC).
  const Graph ring = ring_graph(in);
  const std::uint32_t ring_channels =
      nodes > 1 ? static_cast<std::uint32_t>(ppn) : 1;  // schedule channels: one ring per rail
  if (allows(algorithm, "ring") && (intra_nvlink || ppn == 1)) {
    for (const Protocol p : protos) {
      const double bw = nodes <= 2 ? ring.bw_intra : ring.bw_inter;  // tuning.cc:306
      double busbw = ring.channels * bw;
      if (p == Protocol::kLL)
        busbw = std::min(kLlMaxBw[nodes > 1 ? 0 : cc][nodes > 1 ? ni : 0], busbw * 0.5);
      if (p == Protocol::kLL128)
        busbw = std::min(busbw * 0.92, ring.channels * kPerChRingLl128Bw[cc][ni]);
      double lat = base_latency_us(NcclAlgorithm::kRing, p);
      const double hw_intra = hop_latency_us(intra_hop, NcclAlgorithm::kRing, p);
      double inter = (ppn == 1 ? hop_latency_us(HopKind::kNet, NcclAlgorithm::kTree, p)
                               : hop_latency_us(HopKind::kNet, NcclAlgorithm::kRing, p));
      if (in.op == CollectiveOp::kBroadcast || in.op == CollectiveOp::kReduce) {
        lat += nsteps * (nodes > 1 ? inter : hw_intra);
      } else {
        const double overhead =
            nodes > 1 ? kNetOverheadUs * (p == Protocol::kSimple ? 3.0 : 1.0) : 0.0;
        const double intra_lat = std::max(hw_intra, overhead);
        const double n_inter = nodes == 1 ? 0.0 : allreduce ? 2.0 * (nodes - 1) : nodes - 1.0;
        lat += (nsteps - n_inter) * intra_lat + n_inter * inter;
      }
      const double ratio = n / nsteps;
      add(NcclAlgorithm::kRing, "ring", p, lat, busbw, ratio, ring_channels);
    }
  }
  if (!allreduce) return out;

  // Tree (all-reduce): a chain inside each node, double binary trees across nodes.
  if (allows(algorithm, nodes > 1 ? "hierarchical_tree" : "double_binary_tree") && nodes > 1) {
    for (const Protocol p : protos) {
      const double bw = nodes <= 2 ? ring.bw_intra : ring.bw_inter;
      double busbw = ring.channels * bw;
      busbw = std::min(busbw * 0.92, ring.channels * kPerChTreeBw[cc][ni]);
      if (p == Protocol::kLL) busbw = std::min(busbw / 3.8, kLlMaxBw[0][ni]);
      if (p == Protocol::kLL128)
        busbw = std::min(busbw * 120.0 / 128.0, ring.channels * kPerChTreeLl128Bw[cc][ni]);
      const double intra = hop_latency_us(intra_hop, NcclAlgorithm::kTree, p);
      const double inter = hop_latency_us(HopKind::kNet, NcclAlgorithm::kTree, p);
      const double lat = base_latency_us(NcclAlgorithm::kTree, p) +
                         2.0 * ((ppn - 1) * intra + log2i(nodes) * inter);
      add(NcclAlgorithm::kTree, "hierarchical_tree", p, lat, busbw, 0.5, 1);
    }
  }

  // NVLS (one node) and NVLS tree (several): Simple only, with in-switch reduction, on SM90
  // and later (search.cc:1124).
  if (in.nvls && in.arch >= 90 && ppn >= 2 && intra_nvlink &&
      (!protocol || *protocol == Protocol::kSimple)) {
    const Graph g = nvls_graph(in);
    if (g.channels >= 2) {
      const double intra_bw =
          g.bw_intra * kNvlsEfficiency[cc] * (g.channels - 1) / g.channels * 2.0;
      const double ratio = n / nsteps;
      if (nodes == 1 && allows(algorithm, "nvls")) {
        const double bw = std::min(intra_bw, g.bw_inter);
        add(NcclAlgorithm::kNvls, "nvls", Protocol::kSimple,
            hop_latency_us(HopKind::kNvlink, NcclAlgorithm::kNvls, Protocol::kSimple),
            g.channels * bw, ratio, 1);
      }
      if (nodes > 1 && (allows(algorithm, "nvls_ring") || algorithm == "ring")) {
        const double inter_bw = g.bw_inter * (nodes <= 2 ? 2.0 : 1.0);
        double bw = std::min(intra_bw, inter_bw);
        if (kPerChNvlsTreeBw[cc][ni] > 0.0) bw = std::min(bw, kPerChNvlsTreeBw[cc][ni]);
        const double lat =
            hop_latency_us(HopKind::kNvlink, NcclAlgorithm::kNvlsTree, Protocol::kSimple) +
            2.0 * log2i(nodes) *
                hop_latency_us(HopKind::kNet, NcclAlgorithm::kNvlsTree, Protocol::kSimple);
        // Run as the rail rings: the library has no NVLS reduce-scatter / multicast
        // all-gather schedule, and its hierarchical schedules overlap their phases too little
        // to stand in for NCCL's pipelined NVLS tree (validation/report.md).
        add(NcclAlgorithm::kNvlsTree, "ring", Protocol::kSimple, lat, g.channels * bw, ratio,
            static_cast<std::uint32_t>(ppn));
      }
    }
  }
  return out;
}

TunerChoice tune(const TunerInput& in, std::uint64_t bytes, std::string_view algorithm,
                 std::optional<Protocol> protocol) {
  const std::vector<TunerChoice> all = candidates(in, bytes, algorithm, protocol);
  if (all.empty()) {
    throw std::invalid_argument(
        "the tuner has no candidate for algorithm '" + std::string(algorithm) + "'" +
        (protocol ? std::string(" with protocol ") + to_string(*protocol) : std::string()) +
        " here (NVLS needs in-switch reduction and several GPUs per node; trees several nodes)");
  }
  const TunerChoice* best = &all.front();
  for (const TunerChoice& c : all) {
    if (c.time_us < best->time_us) best = &c;
  }
  return *best;
}

}  // namespace fabricsim::workloads::nccl
