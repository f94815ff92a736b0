// The NIC's choice of the next queue pair to send from, in O(1) amortised per packet (O(log n)
// for a paced QP): a FIFO ring of QPs that may be ready now, served round-robin, and a min-heap
// of paced QPs keyed by the time they may be ready again. Holds QP indexes only; the NIC owns
// the QPs and decides, when it pops one, whether it is ready, paced or has nothing to send.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace fabricsim::models {

class QpScheduler {
 public:
  // Appends `qp` to the ring (after every QP already there).
  void push_ready(std::uint32_t qp) {
    if (ring_count_ == ring_.size()) grow_ring();
    ring_[(ring_head_ + ring_count_) & (ring_.size() - 1)] = qp;
    ++ring_count_;
  }
  bool has_ready() const { return ring_count_ != 0; }
  // Precondition: has_ready().
  std::uint32_t pop_ready() {
    const std::uint32_t qp = ring_[ring_head_];
    ring_head_ = (ring_head_ + 1) & (ring_.size() - 1);
    --ring_count_;
    return qp;
  }

  // Parks `qp` until `at`. Ties leave in the order they were parked (deterministic).
  void push_paced(std::uint32_t qp, sim::Time at) {
    heap_.push_back(Paced{at, seq_++, qp});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }
  // Moves every QP parked until `now` or earlier to the back of the ring, earliest first.
  void release_due(sim::Time now) {
    while (!heap_.empty() && heap_.front().at <= now) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      push_ready(heap_.back().qp);
      heap_.pop_back();
    }
  }
  // When the earliest parked QP may be ready; Time::max() when none is parked.
  sim::Time next_due() const { return heap_.empty() ? sim::Time::max() : heap_.front().at; }

  std::size_t ready_count() const { return ring_count_; }
  std::size_t paced_count() const { return heap_.size(); }
  // At most one ring slot and one heap entry per QP (each QP is in one of them at a time).
  static constexpr std::size_t bytes_per_qp() { return sizeof(std::uint32_t) + sizeof(Paced); }
  std::size_t memory_bytes() const {
    return ring_.capacity() * sizeof(std::uint32_t) + heap_.capacity() * sizeof(Paced);
  }

 private:
  struct Paced {
    sim::Time at;
    std::uint64_t seq;
    std::uint32_t qp;
  };
  struct Later {  // std heaps are max-heaps: "less" is "later"
    bool operator()(const Paced& a, const Paced& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };

  void grow_ring() {
    std::vector<std::uint32_t> bigger(ring_.empty() ? 8 : ring_.size() * 2);
    for (std::size_t i = 0; i < ring_count_; ++i)
      bigger[i] = ring_[(ring_head_ + i) & (ring_.size() - 1)];
    ring_.swap(bigger);
    ring_head_ = 0;
  }

  std::vector<std::uint32_t> ring_;  // power-of-two capacity
  std::size_t ring_head_ = 0;
  std::size_t ring_count_ = 0;
  std::vector<Paced> heap_;
  std::uint64_t seq_ = 0;
};

}  // namespace fabricsim::models
