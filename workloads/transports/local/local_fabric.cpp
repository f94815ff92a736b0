// The in-process transport and its deterministic run loop.
#include "workloads/transports/local/local_fabric.hpp"

#include <algorithm>
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
  void post_group_reduce(const RankGroup& group, MemRegion dst, MemRegion src, std::uint64_t count,
                         DataType dtype, ReduceOp op, std::uint64_t tag,
                         CompletionListener& listener, std::uint64_t cookie) override {
    fabric_->post_group(rank_, group, Pending{dst, &listener, cookie}, src, count, dtype, op, tag);
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

void LocalFabric::post_group(std::int32_t rank, const RankGroup& group, const Pending& dst,
                             MemRegion src, std::uint64_t count, DataType dtype, ReduceOp op,
                             std::uint64_t tag) {
  const std::string what = "group " + std::to_string(group.id) + " seq " +
                           std::to_string(tag_sequence(tag)) + ": rank " + std::to_string(rank);
  if (dst.region.bytes != src.bytes) throw std::runtime_error(what + ": dst and src sizes differ");
  const auto at = std::lower_bound(group.members.begin(), group.members.end(), rank);
  if (at == group.members.end() || *at != rank) {
    throw std::runtime_error(what + " is not a member of the group");
  }
  const auto position = static_cast<std::size_t>(at - group.members.begin());
  auto [it, inserted] = open_groups_.try_emplace(GroupKey{group.id, tag}, 0);
  if (inserted) {
    if (free_rendezvous_.empty()) {
      it->second = static_cast<std::uint32_t>(rendezvous_.size());
      rendezvous_.emplace_back();
    } else {
      it->second = free_rendezvous_.back();
      free_rendezvous_.pop_back();
    }
    Rendezvous& r = rendezvous_[it->second];
    r.dst.assign(group.members.size(), Pending{});
    r.src.assign(group.members.size(), MemRegion{});
    r.posted = 0;
    r.count = count;
    r.dtype = dtype;
    r.op = op;
  }
  const std::uint32_t slot = it->second;
  Rendezvous& r = rendezvous_[slot];
  if (r.dst.size() != group.members.size() || r.count != count || r.dtype != dtype) {
    throw std::runtime_error(what + " posted " + std::to_string(count) + " elements of " +
                             std::string(to_string(dtype)) + "; the first member posted " +
                             std::to_string(r.count) + " of " + std::string(to_string(r.dtype)));
  }
  if (r.dst[position].listener != nullptr) throw std::runtime_error(what + " posted twice");
  r.dst[position] = dst;
  r.src[position] = src;
  if (++r.posted < r.dst.size()) return;
  open_groups_.erase(it);
  enqueue(
      Work{Work::Kind::kGroupReduce, Pending{}, Pending{}, MemRegion{}, count, dtype, op, slot});
}

// Sums every member's source in member order, then writes every member's destination (a
// destination may alias its own source: the sum is complete before any is written).
void LocalFabric::perform_group(std::uint32_t slot) {
  Rendezvous& r = rendezvous_[slot];
  const std::uint64_t bytes = r.dst[0].region.bytes;
  if (r.count > 0 && r.src[0].data != nullptr) {
    sum_.assign(r.src[0].data, r.src[0].data + bytes);
    for (std::size_t k = 1; k < r.src.size(); ++k) {
      reduce_elements(sum_.data(), sum_.data(), r.src[k].data, r.count, r.dtype, r.op);
    }
    for (const Pending& d : r.dst) {
      if (d.region.data != nullptr) std::memcpy(d.region.data, sum_.data(), bytes);
    }
  }
  // Listeners may post new group reduces (and reuse the slot): deliver from a copy.
  done_.assign(r.dst.begin(), r.dst.end());
  free_rendezvous_.push_back(slot);
  for (const Pending& d : done_)
    d.listener->on_complete(d.cookie);
}

void LocalFabric::perform(const Work& work) {
  ++clock_.ticks;
  switch (work.kind) {
    case Work::Kind::kGroupReduce:
      perform_group(work.group);
      return;
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
    throw std::runtime_error("deadlock in " + std::string(to_string(schedule_->op)) + "/" +
                             schedule_->algorithm + ": " + std::to_string(stuck_ranks) +
                             " rank(s) stuck, " + std::to_string(sends_.size()) +
                             " unmatched send(s), " + std::to_string(recvs_.size()) +
                             " unmatched recv(s), " + std::to_string(open_groups_.size()) +
                             " group reduce(s) not posted by every member" + stuck);
  }
}

}  // namespace fabricsim::workloads::local
