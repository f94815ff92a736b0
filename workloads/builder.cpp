// Instance builder and the merge of instances into one Schedule.
#include "workloads/builder.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

namespace fabricsim::workloads {

InstanceBuilder::InstanceBuilder(std::int32_t nranks, std::uint16_t channel,
                                 std::vector<std::uint64_t>& scratch_used, std::int32_t only_rank,
                                 std::vector<std::vector<std::int32_t>>* groups)
    : nranks_(nranks),
      only_rank_(only_rank),
      base_channel_(channel),
      channel_(channel),
      scratch_used_(&scratch_used),
      groups_(groups),
      programs_(static_cast<std::size_t>(nranks)) {}

OpIndex InstanceBuilder::add(std::int32_t rank, Op op, const DepList& deps) {
  if (only_rank_ >= 0 && rank != only_rank_) return 0;  // not kept; indices unused
  Program& program = programs_.at(static_cast<std::size_t>(rank));
  const auto index = static_cast<OpIndex>(program.ops.size());
  for (OpIndex d : deps) {
    if (d >= index) throw std::logic_error("algorithm emitted a forward dependency");
  }
  op.channel = channel_;
  op.deps_begin = static_cast<std::uint32_t>(program.deps.size());
  op.deps_count = static_cast<std::uint32_t>(deps.size());
  program.deps.insert(program.deps.end(), deps.begin(), deps.end());
  program.ops.push_back(op);
  return index;
}

OpIndex InstanceBuilder::send(std::int32_t rank, std::int32_t to, Loc src, std::uint64_t count,
                              const DepList& deps) {
  Op op;
  op.kind = OpKind::kSend;
  op.peer = to;
  op.src = src;
  op.count = count;
  return add(rank, op, deps);
}

OpIndex InstanceBuilder::recv(std::int32_t rank, std::int32_t from, Loc dst, std::uint64_t count,
                              const DepList& deps) {
  Op op;
  op.kind = OpKind::kRecv;
  op.peer = from;
  op.dst = dst;
  op.count = count;
  return add(rank, op, deps);
}

OpIndex InstanceBuilder::recv_reduce(std::int32_t rank, std::int32_t from, Loc dst, Loc src,
                                     std::uint64_t count, const DepList& deps) {
  Op op;
  op.kind = OpKind::kRecvReduce;
  op.peer = from;
  op.dst = dst;
  op.src = src;
  op.stage = scratch(rank, count);
  op.count = count;
  return add(rank, op, deps);
}

OpIndex InstanceBuilder::recv_reduce_send(std::int32_t rank, std::int32_t from, std::int32_t to,
                                          Loc dst, Loc src, std::uint64_t count,
                                          const DepList& deps) {
  Op op;
  op.kind = OpKind::kRecvReduceSend;
  op.peer = from;
  op.send_peer = to;
  op.dst = dst;
  op.src = src;
  op.stage = scratch(rank, count);
  op.count = count;
  return add(rank, op, deps);
}

OpIndex InstanceBuilder::recv_copy_send(std::int32_t rank, std::int32_t from, std::int32_t to,
                                        Loc dst, std::uint64_t count, const DepList& deps) {
  Op op;
  op.kind = OpKind::kRecvCopySend;
  op.peer = from;
  op.send_peer = to;
  op.dst = dst;
  op.count = count;
  return add(rank, op, deps);
}

OpIndex InstanceBuilder::copy(std::int32_t rank, Loc dst, Loc src, std::uint64_t count,
                              const DepList& deps) {
  Op op;
  op.kind = OpKind::kCopy;
  op.dst = dst;
  op.src = src;
  op.count = count;
  return add(rank, op, deps);
}

OpIndex InstanceBuilder::reduce(std::int32_t rank, Loc dst, Loc src, Loc operand,
                                std::uint64_t count, const DepList& deps) {
  Op op;
  op.kind = OpKind::kReduce;
  op.dst = dst;
  op.src = src;
  op.stage = operand;
  op.count = count;
  return add(rank, op, deps);
}

std::uint32_t InstanceBuilder::group(const std::vector<std::int32_t>& members) {
  if (groups_ == nullptr) throw std::logic_error("algorithm uses groups but has no group table");
  const auto it = std::find(groups_->begin(), groups_->end(), members);
  if (it != groups_->end()) return static_cast<std::uint32_t>(it - groups_->begin());
  groups_->push_back(members);
  return static_cast<std::uint32_t>(groups_->size() - 1);
}

OpIndex InstanceBuilder::group_allreduce(std::int32_t rank, std::uint32_t group, Loc dst, Loc src,
                                         std::uint64_t count, const DepList& deps) {
  Op op;
  op.kind = OpKind::kGroupAllReduce;
  op.peer = static_cast<std::int32_t>(group);
  op.dst = dst;
  op.src = src;
  op.count = count;
  return add(rank, op, deps);
}

Loc InstanceBuilder::scratch(std::int32_t rank, std::uint64_t count) {
  std::uint64_t& used = scratch_used_->at(static_cast<std::size_t>(rank));
  const Loc loc{BufferId::kScratch, used};
  used += count;
  return loc;
}

OpIndex InstanceBuilder::next_index(std::int32_t rank) const {
  return static_cast<OpIndex>(programs_.at(static_cast<std::size_t>(rank)).ops.size());
}

DepList InstanceBuilder::all_ops(std::int32_t rank) const {
  return ops_since(rank, 0);
}

DepList InstanceBuilder::ops_since(std::int32_t rank, OpIndex first) const {
  DepList deps;
  for (OpIndex i = first; i < next_index(rank); ++i)
    deps.push_back(i);
  return deps;
}

namespace {

constexpr std::uint32_t kDropped = 0xffffffffu;

// Per rank: merges instance programs round-robin, drops empty ops, fills deps.
void merge_rank(const std::vector<InstanceBuilder>& instances, std::size_t rank, RankProgram& out) {
  std::size_t longest = 0;
  std::size_t total = 0;
  for (const InstanceBuilder& inst : instances) {
    longest = std::max(longest, inst.programs()[rank].ops.size());
    total += inst.programs()[rank].ops.size();
  }
  out.ops.reserve(total);  // exact unless zero-size ops are dropped
  // global[i][k]: final index of instance i's op k, or kDropped; resolved[i][k]: for a dropped
  // op, the final ops it stood for as a dependency.
  std::vector<std::vector<std::uint32_t>> global(instances.size());
  std::vector<std::vector<DepList>> resolved(instances.size());
  for (std::size_t i = 0; i < instances.size(); ++i) {
    global[i].assign(instances[i].programs()[rank].ops.size(), kDropped);
    resolved[i].resize(instances[i].programs()[rank].ops.size());
  }
  DepList deps;
  for (std::size_t k = 0; k < longest; ++k) {
    for (std::size_t i = 0; i < instances.size(); ++i) {
      const InstanceBuilder::Program& program = instances[i].programs()[rank];
      if (k >= program.ops.size()) continue;
      deps.clear();
      const Op& local = program.ops[k];
      for (std::uint32_t e = 0; e < local.deps_count; ++e) {
        const OpIndex d = program.deps[local.deps_begin + e];
        if (global[i][d] != kDropped) {
          deps.push_back(global[i][d]);
        } else {
          deps.insert(deps.end(), resolved[i][d].begin(), resolved[i][d].end());
        }
      }
      std::sort(deps.begin(), deps.end());
      deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
      if (program.ops[k].count == 0) {
        resolved[i][k] = deps;
        continue;
      }
      Op op = program.ops[k];
      op.deps_begin = static_cast<std::uint32_t>(out.deps.size());
      op.deps_count = static_cast<std::uint32_t>(deps.size());
      out.deps.insert(out.deps.end(), deps.begin(), deps.end());
      global[i][k] = static_cast<std::uint32_t>(out.ops.size());
      out.ops.push_back(op);
    }
  }
  // Every rank's program stays alive for the whole run: no growth slack (~30% of a
  // Schedule's bytes otherwise).
  out.ops.shrink_to_fit();
  out.deps.shrink_to_fit();
}

void assign_tags(RankProgram& program) {
  // Sequence numbers must fit the tag's 32-bit field.
  constexpr std::uint64_t kMaxSequence = std::uint64_t{1} << kTagSequenceBits;
  std::unordered_map<std::uint64_t, std::uint64_t> send_seq;
  std::unordered_map<std::uint64_t, std::uint64_t> recv_seq;
  std::unordered_map<std::uint64_t, std::uint64_t> group_seq;
  auto key = [](std::int32_t peer, std::uint16_t channel) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(peer)) << 16) | channel;
  };
  for (Op& op : program.ops) {
    if (has_recv(op.kind)) {
      const std::uint64_t seq = recv_seq[key(op.peer, op.channel)]++;
      if (seq >= kMaxSequence) throw std::length_error("more than 2^32 messages between a pair");
      op.recv_tag = make_tag(op.channel, seq);
    }
    if (has_send(op.kind)) {
      const std::uint64_t seq = send_seq[key(send_target(op), op.channel)]++;
      if (seq >= kMaxSequence) throw std::length_error("more than 2^32 messages between a pair");
      op.send_tag = make_tag(op.channel, seq);
    }
    if (op.kind == OpKind::kGroupAllReduce) {
      // Numbered per (group, channel) like messages per (peer, channel): every member emits a
      // group's ops in the same order, so all derive the same tag.
      const std::uint64_t seq = group_seq[key(op.peer, op.channel)]++;
      if (seq >= kMaxSequence) throw std::length_error("more than 2^32 ops of one group");
      op.send_tag = make_tag(op.channel, seq);
    }
  }
}

}  // namespace

void assemble(Schedule& schedule, std::vector<InstanceBuilder>& instances,
              const std::vector<std::uint64_t>& scratch_used, std::int32_t only_rank) {
  schedule.ranks.assign(static_cast<std::size_t>(schedule.nranks), RankProgram{});
  for (std::size_t r = 0; r < schedule.ranks.size(); ++r) {
    RankProgram& program = schedule.ranks[r];
    buffer_counts(schedule.op, schedule.count, schedule.nranks, static_cast<std::int32_t>(r),
                  program.input_count, program.output_count);
    program.scratch_count = scratch_used[r];
    if (only_rank >= 0 && static_cast<std::size_t>(only_rank) != r) continue;
    merge_rank(instances, r, program);
    assign_tags(program);
    for (InstanceBuilder& inst : instances)
      inst.release(static_cast<std::int32_t>(r));
  }
}

}  // namespace fabricsim::workloads
