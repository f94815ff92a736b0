// The in-process transport and its deterministic run loop.
#include "workloads/transports/local/local_fabric.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "workloads/transports/local/check.hpp"

namespace fabricsim::workloads::local {

// One rank's endpoint: forwards to the fabric, does local arithmetic immediately and queues
// the completion.
class LocalFabric::Endpoint final : public Transport {
 public:
  Endpoint(LocalFabric& fabric, std::int32_t rank) : fabric_(&fabric), rank_(rank) {}

  std::int32_t rank() const override { return rank_; }
  void post_send(std::int32_t peer, MemRegion src, std::uint64_t tag, CompletionListener& listener,
                 std::uint64_t cookie) override {
    fabric_->post_send(rank_, peer, Pending{src, &listener, cookie}, tag);
  }
  void post_recv(std::int32_t peer, MemRegion dst, std::uint64_t tag, CompletionListener& listener,
                 std::uint64_t cookie) override {
    fabric_->post_recv(peer, rank_, Pending{dst, &listener, cookie}, tag);
  }
  void post_reduce(MemRegion dst, MemRegion a, MemRegion b, std::uint64_t count, DataType dtype,
                   ReduceOp op, CompletionListener& listener, std::uint64_t cookie) override {
    if (dst.bytes != a.bytes || dst.bytes != b.bytes) {
      throw std::runtime_error("local reduce of unequal sizes");
    }
    fabric_->enqueue(Work{Work::Kind::kReduce, Pending{dst, &listener, cookie},
                          Pending{a, nullptr, 0}, b, count, dtype, op});
  }
  void post_copy(MemRegion dst, MemRegion src, CompletionListener& listener,
                 std::uint64_t cookie) override {
    if (dst.bytes != src.bytes) throw std::runtime_error("local copy of unequal sizes");
    fabric_->enqueue(Work{Work::Kind::kCopy, Pending{dst, &listener, cookie},
                          Pending{src, nullptr, 0}, MemRegion{}, 0, DataType::kFloat32,
                          ReduceOp::kSum});
  }

 private:
  LocalFabric* fabric_;
  std::int32_t rank_;
};

LocalFabric::LocalFabric(const Schedule& schedule, std::uint64_t shuffle_seed)
    : schedule_(&schedule), rng_state_(shuffle_seed) {
  validate_or_throw(schedule);
  const auto n = static_cast<std::size_t>(schedule.nranks);
  const std::uint64_t esize = schedule.element_size();
  inputs_.resize(n);
  outputs_.resize(n);
  scratch_.resize(n);
  for (std::size_t r = 0; r < n; ++r) {
    const RankProgram& program = schedule.ranks[r];
    inputs_[r].resize(program.input_count * esize);
    fill_input(schedule, static_cast<std::int32_t>(r), inputs_[r]);
    outputs_[r].assign(program.output_count * esize, kOutputSentinel);
    scratch_[r].assign(program.scratch_count * esize, std::byte{0});
  }
  for (std::size_t r = 0; r < n; ++r) {
    endpoints_.push_back(std::make_unique<Endpoint>(*this, static_cast<std::int32_t>(r)));
    executors_.push_back(std::make_unique<Executor>(
        static_cast<std::int32_t>(r), schedule, *endpoints_.back(),
        Buffers{inputs_[r].data(), outputs_[r].data(), scratch_[r].data()}, clock_));
  }
}

LocalFabric::~LocalFabric() = default;

void LocalFabric::post_send(std::int32_t src, std::int32_t dst, const Pending& send,
                            std::uint64_t tag) {
  const Key key{src, dst, tag};
  auto it = recvs_.find(key);
  if (it == recvs_.end()) {
    if (!sends_.emplace(key, send).second) {
      throw std::runtime_error("rank " + std::to_string(src) + " posted a duplicate send tag");
    }
    return;
  }
  const Pending recv = it->second;
  recvs_.erase(it);
  deliver(send, recv, key);
}

void LocalFabric::post_recv(std::int32_t src, std::int32_t dst, const Pending& recv,
                            std::uint64_t tag) {
  const Key key{src, dst, tag};
  auto it = sends_.find(key);
  if (it == sends_.end()) {
    if (!recvs_.emplace(key, recv).second) {
      throw std::runtime_error("rank " + std::to_string(dst) + " posted a duplicate recv tag");
    }
    return;
  }
  const Pending send = it->second;
  sends_.erase(it);
  deliver(send, recv, key);
}

void LocalFabric::deliver(const Pending& send, const Pending& recv, const Key& key) {
  if (send.region.bytes != recv.region.bytes) {
    throw std::runtime_error(
        "message " + std::to_string(key.src) + " -> " + std::to_string(key.dst) + " seq " +
        std::to_string(tag_sequence(key.tag)) + ": send of " + std::to_string(send.region.bytes) +
        " bytes, recv of " + std::to_string(recv.region.bytes));
  }
  ++messages_;
  enqueue(
      Work{Work::Kind::kTransfer, send, recv, MemRegion{}, 0, DataType::kFloat32, ReduceOp::kSum});
}

void LocalFabric::perform(const Work& work) {
  ++clock_.ticks;
  switch (work.kind) {
    case Work::Kind::kTransfer: {
      const MemRegion& from = work.first.region;
      const MemRegion& to = work.second.region;
      if (from.bytes > 0 && to.data != nullptr) std::memcpy(to.data, from.data, from.bytes);
      work.first.listener->on_complete(work.first.cookie);
      work.second.listener->on_complete(work.second.cookie);
      return;
    }
    case Work::Kind::kCopy: {
      const MemRegion& to = work.first.region;
      if (to.bytes > 0 && to.data != nullptr) {
        std::memcpy(to.data, work.second.region.data, to.bytes);
      }
      break;
    }
    case Work::Kind::kReduce:
      if (work.count > 0 && work.first.region.data != nullptr) {
        reduce_elements(work.first.region.data, work.second.region.data, work.third.data,
                        work.count, work.dtype, work.op);
      }
      break;
  }
  work.first.listener->on_complete(work.first.cookie);
}

void LocalFabric::run() {
  for (auto& executor : executors_)
    executor->start();
  while (head_ < work_.size()) {
    if (rng_state_ == 0) {
      const Work work = work_[head_++];
      if (head_ == work_.size()) {
        work_.clear();
        head_ = 0;
      }
      perform(work);
      continue;
    }
    // splitmix64 step, then take a random pending item (swap-remove).
    rng_state_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = rng_state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    const std::size_t pick = static_cast<std::size_t>(z % work_.size());
    const Work work = work_[pick];
    work_[pick] = work_.back();
    work_.pop_back();
    perform(work);
  }
  std::string stuck;
  std::size_t stuck_ranks = 0;
  for (const auto& executor : executors_) {
    if (executor->done()) continue;
    if (stuck_ranks < 8) {
      stuck += "\n  rank " + std::to_string(executor->rank()) + " (" +
               std::to_string(executor->ops_done()) + "/" + std::to_string(executor->ops_total()) +
               " ops done): " + executor->describe_pending(4);
    }
    ++stuck_ranks;
  }
  if (stuck_ranks > 0) {
    throw std::runtime_error(
        "deadlock in " + std::string(to_string(schedule_->op)) + "/" + schedule_->algorithm + ": " +
        std::to_string(stuck_ranks) + " rank(s) stuck, " + std::to_string(sends_.size()) +
        " unmatched send(s), " + std::to_string(recvs_.size()) + " unmatched recv(s)" + stuck);
  }
}

}  // namespace fabricsim::workloads::local
