// The pending-event set: a radix heap on event time (simulated time never goes backwards, so a
// monotone priority queue applies), with events of the current instant kept in a small heap
// ordered by tie key. O(1) push; a pop moves each event through at most 64 buckets over its
// life, in practice a handful. Chosen by measurement against a 4-ary heap, a binary heap and
// std::multimap in bench/bench_event_queue.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/event.hpp"

namespace fabricsim::sim {

class EventQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  void reserve(std::size_t n) { buckets_[kBuckets - 1].reserve(n); }
  // Events the buckets hold room for (memory accounting; drained buckets keep at most
  // kKeptCapacity each).
  std::size_t capacity() const {
    std::size_t c = 0;
    for (const auto& b : buckets_)
      c += b.capacity();
    return c;
  }
  static constexpr std::size_t kKeptCapacity = 4096;  // events a drained bucket may keep
  void clear() {
    for (auto& b : buckets_)
      b.clear();
    size_ = 0;
    occupied_ = 0;
    last_ = 0;
  }

  // Any time >= 0 may be pushed; pushing before the time of the last top_time()/pop() result
  // is allowed (after a run stopped early) but re-buckets everything, so it should be rare.
  void push(const Event& e) {
    const auto at = static_cast<std::uint64_t>(e.at.picoseconds());
    if (at < last_) [[unlikely]]
      rebase(at);
    const std::size_t i = bucket_of(at);
    buckets_[i].push_back(e);
    if (i == 0) std::push_heap(buckets_[0].begin(), buckets_[0].end(), LaterTie{});
    occupied_ |= 1ULL << i;
    ++size_;
  }

  // Precondition for top_time/top_tie/pop: !empty().
  Time top_time() {
    settle();
    return buckets_[0].front().at;
  }
  std::uint64_t top_tie() {
    settle();
    return buckets_[0].front().tie;
  }
  Event pop() {
    settle();
    auto& now = buckets_[0];
    std::pop_heap(now.begin(), now.end(), LaterTie{});
    const Event e = now.back();
    now.pop_back();
    if (now.empty()) occupied_ &= ~1ULL;
    --size_;
    return e;
  }

 private:
  static constexpr std::size_t kBuckets = 65;
  // Heap order for bucket 0: the smallest tie on top.
  struct LaterTie {
    bool operator()(const Event& a, const Event& b) const { return a.tie > b.tie; }
  };

  // Bucket 0 holds events at exactly last_; bucket i holds those whose highest bit differing
  // from last_ is bit i-1.
  std::size_t bucket_of(std::uint64_t at) const {
    return at == last_ ? 0 : static_cast<std::size_t>(64 - std::countl_zero(at ^ last_));
  }

  // Makes bucket 0 non-empty: the lowest occupied bucket holds the earliest events; its minimum
  // becomes last_ and its events spread into lower buckets.
  void settle() {
    if (occupied_ & 1ULL) return;
    const auto i = static_cast<std::size_t>(std::countr_zero(occupied_));
    auto& source = buckets_[i];
    std::uint64_t earliest = static_cast<std::uint64_t>(source.front().at.picoseconds());
    for (const auto& e : source) {
      earliest = std::min(earliest, static_cast<std::uint64_t>(e.at.picoseconds()));
    }
    last_ = earliest;
    for (const auto& e : source) {
      const std::size_t j = bucket_of(static_cast<std::uint64_t>(e.at.picoseconds()));
      buckets_[j].push_back(e);
      occupied_ |= 1ULL << j;
    }
    source.clear();
    // A drained bucket would keep its capacity, and as time advances nearly every bucket in
    // turn holds most pending events: the buckets together would hold many times the pending
    // events (-27% peak heap in a 2,048-GPU run when given back). Large ones give it back; the
    // regrowth costs ~25 ns per event with 1 M pending (bench_event_queue hold model), ~3% of
    // a whole run.
    if (source.capacity() > kKeptCapacity) std::vector<Event>().swap(source);
    occupied_ &= ~(1ULL << i);
    std::make_heap(buckets_[0].begin(), buckets_[0].end(), LaterTie{});
  }

  // Re-buckets every pending event relative to a new, earlier base time.
  void rebase(std::uint64_t base) {
    std::vector<Event> all;
    all.reserve(size_);
    for (auto& b : buckets_) {
      all.insert(all.end(), b.begin(), b.end());
      b.clear();
    }
    occupied_ = 0;
    last_ = base;
    for (const auto& e : all) {
      const std::size_t j = bucket_of(static_cast<std::uint64_t>(e.at.picoseconds()));
      buckets_[j].push_back(e);
      occupied_ |= 1ULL << j;
    }
    std::make_heap(buckets_[0].begin(), buckets_[0].end(), LaterTie{});
  }

  std::array<std::vector<Event>, kBuckets> buckets_;
  std::uint64_t occupied_ = 0;  // bit i set when bucket i is non-empty
  std::uint64_t last_ = 0;
  std::size_t size_ = 0;
};

}  // namespace fabricsim::sim
