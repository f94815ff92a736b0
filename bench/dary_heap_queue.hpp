// A reference pending-event set for bench_event_queue: a 4-ary min-heap on (time, tie) with keys
// and payloads in separate arrays, so a sift compares four children that share one 64-byte cache
// line. It was the kernel's first queue; sim/event_queue.hpp's radix heap replaced it (measured
// here).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "sim/event.hpp"

namespace fabricsim::bench {

using sim::Event;
using sim::EventHandler;
using sim::Time;

// Allocates on 64-byte boundaries so sibling groups in the heap do not straddle cache lines.
template <class T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheLineAllocator() = default;
  template <class U>
  constexpr CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}  // NOLINT
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, kAlign); }
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const noexcept {
    return true;
  }
};

class DaryHeapQueue {
 public:
  DaryHeapQueue() { clear(); }

  bool empty() const { return keys_.size() == kRoot; }
  std::size_t size() const { return keys_.size() - kRoot; }
  void reserve(std::size_t n) {
    keys_.reserve(n + kRoot);
    payloads_.reserve(n + kRoot);
  }
  void clear() {
    keys_.assign(kRoot, Key{});
    payloads_.assign(kRoot, Payload{});
  }

  // Precondition for top/pop: !empty().
  Time top_time() const { return Time::ps(keys_[kRoot].at); }
  std::uint64_t top_tie() const { return keys_[kRoot].tie; }

  void push(const Event& e) {
    std::size_t hole = keys_.size();
    keys_.push_back(Key{});
    payloads_.push_back(Payload{});
    const Key key{e.at.picoseconds(), e.tie};
    while (hole > kRoot) {
      const std::size_t parent = parent_of(hole);
      if (!less(key, keys_[parent])) break;
      keys_[hole] = keys_[parent];
      payloads_[hole] = payloads_[parent];
      hole = parent;
    }
    keys_[hole] = key;
    payloads_[hole] = Payload{e.target, e.arg};
  }

  Event pop() {
    const Key top_key = keys_[kRoot];
    const Payload top_payload = payloads_[kRoot];
    const Key last_key = keys_.back();
    const Payload last_payload = payloads_.back();
    keys_.pop_back();
    payloads_.pop_back();
    const std::size_t n = keys_.size();
    if (n > kRoot) {
      // Sift the hole at the root down to where the former last element belongs.
      std::size_t hole = kRoot;
      for (;;) {
        const std::size_t first = first_child(hole);
        if (first >= n) break;
        std::size_t best = first;
        const std::size_t end = first + kArity < n ? first + kArity : n;
        for (std::size_t c = first + 1; c < end; ++c) {
          if (less(keys_[c], keys_[best])) best = c;
        }
        if (!less(keys_[best], last_key)) break;
        keys_[hole] = keys_[best];
        payloads_[hole] = payloads_[best];
        hole = best;
      }
      keys_[hole] = last_key;
      payloads_[hole] = last_payload;
    }
    return Event{Time::ps(top_key.at), top_key.tie, top_payload.target, top_payload.arg};
  }

 private:
  struct Key {
    std::int64_t at = 0;
    std::uint64_t tie = 0;
  };
  struct Payload {
    EventHandler* target = nullptr;
    std::uint64_t arg = 0;
  };
  static constexpr std::size_t kArity = 4;
  // The root sits at index 3 so that every group of four siblings starts on a 64-byte line.
  static constexpr std::size_t kRoot = kArity - 1;
  static constexpr std::size_t first_child(std::size_t i) {
    return kArity * (i - kRoot) + kRoot + 1;
  }
  static constexpr std::size_t parent_of(std::size_t i) { return (i - kRoot - 1) / kArity + kRoot; }
  static bool less(const Key& a, const Key& b) {
    return a.at < b.at || (a.at == b.at && a.tie < b.tie);
  }

  std::vector<Key, CacheLineAllocator<Key>> keys_;
  std::vector<Payload, CacheLineAllocator<Payload>> payloads_;
};

}  // namespace fabricsim::bench
