// The local transport: every rank of a Schedule runs in one process on real buffers.
// Deterministic: sends and receives match on (src, dst, tag); a matched transfer, a copy or a
// reduction is queued as one work item and only performed (data moved, then completions
// delivered) when it leaves the queue, so an algorithm that touches a buffer before the op
// using it completed reads or writes the wrong data and fails its byte check. A group reduce
// waits until every member has posted it (a rendezvous), then is one work item that sums
// every member's source and writes every member's destination. The queue is a
// FIFO, or with a seed a seeded random order (completion order must not matter). Detects
// deadlock (nothing left to do but some rank not done) and reports the stuck ranks and ops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "workloads/executor.hpp"
#include "workloads/schedule.hpp"
#include "workloads/transport.hpp"

namespace fabricsim::workloads::local {

class LocalFabric {
 public:
  // Allocates every rank's buffers: inputs filled by fill_input(), outputs with
  // kOutputSentinel bytes, scratch zeroed. Validates the schedule (std::invalid_argument).
  // The schedule must outlive the fabric.
  // shuffle_seed 0: FIFO order; otherwise work items are performed in a random order drawn
  // from that seed.
  explicit LocalFabric(const Schedule& schedule, std::uint64_t shuffle_seed = 0);
  ~LocalFabric();
  LocalFabric(const LocalFabric&) = delete;
  LocalFabric& operator=(const LocalFabric&) = delete;

  // Runs every rank to completion. Throws std::runtime_error on deadlock or a size mismatch.
  void run();

  std::vector<std::vector<std::byte>>& inputs() { return inputs_; }
  const std::vector<std::vector<std::byte>>& outputs() const { return outputs_; }
  const Executor& executor(std::int32_t rank) const {
    return *executors_[static_cast<std::size_t>(rank)];
  }
  std::uint64_t messages() const { return messages_; }
  std::uint64_t completions() const { return clock_.ticks; }

 private:
  class Endpoint;
  struct Pending {
    MemRegion region;
    CompletionListener* listener = nullptr;
    std::uint64_t cookie = 0;
  };
  struct Key {
    std::int32_t src;
    std::int32_t dst;
    std::uint64_t tag;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      std::uint64_t h = k.tag * 0x9E3779B97F4A7C15ull;
      h ^= (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.src)) << 32) |
           static_cast<std::uint32_t>(k.dst);
      return static_cast<std::size_t>(h * 0xBF58476D1CE4E5B9ull);
    }
  };
  // A transfer (first = send, second = recv), a copy, a reduction or a group reduce (rendezvous
  // `group`) waiting to be performed.
  struct Work {
    enum class Kind : std::uint8_t { kTransfer, kCopy, kReduce, kGroupReduce } kind;
    Pending first;    // send / the local op's destination and listener
    Pending second;   // recv / copy source / reduce first operand
    MemRegion third;  // reduce second operand
    std::uint64_t count = 0;
    DataType dtype = DataType::kFloat32;
    ReduceOp op = ReduceOp::kSum;
    std::uint32_t group = 0;
  };
  // A group reduce instance (group id, tag) and what its members posted, by member position.
  struct GroupKey {
    std::uint32_t id;
    std::uint64_t tag;
    bool operator==(const GroupKey&) const = default;
  };
  struct GroupKeyHash {
    std::size_t operator()(const GroupKey& k) const {
      return static_cast<std::size_t>((k.tag ^ (std::uint64_t{k.id} << 40)) *
                                      0x9E3779B97F4A7C15ull);
    }
  };
  struct Rendezvous {
    std::vector<Pending> dst;    // per member: destination, listener, cookie
    std::vector<MemRegion> src;  // per member
    std::uint32_t posted = 0;
    std::uint64_t count = 0;
    DataType dtype = DataType::kFloat32;
    ReduceOp op = ReduceOp::kSum;
  };
  // Logical time: one tick per delivered completion.
  struct TickClock final : Clock {
    std::uint64_t ticks = 0;
    std::int64_t now_ps() const override { return static_cast<std::int64_t>(ticks); }
  };

  void post_send(std::int32_t src, std::int32_t dst, const Pending& send, std::uint64_t tag);
  void post_recv(std::int32_t src, std::int32_t dst, const Pending& recv, std::uint64_t tag);
  void deliver(const Pending& send, const Pending& recv, const Key& key);
  void post_group(std::int32_t rank, const RankGroup& group, const Pending& dst, MemRegion src,
                  std::uint64_t count, DataType dtype, ReduceOp op, std::uint64_t tag);
  void enqueue(const Work& work) { work_.push_back(work); }
  void perform_group(std::uint32_t slot);
  void perform(const Work& work);

  const Schedule* schedule_;
  TickClock clock_;
  std::vector<std::vector<std::byte>> inputs_;
  std::vector<std::vector<std::byte>> outputs_;
  std::vector<std::vector<std::byte>> scratch_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::vector<std::unique_ptr<Executor>> executors_;
  std::unordered_map<Key, Pending, KeyHash> sends_;
  std::unordered_map<Key, Pending, KeyHash> recvs_;
  std::unordered_map<GroupKey, std::uint32_t, GroupKeyHash> open_groups_;  // -> rendezvous_
  std::vector<Rendezvous> rendezvous_;
  std::vector<std::uint32_t> free_rendezvous_;
  std::vector<std::byte> sum_;  // a group reduce's result before it is written to the members
  std::vector<Pending> done_;   // a group reduce's completions being delivered
  std::vector<Work> work_;
  std::size_t head_ = 0;  // FIFO position
  std::uint64_t rng_state_;
  std::uint64_t messages_ = 0;
};

}  // namespace fabricsim::workloads::local
