// The table of algorithms and generate(): splits the data into channels x slices pieces, has
// the algorithm write one instance per piece and assembles them into a Schedule.
#include "workloads/algorithms/registry.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string_view>

#include "workloads/algorithms/common.hpp"

namespace fabricsim::workloads {

namespace {

using algorithms::InstanceSpec;
using BuildFn = void (*)(InstanceBuilder&, const InstanceSpec&);

// How the largest message of an algorithm relates to the data of one channel, to choose the
// number of slices: per_rank = data / n, half = data / 2, whole = data, node_half = data /
// ranks_per_node / 2 (a tree's half of a rank's shard in a hierarchical algorithm); unsliced:
// one piece per channel whatever the slice size (an in-switch all-reduce pipelines by itself,
// packet by packet, and each extra op only adds a ramp).
enum class MessageSize { kPerRank, kHalf, kWhole, kNodeHalf, kUnsliced };

struct AlgorithmEntry {
  CollectiveOp op;
  const char* name;
  BuildFn build;
  MessageSize message;
  const char* summary;
  std::uint16_t subchannels = 1;   // schedule channels per requested channel
  bool reduces_in_switch = false;  // built on group all-reduces (Schedule::reduces_in_switch)
};

constexpr std::uint32_t kMaxSlicesPerChannel = 4096;

const AlgorithmEntry kAlgorithms[] = {
    {CollectiveOp::kAllReduce, "ring", algorithms::allreduce_ring, MessageSize::kPerRank,
     "reduce-scatter then all-gather around one ring; 2(n-1) steps of data/n"},
    {CollectiveOp::kAllReduce, "double_binary_tree", algorithms::allreduce_double_binary_tree,
     MessageSize::kHalf,
     "two complementary binary trees, each reducing up and broadcasting down half the data "
     "on its own channel",
     2},
    {CollectiveOp::kAllReduce, "halving_doubling", algorithms::allreduce_halving_doubling,
     MessageSize::kPerRank,
     "Rabenseifner: recursive-halving reduce-scatter + recursive-doubling all-gather, with "
     "fold-in of the ranks beyond a power of two"},
    {CollectiveOp::kAllReduce, "hierarchical", algorithms::allreduce_hierarchical,
     MessageSize::kPerRank,
     "reduce-scatter inside each node of ranks_per_node ranks, a ring per rail across nodes, "
     "all-gather inside the node"},
    {CollectiveOp::kAllReduce, "hierarchical_tree", algorithms::allreduce_hierarchical_tree,
     MessageSize::kNodeHalf,
     "reduce-scatter inside each node of ranks_per_node ranks, a double binary tree per rail "
     "across nodes (each tree half the rank's shard, on its own channel), all-gather inside "
     "the node",
     2},
    {CollectiveOp::kAllReduce, "direct", algorithms::allreduce_direct, MessageSize::kPerRank,
     "one shot: chunks to their owners, owners reduce, owners send the result to all"},
    {CollectiveOp::kAllReduce, "nvls", algorithms::allreduce_nvls, MessageSize::kUnsliced,
     "one in-switch (NVLS) all-reduce over every rank: needs the ranks to be exactly one NVLink "
     "domain with in-switch reduction",
     1, true},
    {CollectiveOp::kAllReduce, "nvls_ring", algorithms::allreduce_nvls_ring, MessageSize::kPerRank,
     "in-switch (NVLS) all-reduce inside each node of ranks_per_node ranks, a ring per rail "
     "across nodes on 1/ranks_per_node of the data, ring all-gather inside the node",
     1, true},
    {CollectiveOp::kReduceScatter, "ring", algorithms::reduce_scatter_ring, MessageSize::kPerRank,
     "n-1 steps around one ring"},
    {CollectiveOp::kReduceScatter, "direct", algorithms::reduce_scatter_direct,
     MessageSize::kPerRank, "every rank sends each owner its chunk at once"},
    {CollectiveOp::kReduceScatter, "halving_doubling", algorithms::reduce_scatter_halving,
     MessageSize::kPerRank, "recursive halving with fold-in for non powers of two"},
    {CollectiveOp::kAllGather, "ring", algorithms::allgather_ring, MessageSize::kPerRank,
     "n-1 steps around one ring"},
    {CollectiveOp::kAllGather, "direct", algorithms::allgather_direct, MessageSize::kPerRank,
     "every rank sends its chunk to all at once"},
    {CollectiveOp::kAllGather, "halving_doubling", algorithms::allgather_doubling,
     MessageSize::kPerRank, "recursive doubling with fold-in for non powers of two"},
    {CollectiveOp::kAllToAll, "direct", algorithms::alltoall_direct, MessageSize::kWhole,
     "all n-1 pairs at once"},
    {CollectiveOp::kAllToAll, "pairwise", algorithms::alltoall_pairwise, MessageSize::kWhole,
     "n-1 steps, step k sends to rank+k and receives from rank-k"},
    {CollectiveOp::kAllToAll, "bruck", algorithms::alltoall_bruck, MessageSize::kWhole,
     "ceil(log2 n) steps of combined blocks (small messages)"},
    {CollectiveOp::kBroadcast, "ring", algorithms::broadcast_chain, MessageSize::kWhole,
     "pipelined chain root -> root+1 -> ..."},
    {CollectiveOp::kBroadcast, "binomial", algorithms::broadcast_binomial, MessageSize::kWhole,
     "binomial tree, ceil(log2 n) rounds"},
    {CollectiveOp::kReduce, "ring", algorithms::reduce_chain, MessageSize::kWhole,
     "pipelined chain ending at the root"},
    {CollectiveOp::kReduce, "binomial", algorithms::reduce_binomial, MessageSize::kWhole,
     "binomial tree, ceil(log2 n) rounds"},
    {CollectiveOp::kSendRecv, "direct", algorithms::sendrecv_direct, MessageSize::kWhole,
     "each rank sends to rank+1 and receives from rank-1"},
};

struct Variant {
  CollectiveOp op;
  std::string name;
  std::string base;
  std::string description;
  ScheduleTransform transform;
};

std::vector<Variant>& variants() {
  static std::vector<Variant> list;
  return list;
}

const Variant* find_variant(CollectiveOp op, const std::string& name) {
  for (const Variant& v : variants()) {
    if (v.op == op && v.name == name) return &v;
  }
  return nullptr;
}

const AlgorithmEntry* find(CollectiveOp op, const std::string& name) {
  for (const AlgorithmEntry& e : kAlgorithms) {
    if (e.op == op && name == e.name) return &e;
  }
  return nullptr;
}

std::uint32_t slices_per_channel(const CollectiveRequest& req, MessageSize message) {
  if (req.slice_bytes == 0 || req.count == 0 || message == MessageSize::kUnsliced) return 1;
  const std::uint64_t per_channel = (req.count + req.channels - 1) / req.channels;
  std::uint64_t elements = per_channel;
  if (message == MessageSize::kPerRank) {
    elements = (per_channel + static_cast<std::uint64_t>(req.nranks) - 1) /
               static_cast<std::uint64_t>(req.nranks);
  } else if (message == MessageSize::kHalf) {
    elements = (per_channel + 1) / 2;
  } else if (message == MessageSize::kNodeHalf) {
    const auto local = static_cast<std::uint64_t>(std::max(1, req.ranks_per_node));
    elements = ((per_channel + local - 1) / local + 1) / 2;
  }
  const std::uint64_t bytes = elements * dtype_size(req.dtype);
  const std::uint64_t slices = (bytes + req.slice_bytes - 1) / req.slice_bytes;
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(slices, 1, kMaxSlicesPerChannel));
}

}  // namespace

std::uint64_t count_instances(const CollectiveRequest& request) {
  const Variant* v = find_variant(request.op, request.algorithm);
  const AlgorithmEntry* e = find(request.op, v != nullptr ? v->base : request.algorithm);
  if (e == nullptr || request.nranks < 1 || request.channels < 1) return 0;
  return static_cast<std::uint64_t>(request.channels) * slices_per_channel(request, e->message);
}

std::vector<std::string> list_algorithms(CollectiveOp op) {
  std::vector<std::string> names;
  for (const AlgorithmEntry& e : kAlgorithms) {
    if (e.op == op) names.emplace_back(e.name);
  }
  for (const Variant& v : variants()) {
    if (v.op == op) names.push_back(v.name);
  }
  return names;
}

void register_variant(CollectiveOp op, const std::string& name, const std::string& base,
                      const std::string& description, ScheduleTransform transform) {
  if (find(op, name) != nullptr) {
    throw std::invalid_argument("'" + name + "' is a built-in algorithm of " +
                                std::string(to_string(op)));
  }
  if (find(op, base) == nullptr) {
    throw std::invalid_argument("variant '" + name + "': no built-in algorithm '" + base +
                                "' for " + std::string(to_string(op)));
  }
  for (Variant& v : variants()) {
    if (v.op == op && v.name == name) {
      v = Variant{op, name, base, description, transform};
      return;
    }
  }
  variants().push_back(Variant{op, name, base, description, transform});
}

std::string describe_algorithm(CollectiveOp op, const std::string& algorithm) {
  const AlgorithmEntry* e = find(op, algorithm);
  if (e != nullptr) return e->summary;
  const Variant* v = find_variant(op, algorithm);
  return v != nullptr ? v->description + " (a variant of " + v->base + ")" : "";
}

namespace {

// How the ops one rank emits in one instance grow with the ranks (estimate_schedule_bytes).
enum class Growth { kConstant, kLog, kLinear, kLinearLog, kPerNodeAndNodes, kPerNodeAndLogNodes };

Growth growth_of(CollectiveOp op, std::string_view name) {
  if (name == "bruck") return Growth::kLinearLog;  // log2 n rounds, each packing n/2 blocks
  if (name == "double_binary_tree" || name == "halving_doubling" || name == "binomial") {
    return Growth::kLog;
  }
  if (name == "hierarchical_tree") return Growth::kPerNodeAndLogNodes;  // trees across nodes
  if (name == "hierarchical" || name == "nvls_ring") {
    return Growth::kPerNodeAndNodes;
  }
  if (name == "nvls" || op == CollectiveOp::kSendRecv ||
      (name == "ring" && (op == CollectiveOp::kBroadcast || op == CollectiveOp::kReduce))) {
    return Growth::kConstant;  // an in-switch reduction, a chain, one transfer
  }
  return Growth::kLinear;  // rings, direct and pairwise exchanges
}

}  // namespace

std::uint64_t ops_per_rank_bound(const CollectiveRequest& req) {
  const Variant* v = find_variant(req.op, req.algorithm);
  const std::string_view name = v != nullptr ? std::string_view(v->base) : req.algorithm;
  const auto n = static_cast<std::uint64_t>(std::max(req.nranks, 1));
  std::uint64_t steps = 1;
  switch (growth_of(req.op, name)) {
    case Growth::kConstant:
      steps = 1;
      break;
    case Growth::kLog:
      steps = static_cast<std::uint64_t>(std::bit_width(n));  // ceil(log2 n) + 1 at most
      break;
    case Growth::kLinear:
      steps = n;
      break;
    case Growth::kLinearLog:
      steps = n * static_cast<std::uint64_t>(std::bit_width(n));
      break;
    case Growth::kPerNodeAndNodes: {
      const auto local = static_cast<std::uint64_t>(std::max(req.ranks_per_node, 1));
      steps = local + n / local;
      break;
    }
    case Growth::kPerNodeAndLogNodes: {
      const auto local = static_cast<std::uint64_t>(std::max(req.ranks_per_node, 1));
      steps = local + static_cast<std::uint64_t>(std::bit_width(n / local));
      break;
    }
  }
  // Each step sends, receives and reduces or copies; a few ops of set-up per instance.
  const std::uint64_t ops_per_step = req.op == CollectiveOp::kAllReduce && name == "direct" ? 5 : 3;
  return ops_per_step * (steps + 2);
}

// Bytes of the estimate, from the structures they count: while an instance is built it keeps
// a program per rank; the schedule a RankProgram and a scratch counter per rank (and the rank
// lists of its groups, at most one entry per rank); each op with about two dependencies, in its
// instance until assembled and then in the schedule (instances are freed as they are merged).
constexpr std::uint64_t kBytesPerInstanceRank = sizeof(InstanceBuilder::Program);
constexpr std::uint64_t kBytesPerRank =
    sizeof(RankProgram) + sizeof(std::uint64_t) + sizeof(std::int32_t);
constexpr std::uint64_t kBytesPerOp = sizeof(Op) + 2 * sizeof(OpIndex);

std::uint64_t estimate_schedule_bytes(const CollectiveRequest& req, bool one_rank) {
  const std::uint64_t pieces = count_instances(req);
  const auto n = static_cast<std::uint64_t>(std::max(req.nranks, 1));
  const auto sat_mul = [](std::uint64_t a, std::uint64_t b) {
    std::uint64_t r = 0;
    return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<std::uint64_t>::max() : r;
  };
  const auto sat_add = [](std::uint64_t a, std::uint64_t b) {
    std::uint64_t r = 0;
    return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<std::uint64_t>::max() : r;
  };
  // Every instance keeps a program per rank while it is built; the schedule a RankProgram and
  // a scratch counter per rank; each op lives in its instance and again in the schedule.
  const std::uint64_t fixed =
      sat_add(sat_mul(sat_mul(pieces, n), kBytesPerInstanceRank), sat_mul(n, kBytesPerRank));
  const std::uint64_t ranks_with_ops = one_rank ? 1 : n;
  const std::uint64_t ops = sat_mul(sat_mul(pieces, ranks_with_ops), ops_per_rank_bound(req));
  return sat_add(fixed, sat_mul(ops, kBytesPerOp + req.extra_bytes_per_op));
}

namespace {

Schedule generate_impl(const CollectiveRequest& req, std::int32_t only_rank) {
  const AlgorithmEntry* entry = find(req.op, req.algorithm);
  if (entry == nullptr) {
    std::string valid;
    for (const std::string& name : list_algorithms(req.op))
      valid += (valid.empty() ? "" : ", ") + name;
    throw std::invalid_argument("unknown algorithm '" + req.algorithm + "' for " +
                                std::string(to_string(req.op)) + "; valid: " + valid);
  }
  if (req.nranks < 1) {
    throw std::invalid_argument("nranks must be >= 1, got " + std::to_string(req.nranks));
  }
  if (req.channels < 1 || req.channels > 4096) {
    throw std::invalid_argument("channels must be in [1, 4096], got " +
                                std::to_string(req.channels));
  }
  if (req.root < 0 || req.root >= req.nranks) {
    throw std::invalid_argument("root " + std::to_string(req.root) + " outside [0, " +
                                std::to_string(req.nranks) + ")");
  }
  if ((req.algorithm == "hierarchical" || req.algorithm == "hierarchical_tree" ||
       req.algorithm == "nvls_ring") &&
      (req.ranks_per_node < 1 || req.nranks % req.ranks_per_node != 0)) {
    throw std::invalid_argument(req.algorithm + " needs ranks_per_node >= 1 dividing nranks " +
                                std::to_string(req.nranks) + ", got " +
                                std::to_string(req.ranks_per_node));
  }
  const std::uint64_t need = estimate_schedule_bytes(req, only_rank >= 0);
  if (req.memory_limit_bytes != 0 && need > req.memory_limit_bytes) {
    const auto gib = [](std::uint64_t bytes) {
      char text[32];
      std::snprintf(text, sizeof text, "%.3g GiB",
                    static_cast<double>(bytes) / static_cast<double>(1ULL << 30));
      return std::string(text);
    };
    throw ScheduleTooLarge(
        "the " + std::string(to_string(req.op)) + " " + req.algorithm + " schedule of " +
        std::to_string(req.nranks) + " ranks x " + std::to_string(count_instances(req)) +
        " pieces needs about " + gib(need) + ", more than the memory limit of " +
        gib(req.memory_limit_bytes) + " (--max-memory): expected fewer ranks, channels or slices");
  }
  Schedule schedule;
  schedule.op = req.op;
  schedule.algorithm = req.algorithm;
  schedule.nranks = req.nranks;
  schedule.count = req.count;
  schedule.dtype = req.dtype;
  schedule.reduce_op = req.reduce_op;
  schedule.channels = req.channels * entry->subchannels;
  schedule.reduces_in_switch = entry->reduces_in_switch;
  schedule.slice_bytes = req.slice_bytes;
  schedule.root = req.root;
  schedule.ranks_per_node = req.ranks_per_node;

  const std::uint32_t slices = slices_per_channel(req, entry->message);
  const std::uint32_t pieces = req.channels * slices;
  std::vector<std::uint64_t> scratch_used(static_cast<std::size_t>(req.nranks), 0);
  std::vector<InstanceBuilder> instances;
  instances.reserve(pieces);
  for (std::uint32_t piece = 0; piece < pieces; ++piece) {
    instances.emplace_back(req.nranks,
                           static_cast<std::uint16_t>(piece / slices * entry->subchannels),
                           scratch_used, only_rank, &schedule.groups);
    entry->build(instances.back(), InstanceSpec{&req, piece, pieces});
  }
  assemble(schedule, instances, scratch_used, only_rank);
  return schedule;
}

// A variant: the base algorithm's whole schedule, transformed (then cut to one rank).
Schedule generate_variant(const Variant& v, CollectiveRequest request, std::int32_t only_rank) {
  request.algorithm = v.base;
  Schedule schedule = generate_impl(request, -1);
  schedule.algorithm = v.name;
  v.transform(schedule);
  if (only_rank >= 0) {
    for (std::int32_t r = 0; r < schedule.nranks; ++r) {
      if (r == only_rank) continue;
      auto& program = schedule.ranks[static_cast<std::size_t>(r)];
      program.ops.clear();
      program.deps.clear();
    }
  }
  return schedule;
}

}  // namespace

Schedule generate(const CollectiveRequest& request) {
  if (const Variant* v = find_variant(request.op, request.algorithm)) {
    return generate_variant(*v, request, -1);
  }
  return generate_impl(request, -1);
}

Schedule generate_rank(const CollectiveRequest& request, std::int32_t rank) {
  if (rank < 0 || rank >= request.nranks) {
    throw std::invalid_argument("rank " + std::to_string(rank) + " outside [0, " +
                                std::to_string(request.nranks) + ")");
  }
  if (const Variant* v = find_variant(request.op, request.algorithm)) {
    return generate_variant(*v, request, rank);
  }
  return generate_impl(request, rank);
}

}  // namespace fabricsim::workloads
