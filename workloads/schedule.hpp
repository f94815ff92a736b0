// The Schedule IR: a collective written as pure data. Per rank, an ordered program of ops on
// element ranges of that rank's input, output and scratch buffers, each op on one channel with
// dependencies on earlier ops of the same rank. Algorithms produce it; one Executor runs it
// over any Transport (simulated NICs, in-process buffers, verbs, sockets).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "workloads/types.hpp"

namespace fabricsim::workloads {

enum class OpKind : std::uint8_t {
  kSend,            // send `src` to `peer`
  kRecv,            // receive from `peer` into `dst`
  kRecvReduce,      // receive from `peer` into `stage`, then dst = src + stage
  kRecvReduceSend,  // as kRecvReduce, then send `dst` to `send_peer`
  kRecvCopySend,    // receive from `peer` into `dst`, then send `dst` to `send_peer`
  kCopy,            // dst = src (local)
  kReduce,          // dst = src + stage (local; dst may alias src)
  // Every member of rank group `group_of(op)` contributes `count` elements at src; every member
  // gets their sum at dst (dst may alias src). One op per member per group instance, matched
  // by send_tag (an in-network reduction: NVLS on an NVLink domain).
  kGroupAllReduce,
};
std::string_view to_string(OpKind kind);

// An element offset into one of the rank's buffers. Packed (9 bytes, not 16): an Op holds
// three, and a 131,072-rank Schedule holds ~12 M Ops (sizeof(Op) 96 -> 72).
struct __attribute__((packed)) Loc {
  BufferId buffer = BufferId::kInput;
  std::uint64_t offset = 0;  // in elements
};
static_assert(sizeof(Loc) == 9);

inline constexpr std::int32_t kNoPeer = -1;

struct Op {
  OpKind kind = OpKind::kSend;
  std::uint16_t channel = 0;
  std::int32_t peer = kNoPeer;       // send target (kSend), receive source (kRecv*) or the
                                     // group id (kGroupAllReduce: index into Schedule::groups)
  std::int32_t send_peer = kNoPeer;  // forward target of kRecvReduceSend / kRecvCopySend
  Loc src;                           // data read (send, copy, reduce operand)
  Loc dst;                           // data written (recv target, copy/reduce result)
  Loc stage;                         // receive staging area of kRecvReduce*, 2nd reduce operand
  std::uint64_t count = 0;           // elements moved/reduced
  std::uint64_t recv_tag = 0;        // tag of the receive part, matched with the peer's send
  std::uint64_t send_tag = 0;        // tag of the send part, or of the group instance
  std::uint32_t deps_begin = 0;      // dependencies: RankProgram::deps[deps_begin, +deps_count)
  std::uint32_t deps_count = 0;
};
static_assert(sizeof(Op) == 72, "keep Op compact: the largest item of a large run's memory");

inline bool has_recv(OpKind k) {
  return k == OpKind::kRecv || k == OpKind::kRecvReduce || k == OpKind::kRecvReduceSend ||
         k == OpKind::kRecvCopySend;
}
inline bool has_send(OpKind k) {
  return k == OpKind::kSend || k == OpKind::kRecvReduceSend || k == OpKind::kRecvCopySend;
}
// The rank group of a kGroupAllReduce (an index into Schedule::groups).
inline std::uint32_t group_of(const Op& op) {
  return static_cast<std::uint32_t>(op.peer);
}
// The peer the send part of an op goes to.
inline std::int32_t send_target(const Op& op) {
  return op.kind == OpKind::kSend ? op.peer : op.send_peer;
}

struct RankProgram {
  std::vector<Op> ops;
  std::vector<std::uint32_t> deps;  // indices of earlier ops of this rank
  std::uint64_t input_count = 0;    // elements the caller provides
  std::uint64_t output_count = 0;
  std::uint64_t scratch_count = 0;  // elements of scratch the executor's caller must provide
};

// Tags: unique per (src, dst) pair (per group for kGroupAllReduce, numbered like messages); derived
// from the channel and the sequence number of the message among all messages src sends dst on that
// channel, in program order. Both ends compute the same value, so a transport can match by (src,
// dst, tag) or, per channel, FIFO. Layout: channel (16 bits) | tag space (16 bits) | sequence (32
// bits). Schedules carry tag space 0; an Executor adds its own (set_tag_space) so that collectives
// running at the same time between the same ranks never match each other's messages.
inline constexpr int kTagSequenceBits = 32;
inline constexpr int kTagSpaceShift = 32;
inline constexpr int kTagChannelShift = 48;
inline std::uint64_t make_tag(std::uint32_t channel, std::uint64_t sequence) {
  return (static_cast<std::uint64_t>(channel) << kTagChannelShift) | sequence;
}
inline std::uint64_t with_tag_space(std::uint64_t tag, std::uint16_t space) {
  return tag | (static_cast<std::uint64_t>(space) << kTagSpaceShift);
}
inline std::uint32_t tag_channel(std::uint64_t tag) {
  return static_cast<std::uint32_t>(tag >> kTagChannelShift);
}
inline std::uint16_t tag_space(std::uint64_t tag) {
  return static_cast<std::uint16_t>(tag >> kTagSpaceShift);
}
inline std::uint64_t tag_sequence(std::uint64_t tag) {
  return tag & ((std::uint64_t{1} << kTagSequenceBits) - 1);
}

struct Schedule {
  CollectiveOp op = CollectiveOp::kAllReduce;
  std::string algorithm;
  std::int32_t nranks = 1;
  std::uint64_t count = 0;  // element count; meaning per op in buffer_counts()
  DataType dtype = DataType::kFloat32;
  ReduceOp reduce_op = ReduceOp::kSum;
  std::uint32_t channels = 1;
  std::uint64_t slice_bytes = 0;  // 0: no pipelining
  std::int32_t root = 0;
  std::int32_t ranks_per_node = 1;
  std::vector<RankProgram> ranks;
  // Rank groups of kGroupAllReduce ops: each a list of at least two distinct ranks, ascending.
  std::vector<std::vector<std::int32_t>> groups;
  // The algorithm reduces inside switches (NVLS): with no group it would silently be another
  // algorithm, so a transport without in-switch reduction for its groups refuses it.
  bool reduces_in_switch = false;

  std::uint64_t element_size() const { return dtype_size(dtype); }
  std::uint64_t total_ops() const;
};

// Input/output element counts of `rank` for a collective of `count` elements:
//   allreduce, broadcast, reduce, sendrecv: input = output = count
//   reduce_scatter: input = count, output = rank's chunk (split_range(count, n, rank))
//   allgather: input = rank's chunk, output = count
//   alltoall: count elements per (src, dst) pair; input = output = n * count
Range input_chunk(std::uint64_t count, std::int32_t nranks, std::int32_t rank);
void buffer_counts(CollectiveOp op, std::uint64_t count, std::int32_t nranks, std::int32_t rank,
                   std::uint64_t& input_count, std::uint64_t& output_count);

// The payload size used for algbw/busbw (nccl-tests): the larger of input/output per rank.
std::uint64_t collective_bytes(const Schedule& schedule);
// What a collective_bytes() size is counted in: one element, or for all-to-all one element per
// rank (its size is the whole per-rank vector). The element count of a size is size / unit.
std::uint64_t size_unit_bytes(CollectiveOp op, DataType dtype, std::int32_t nranks);

// Readable JSON: header fields plus, per rank, buffer sizes and one object per op.
nlohmann::json to_json(const Schedule& schedule);

// Structural checks: every send has exactly one recv at its peer with the same tag and count
// (and vice versa), every group instance (group, tag) has exactly one op on each member and
// none elsewhere, all of one count, deps point backwards, peers and groups are valid, ranges
// stay inside the buffers.
// Returns the problems found (empty when valid).
std::vector<std::string> validate(const Schedule& schedule);
// Throws std::invalid_argument listing the first problems.
void validate_or_throw(const Schedule& schedule);

}  // namespace fabricsim::workloads
