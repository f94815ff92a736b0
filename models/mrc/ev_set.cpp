// EV choice and per-EV path state of an MRC queue pair.
#include "models/mrc/ev_set.hpp"

#include <algorithm>
#include <stdexcept>

namespace fabricsim::models {

namespace {
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

void EvSet::init(std::uint32_t count, std::uint32_t planes, std::uint64_t seed) {
  if (planes == 0 || planes > 32 || count < planes) {
    throw std::invalid_argument("EvSet: needs 1..32 planes and at least one EV per plane");
  }
  state_ = seed;
  slots_.assign(count, Slot{});
  for (std::uint32_t i = 0; i < count; ++i) {
    slots_[i].plane = static_cast<std::uint8_t>(i % planes);
    slots_[i].ev = fresh_ev();
  }
  cursor_ = 0;
  retired_ = 0;
}

std::uint16_t EvSet::fresh_ev() {
  return static_cast<std::uint16_t>(splitmix64(state_) >> 48);
}

std::uint32_t EvSet::pick(std::uint32_t free_planes, sim::Time now, sim::Time probe_after,
                          bool& probe) {
  probe = false;
  const auto n = static_cast<std::uint32_t>(slots_.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t s = cursor_ + i;
    if (s >= n) s -= n;
    Slot& slot = slots_[s];
    if ((free_planes >> slot.plane & 1U) == 0) continue;
    if (slot.retired) {
      if (slot.probe_at > now) continue;
      slot.probe_at = now + probe_after;
      probe = true;
      ++counters_.probes;
    }
    cursor_ = s + 1 == n ? 0 : s + 1;
    return s;
  }
  return kNone;
}

sim::Time EvSet::next_probe() const {
  sim::Time t = sim::Time::max();
  if (retired_ == 0) return t;
  for (const Slot& s : slots_) {
    if (s.retired) t = std::min(t, s.probe_at);
  }
  return t;
}

void EvSet::on_congestion(std::uint32_t slot, std::uint16_t sent_ev) {
  Slot& s = slots_[slot];
  if (s.ev != sent_ev || s.retired) return;
  s.ev = fresh_ev();
  ++counters_.swaps;
}

void EvSet::on_loss(std::uint32_t slot, std::uint16_t sent_ev, sim::Time now,
                    sim::Time probe_after) {
  Slot& s = slots_[slot];
  if (s.ev != sent_ev || s.retired) return;
  s.retired = true;
  s.retired_at = now;
  s.probe_at = now + probe_after;
  ++retired_;
  ++counters_.retirements;
}

void EvSet::on_delivered(std::uint32_t slot, std::uint16_t sent_ev, sim::Time sent_at) {
  Slot& s = slots_[slot];
  if (s.ev != sent_ev || !s.retired || sent_at < s.retired_at) return;
  s.retired = false;
  --retired_;
  ++counters_.revivals;
}

}  // namespace fabricsim::models
