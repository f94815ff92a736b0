// The seam between collectives and a network: a few verbs-shaped calls. An implementation
// moves bytes between ranks (simulated NICs, in-process memory, libibverbs, sockets) and
// performs local reductions and copies, reporting each completion to a listener.
//
// Ownership: the caller (the Executor's owner) keeps every region alive and unmodified until
// its completion is delivered; the transport never frees or retains them afterwards.
// Regions may have a null `data` pointer (a transport that carries no payload, such as the
// simulator): then only `bytes` matters and the transport must not touch memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "workloads/types.hpp"

namespace fabricsim::workloads {

struct MemRegion {
  std::byte* data = nullptr;  // null: size-only (no payload carried)
  std::uint64_t bytes = 0;
};

// The ranks of an in-network reduction: `id` names the group within its schedule (with the op's
// tag, it names one reduction); `members` are its ranks, ascending, the caller's rank among
// them. Not owned: the caller keeps the list alive until the completion.
struct RankGroup {
  std::uint32_t id = 0;
  std::span<const std::int32_t> members;
};

// Receives completions. A cookie is whatever the poster passed (the Executor uses its op
// index), like a verbs work-request id.
class CompletionListener {
 public:
  virtual void on_complete(std::uint64_t cookie) = 0;

 protected:
  ~CompletionListener() = default;
};

// One rank's endpoint. Posting never blocks and never delivers the completion from inside the
// post call (completions arrive later, from the transport's own progress: an event, a polled
// CQ, a FIFO), so listeners need not be re-entrant. Sends and recvs match on (src, dst, tag);
// both sides of a match have equal sizes.
class Transport {
 public:
  virtual ~Transport() = default;

  virtual std::int32_t rank() const = 0;
  virtual void post_send(std::int32_t peer, MemRegion src, std::uint64_t tag,
                         CompletionListener& listener, std::uint64_t cookie) = 0;
  virtual void post_recv(std::int32_t peer, MemRegion dst, std::uint64_t tag,
                         CompletionListener& listener, std::uint64_t cookie) = 0;
  // dst = a + b elementwise, `count` elements of `dtype`. dst may alias a or b exactly.
  virtual void post_reduce(MemRegion dst, MemRegion a, MemRegion b, std::uint64_t count,
                           DataType dtype, ReduceOp op, CompletionListener& listener,
                           std::uint64_t cookie) = 0;
  // dst = src (same size; regions do not overlap).
  virtual void post_copy(MemRegion dst, MemRegion src, CompletionListener& listener,
                         std::uint64_t cookie) = 0;
  // This rank's part of an all-reduce done by the network (in-switch, NVLS-like): every member
  // of `group` posts it with the same tag and count; when all have, dst = the sum of every
  // member's src (`count` elements of `dtype`; dst may alias src exactly) on every member, and
  // each member's completion is delivered. Transports without in-network reduction keep this
  // default, which throws std::logic_error.
  virtual void post_group_reduce(const RankGroup& group, MemRegion dst, MemRegion src,
                                 std::uint64_t count, DataType dtype, ReduceOp op,
                                 std::uint64_t tag, CompletionListener& listener,
                                 std::uint64_t cookie) {
    (void)group, (void)dst, (void)src, (void)count, (void)dtype, (void)op, (void)tag,
        (void)listener, (void)cookie;
    throw std::logic_error(
        "group reduce (in-network all-reduce) is not supported by this "
        "transport");
  }
};

}  // namespace fabricsim::workloads
