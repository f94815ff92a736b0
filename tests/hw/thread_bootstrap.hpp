// A Bootstrap among threads of one process (ranks as threads), for tests and the verbs test
// driver: allgather and barrier meet on a mutex and condition variable. A rank that fails
// calls abort(), which wakes every waiting rank with a TransportError.
//
// Ownership: the Rendezvous is shared by the ranks' ThreadBootstraps and must outlive them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "workloads/transports/hw/hw_transport.hpp"

namespace fabricsim::tests {

class Rendezvous {
 public:
  explicit Rendezvous(std::int32_t nranks,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : nranks_(nranks), timeout_(timeout), contributions_(static_cast<std::size_t>(nranks)) {}

  std::int32_t nranks() const { return nranks_; }

  std::vector<std::byte> allgather(std::int32_t rank, std::span<const std::byte> mine) {
    std::unique_lock lock(mutex_);
    check_aborted();
    contributions_[static_cast<std::size_t>(rank)].assign(mine.begin(), mine.end());
    const std::uint64_t generation = generation_;
    if (++arrived_ == nranks_) {
      result_.clear();
      for (const auto& c : contributions_)
        result_.insert(result_.end(), c.begin(), c.end());
      arrived_ = 0;
      ++generation_;
      changed_.notify_all();
    } else if (!changed_.wait_for(lock, timeout_, [&] {
                 return generation_ != generation || !abort_message_.empty();
               })) {
      throw workloads::hw::TransportError("thread bootstrap: rank " + std::to_string(rank) +
                                          " waited longer than the timeout for the others");
    }
    check_aborted();
    return result_;
  }

  void abort(const std::string& message) {
    std::lock_guard lock(mutex_);
    if (abort_message_.empty()) abort_message_ = message.empty() ? "aborted" : message;
    changed_.notify_all();
  }

  bool aborted() const {
    std::lock_guard lock(mutex_);
    return !abort_message_.empty();
  }

 private:
  void check_aborted() const {
    if (!abort_message_.empty()) {
      throw workloads::hw::TransportError("thread bootstrap: another rank failed: " +
                                          abort_message_);
    }
  }

  const std::int32_t nranks_;
  const std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::vector<std::byte>> contributions_;
  std::vector<std::byte> result_;
  std::int32_t arrived_ = 0;
  std::uint64_t generation_ = 0;
  std::string abort_message_;
};

class ThreadBootstrap final : public workloads::hw::Bootstrap {
 public:
  ThreadBootstrap(Rendezvous& rendezvous, std::int32_t rank)
      : rendezvous_(&rendezvous), rank_(rank) {}
  std::int32_t rank() const override { return rank_; }
  std::int32_t nranks() const override { return rendezvous_->nranks(); }
  std::vector<std::byte> allgather(std::span<const std::byte> mine) override {
    return rendezvous_->allgather(rank_, mine);
  }
  void barrier() override { rendezvous_->allgather(rank_, {}); }

 private:
  Rendezvous* rendezvous_;
  std::int32_t rank_;
};

}  // namespace fabricsim::tests
