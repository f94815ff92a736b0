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
    if (dst.data != nullptr && count > 0)
      reduce_elements(dst.data, a.data, b.data, count, dtype, op);
    fabric_->complete(listener, cookie);
  }
  void post_copy(MemRegion dst, MemRegion src, CompletionListener& listener,
                 std::uint64_t cookie) override {
    if (dst.bytes != src.bytes) throw std::runtime_error("local copy of unequal sizes");
    if (dst.data != nullptr && dst.bytes > 0) std::memcpy(dst.data, src.data, dst.bytes);
    fabric_->complete(listener, cookie);
  }

 private:
  LocalFabric* fabric_;
  std::int32_t rank_;
};

LocalFabric::LocalFabric(const Schedule& schedule) : schedule_(&schedule) {
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
  if (send.region.bytes > 0 && recv.region.data != nullptr) {
    std::memcpy(recv.region.data, send.region.data, send.region.bytes);
  }
  ++messages_;
  complete(*send.listener, send.cookie);
  complete(*recv.listener, recv.cookie);
}

void LocalFabric::run() {
  for (auto& executor : executors_)
    executor->start();
  while (!fifo_.empty()) {
    const Completion c = fifo_.front();
    fifo_.pop_front();
    ++clock_.ticks;
    c.listener->on_complete(c.cookie);
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
