// The entropy values (EVs) of one MRC queue pair and the state of the path each one names: the
// EVs are spread evenly over the NIC's planes, a packet takes the next usable EV on a plane whose
// port is free, congestion swaps an EV for a fresh one, a loss retires it until a probe (one
// packet sent on it after probe_after) comes back acknowledged.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace fabricsim::models {

struct EvCounters {
  std::uint64_t swaps = 0;        // EVs replaced after congestion (CE mark or trim)
  std::uint64_t retirements = 0;  // EVs taken out of use after a loss
  std::uint64_t probes = 0;       // packets sent on a retired EV to try it again
  std::uint64_t revivals = 0;     // retired EVs back in use (their probe was acknowledged)
};

class EvSet {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;

  // `count` EVs over `planes` planes (slot i on plane i % planes), drawn from `seed`: the same
  // seed gives the same EVs. count >= planes. Structured: the EVs of one plane are consecutive
  // values from a random multiple of their count (slot i has start + i / planes), and a swap
  // adds that count, so that EV mod any divisor of it is kept.
  // `first_plane`: where its round of the planes starts (the NIC gives consecutive QPs
  // consecutive planes: a message of fewer packets than planes would otherwise load the low
  // planes only, and QPs served in turn then find their planes' ports in turn).
  void init(std::uint32_t count, std::uint32_t planes, std::uint64_t seed, bool structured = false,
            std::uint32_t first_plane = 0);

  std::uint32_t size() const { return static_cast<std::uint32_t>(slots_.size()); }
  std::uint16_t ev(std::uint32_t slot) const { return slots_[slot].ev; }
  std::uint32_t plane(std::uint32_t slot) const { return slots_[slot].plane; }
  bool retired(std::uint32_t slot) const { return slots_[slot].retired; }
  std::uint32_t retired_count() const { return static_cast<std::uint32_t>(retirements_.size()); }

  // The slot the next packet takes. Planes in turn: the first plane after the last pick's, round
  // the planes, that is in `up_planes` (bit q = plane q's port is up) and has a usable slot (in
  // use, or retired with its probe due: then `probe` is set and the next probe waits
  // probe_after again); if its port is not in `free_planes` (it cannot send now), kNone: the
  // QP waits for its turn on that plane, so that its packets spread evenly over the planes.
  // Within the plane, slots in turn from the plane's last pick, or, with `rotor` (structured
  // EVs: per plane, the NIC's next index, advanced here), from the NIC's: a NIC's packets on
  // a plane then take consecutive paths whatever QP they belong to. kNone when none qualifies.
  std::uint32_t pick(std::uint32_t up_planes, std::uint32_t free_planes, sim::Time now,
                     sim::Time probe_after, bool& probe, std::uint32_t* rotor = nullptr);
  // The plane pick() would take next with every port free (`up_planes` as for pick), or
  // kNone when no slot of an up plane is usable now.
  std::uint32_t next_plane(std::uint32_t up_planes, sim::Time now) const;
  // The earliest time a retired slot may be probed (Time::max() when none is retired).
  sim::Time next_probe() const;

  // Feedback on a packet sent on `slot` with EV `sent_ev`; stale feedback (the slot holds
  // another EV since) changes nothing.
  void on_congestion(std::uint32_t slot, std::uint16_t sent_ev);  // swap for a fresh EV
  void on_loss(std::uint32_t slot, std::uint16_t sent_ev, sim::Time now, sim::Time probe_after);
  // A packet sent at `sent_at` was acknowledged: revives a retired slot if it was sent after the
  // retirement (a probe); packets that were already in flight then do not.
  void on_delivered(std::uint32_t slot, std::uint16_t sent_ev, sim::Time sent_at);

  const EvCounters& counters() const { return counters_; }

 private:
  // 4 bytes a slot: a QP of an all-to-all holds hundreds of them, and a NIC thousands of QPs.
  struct Slot {
    std::uint16_t ev = 0;
    std::uint8_t plane = 0;
    bool retired = false;
  };
  struct Retirement {
    sim::Time probe_at;    // when it may be probed next
    sim::Time retired_at;  // since when
    std::uint32_t slot = 0;
  };
  std::uint16_t fresh_ev();
  Retirement* retirement_of(std::uint32_t slot);

  std::vector<Slot> slots_;
  std::vector<Retirement> retirements_;  // one per retired slot (few: a linear search)
  std::uint64_t state_ = 0;              // the EV generator (splitmix64)
  std::uint32_t per_plane_ = 1;
  bool structured_ = false;
  std::uint32_t planes_ = 1;
  std::uint32_t plane_cursor_ = 0;
  std::vector<std::uint32_t> cursor_;  // per plane: index (within the plane) after its last pick
  EvCounters counters_;
};

}  // namespace fabricsim::models
