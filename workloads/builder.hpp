// Helpers algorithms use to write Schedules. An algorithm emits one "instance": the whole
// collective over one piece of the data on one channel, with op indices local to the
// instance. assemble() merges the instances of all pieces round-robin (piece k's step i sits
// next to piece k+1's step i, which pipelines slices and runs channels side by side), drops
// zero-element ops (their dependants inherit their dependencies) and assigns the tags.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/schedule.hpp"

namespace fabricsim::workloads {

using OpIndex = std::uint32_t;  // an op's index within one rank's program of an instance
using DepList = std::vector<OpIndex>;

class InstanceBuilder {
 public:
  // Op::deps_begin/deps_count index `deps` (instance-local op indices).
  struct Program {
    std::vector<Op> ops;
    std::vector<OpIndex> deps;
  };

  // scratch_used: per-rank scratch bump pointer shared by every instance of the schedule, so
  // each staging area is used by exactly one op (no reuse hazards). Not owned.
  // only_rank >= 0: keep only that rank's ops (the others are dropped as they are emitted),
  // for a process that runs a single rank.
  // groups: the schedule's rank groups, shared by every instance like scratch_used (not owned;
  // null: the algorithm uses no group ops).
  InstanceBuilder(std::int32_t nranks, std::uint16_t channel,
                  std::vector<std::uint64_t>& scratch_used, std::int32_t only_rank = -1,
                  std::vector<std::vector<std::int32_t>>* groups = nullptr);

  std::int32_t nranks() const { return nranks_; }
  // Whether `rank`'s ops are kept; algorithms may skip emitting the others (a speed-up only).
  bool keeps(std::int32_t rank) const { return only_rank_ < 0 || rank == only_rank_; }
  // Ops emitted from now on go to sub-channel k of this instance's channels (an algorithm
  // that declares several channels per instance, like one per tree of the double binary tree,
  // so that their messages never queue behind each other).
  void use_subchannel(std::uint16_t k) { channel_ = static_cast<std::uint16_t>(base_channel_ + k); }

  OpIndex send(std::int32_t rank, std::int32_t to, Loc src, std::uint64_t count,
               const DepList& deps = {});
  OpIndex recv(std::int32_t rank, std::int32_t from, Loc dst, std::uint64_t count,
               const DepList& deps = {});
  // dst = src + received; the receive lands in a fresh scratch staging area.
  OpIndex recv_reduce(std::int32_t rank, std::int32_t from, Loc dst, Loc src, std::uint64_t count,
                      const DepList& deps = {});
  OpIndex recv_reduce_send(std::int32_t rank, std::int32_t from, std::int32_t to, Loc dst, Loc src,
                           std::uint64_t count, const DepList& deps = {});
  OpIndex recv_copy_send(std::int32_t rank, std::int32_t from, std::int32_t to, Loc dst,
                         std::uint64_t count, const DepList& deps = {});
  OpIndex copy(std::int32_t rank, Loc dst, Loc src, std::uint64_t count, const DepList& deps = {});
  // dst = src + operand
  OpIndex reduce(std::int32_t rank, Loc dst, Loc src, Loc operand, std::uint64_t count,
                 const DepList& deps = {});

  // The id of the rank group `members` (at least two distinct ranks, ascending), added to the
  // schedule's groups the first time it is named.
  std::uint32_t group(const std::vector<std::int32_t>& members);
  // Member `rank` of group `group` joins an in-network all-reduce: every member's src summed
  // into every member's dst (dst may alias src). Emit it on every member, in the same order
  // relative to the group's other group ops.
  OpIndex group_allreduce(std::int32_t rank, std::uint32_t group, Loc dst, Loc src,
                          std::uint64_t count, const DepList& deps = {});

  // A fresh scratch area of `count` elements on `rank`.
  Loc scratch(std::int32_t rank, std::uint64_t count);
  // Every op emitted so far on `rank` (a phase barrier).
  DepList all_ops(std::int32_t rank) const;
  // Ops of `rank` emitted since `first` (exclusive of earlier ones).
  DepList ops_since(std::int32_t rank, OpIndex first) const;
  OpIndex next_index(std::int32_t rank) const;

  const std::vector<Program>& programs() const { return programs_; }
  // Frees one rank's programs once assembled (keeps peak memory near one copy).
  void release(std::int32_t rank) { programs_.at(static_cast<std::size_t>(rank)) = Program{}; }

 private:
  OpIndex add(std::int32_t rank, Op op, const DepList& deps);

  std::int32_t nranks_;
  std::int32_t only_rank_;
  std::uint16_t base_channel_;
  std::uint16_t channel_;
  std::vector<std::uint64_t>* scratch_used_;
  std::vector<std::vector<std::int32_t>>* groups_;
  std::vector<Program> programs_;
};

// Builds the final Schedule (header fields already set in `schedule`, ranks empty) from the
// instances, in piece order, releasing them as it goes. Fills input/output counts from
// buffer_counts().
// only_rank >= 0: only that rank's program is assembled (the others stay empty).
void assemble(Schedule& schedule, std::vector<InstanceBuilder>& instances,
              const std::vector<std::uint64_t>& scratch_used, std::int32_t only_rank = -1);

}  // namespace fabricsim::workloads
