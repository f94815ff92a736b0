// Slots for short-lived records addressed by a 32-bit index (an event's argument): freed slots
// are reused, so a steady stream of records allocates nothing once the slab has grown.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace fabricsim::sim {

template <class T>
class Slab {
 public:
  // Stores `value` in a free slot (or a new one) and returns its index.
  std::uint32_t add(T value) {
    if (free_.empty()) {
      slots_.push_back(std::move(value));
      return static_cast<std::uint32_t>(slots_.size() - 1);
    }
    const std::uint32_t index = free_.back();
    free_.pop_back();
    slots_[index] = std::move(value);
    return index;
  }
  T& operator[](std::uint32_t index) { return slots_[index]; }
  const T& operator[](std::uint32_t index) const { return slots_[index]; }
  // Frees the slot and returns what it held.
  T take(std::uint32_t index) {
    T value = std::move(slots_[index]);
    release(index);
    return value;
  }
  void release(std::uint32_t index) {
    slots_[index] = T{};
    free_.push_back(index);
  }
  std::size_t in_use() const { return slots_.size() - free_.size(); }

 private:
  std::vector<T> slots_;
  std::vector<std::uint32_t> free_;
};

}  // namespace fabricsim::sim
