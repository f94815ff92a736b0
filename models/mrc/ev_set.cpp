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

void EvSet::init(std::uint32_t count, std::uint32_t planes, std::uint64_t seed, bool structured,
                 std::uint32_t first_plane) {
  if (planes == 0 || planes > 32 || count < planes) {
    throw std::invalid_argument("EvSet: needs 1..32 planes and at least one EV per plane");
  }
  state_ = seed;
  structured_ = structured;
  per_plane_ = (count + planes - 1) / planes;
  slots_.assign(count, Slot{});
  // Structured: each plane's run of EVs starts at a multiple of its length, so that EV k of a
  // plane names the same path (ev mod per_plane = k) in every QP of the NIC.
  std::vector<std::uint16_t> start(planes);
  for (std::uint32_t q = 0; q < planes; ++q) {
    const std::uint16_t r = fresh_ev();
    start[q] = structured ? static_cast<std::uint16_t>(r - r % per_plane_) : r;
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    slots_[i].plane = static_cast<std::uint8_t>(i % planes);
    slots_[i].ev =
        structured ? static_cast<std::uint16_t>(start[i % planes] + i / planes) : fresh_ev();
  }
  planes_ = planes;
  plane_cursor_ = first_plane % planes;
  cursor_.assign(planes, 0);
  retirements_.clear();
}

EvSet::Retirement* EvSet::retirement_of(std::uint32_t slot) {
  for (Retirement& r : retirements_) {
    if (r.slot == slot) return &r;
  }
  return nullptr;
}

std::uint16_t EvSet::fresh_ev() {
  return static_cast<std::uint16_t>(splitmix64(state_) >> 48);
}

std::uint32_t EvSet::pick(std::uint32_t up_planes, std::uint32_t free_planes, sim::Time now,
                          sim::Time probe_after, bool& probe, std::uint32_t* rotor) {
  probe = false;
  const auto n = static_cast<std::uint32_t>(slots_.size());
  for (std::uint32_t d = 0; d < planes_; ++d) {
    std::uint32_t q = plane_cursor_ + d;
    if (q >= planes_) q -= planes_;
    if ((up_planes >> q & 1U) == 0) continue;
    // Plane q's slots are q, q + planes, q + 2 planes, ...
    const std::uint32_t on_plane = (n - q + planes_ - 1) / planes_;
    const std::uint32_t start = rotor != nullptr ? rotor[q] % on_plane : cursor_[q];
    for (std::uint32_t i = 0; i < on_plane; ++i) {
      std::uint32_t k = start + i;
      if (k >= on_plane) k -= on_plane;
      const std::uint32_t s = q + k * planes_;
      Slot& slot = slots_[s];
      Retirement* r = slot.retired ? retirement_of(s) : nullptr;
      if (r != nullptr && r->probe_at > now) continue;
      // The QP's next usable plane: wait for its port rather than take another plane's turn.
      if ((free_planes >> q & 1U) == 0) return kNone;
      if (r != nullptr) {
        r->probe_at = now + probe_after;
        probe = true;
        ++counters_.probes;
      }
      cursor_[q] = k + 1 == on_plane ? 0 : k + 1;
      if (rotor != nullptr) rotor[q] = k + 1;
      plane_cursor_ = q + 1 == planes_ ? 0 : q + 1;
      return s;
    }
  }
  return kNone;
}

std::uint32_t EvSet::next_plane(std::uint32_t up_planes, sim::Time now) const {
  const auto n = static_cast<std::uint32_t>(slots_.size());
  for (std::uint32_t d = 0; d < planes_; ++d) {
    std::uint32_t q = plane_cursor_ + d;
    if (q >= planes_) q -= planes_;
    if ((up_planes >> q & 1U) == 0) continue;
    for (std::uint32_t s = q; s < n; s += planes_) {
      if (!slots_[s].retired) return q;
      for (const Retirement& r : retirements_) {
        if (r.slot == s && r.probe_at <= now) return q;
      }
    }
  }
  return kNone;
}

sim::Time EvSet::next_probe() const {
  sim::Time t = sim::Time::max();
  for (const Retirement& r : retirements_)
    t = std::min(t, r.probe_at);
  return t;
}

void EvSet::on_congestion(std::uint32_t slot, std::uint16_t sent_ev) {
  Slot& s = slots_[slot];
  if (s.ev != sent_ev || s.retired) return;
  s.ev = structured_ ? static_cast<std::uint16_t>(s.ev + per_plane_) : fresh_ev();
  ++counters_.swaps;
}

void EvSet::on_loss(std::uint32_t slot, std::uint16_t sent_ev, sim::Time now,
                    sim::Time probe_after) {
  Slot& s = slots_[slot];
  if (s.ev != sent_ev || s.retired) return;
  s.retired = true;
  retirements_.push_back(Retirement{now + probe_after, now, slot});
  ++counters_.retirements;
}

void EvSet::on_delivered(std::uint32_t slot, std::uint16_t sent_ev, sim::Time sent_at) {
  Slot& s = slots_[slot];
  if (s.ev != sent_ev || !s.retired) return;
  Retirement* r = retirement_of(slot);
  if (sent_at < r->retired_at) return;
  *r = retirements_.back();
  retirements_.pop_back();
  s.retired = false;
  ++counters_.revivals;
}

}  // namespace fabricsim::models
