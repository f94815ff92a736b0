// The local transport: every rank of a Schedule runs in one process on real buffers.
// Deterministic: completions go through one FIFO; sends and receives match on
// (src, dst, tag). Detects deadlock (nothing left to deliver but some rank not done) and
// reports the stuck ranks and ops. Used to prove every algorithm correct byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
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
  explicit LocalFabric(const Schedule& schedule);
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
  struct Completion {
    CompletionListener* listener;
    std::uint64_t cookie;
  };
  // Logical time: one tick per delivered completion.
  struct TickClock final : Clock {
    std::uint64_t ticks = 0;
    std::int64_t now_ps() const override { return static_cast<std::int64_t>(ticks); }
  };

  void post_send(std::int32_t src, std::int32_t dst, const Pending& send, std::uint64_t tag);
  void post_recv(std::int32_t src, std::int32_t dst, const Pending& recv, std::uint64_t tag);
  void deliver(const Pending& send, const Pending& recv, const Key& key);
  void complete(CompletionListener& listener, std::uint64_t cookie) {
    fifo_.push_back(Completion{&listener, cookie});
  }

  const Schedule* schedule_;
  TickClock clock_;
  std::vector<std::vector<std::byte>> inputs_;
  std::vector<std::vector<std::byte>> outputs_;
  std::vector<std::vector<std::byte>> scratch_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::vector<std::unique_ptr<Executor>> executors_;
  std::unordered_map<Key, Pending, KeyHash> sends_;
  std::unordered_map<Key, Pending, KeyHash> recvs_;
  std::deque<Completion> fifo_;
  std::uint64_t messages_ = 0;
};

}  // namespace fabricsim::workloads::local
