// What the kernel schedules: an event is (time, tie-break key, handler, argument), 32 bytes,
// no allocation and no std::function. Handlers are the simulated components themselves.
#pragma once

#include <cstdint>

#include "sim/time.hpp"

namespace fabricsim::sim {

// A component that receives events. `arg` is the component's own payload (an event kind, a
// packet index, a timer generation...). The handler is not owned by the queue: it must
// outlive every event scheduled for it.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void on_event(std::uint64_t arg) = 0;
};

// Orders simultaneous events without depending on how the fabric is partitioned: the id of
// the component that scheduled the event, then that component's own sequence number.
// 24 bits of component id (16.7 M components), 40 bits of per-component sequence.
struct TieKey {
  static constexpr int kSeqBits = 40;
  static constexpr std::uint64_t kMaxComponent = (1ULL << (64 - kSeqBits)) - 1;
  static constexpr std::uint64_t make(std::uint32_t component, std::uint64_t seq) {
    return (static_cast<std::uint64_t>(component) << kSeqBits) | (seq & ((1ULL << kSeqBits) - 1));
  }
  static constexpr std::uint32_t component(std::uint64_t tie) {
    return static_cast<std::uint32_t>(tie >> kSeqBits);
  }
};

struct Event {
  Time at;
  std::uint64_t tie = 0;
  EventHandler* target = nullptr;
  std::uint64_t arg = 0;
};

}  // namespace fabricsim::sim
