// Sender scoreboard and receiver placement window of MRC's selective repeat.
#include "models/mrc/scoreboard.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace fabricsim::models {

void SendScoreboard::grow(std::uint32_t span) {
  const std::uint32_t size = std::bit_ceil(std::max<std::uint32_t>(span, 16));
  if (!ring_.empty() && size <= mask_ + 1) return;
  std::vector<SentPacket> bigger(size);
  for (std::uint32_t p = una_; p != max_; ++p)
    bigger[p & (size - 1)] = ring_[p & mask_];
  ring_ = std::move(bigger);
  mask_ = size - 1;
}

void SendScoreboard::on_send(std::uint32_t psn, sim::Time now, std::uint16_t slot_index,
                             std::uint16_t ev) {
  if (psn == max_) {
    if (ring_.empty() || max_ - una_ + 1 > mask_ + 1) grow(max_ - una_ + 1);
    ++max_;
  } else if (psn - una_ >= max_ - una_) {
    throw std::logic_error("SendScoreboard: a resend outside the window");
  }
  SentPacket& s = slot(psn);
  s.sent_at = now;
  s.ev = ev;
  s.slot = slot_index;
  s.state = SentState::kInFlight;
  s.queued = false;
  ++in_flight_;
}

bool SendScoreboard::acknowledge(std::uint32_t psn, SentPacket* out) {
  if (psn - una_ >= max_ - una_) return false;  // below the cumulative point, or never sent
  SentPacket& s = slot(psn);
  if (s.state == SentState::kAcked) return false;
  if (s.state == SentState::kInFlight) --in_flight_;
  s.state = SentState::kAcked;
  if (out != nullptr) *out = s;
  return true;
}

std::uint32_t SendScoreboard::advance(std::uint32_t psn) {
  if (psn - una_ > max_ - una_) return 0;  // older than una, or beyond what was sent
  std::uint32_t newly = 0;
  for (; una_ != psn; ++una_) {
    SentPacket& s = slot(una_);
    if (s.state == SentState::kAcked) continue;
    if (s.state == SentState::kInFlight) --in_flight_;
    s.state = SentState::kAcked;
    ++newly;
  }
  return newly;
}

bool SendScoreboard::mark_lost(std::uint32_t psn) {
  if (psn - una_ >= max_ - una_) return false;
  SentPacket& s = slot(psn);
  if (s.state != SentState::kInFlight) return false;
  s.state = SentState::kLost;
  --in_flight_;
  if (!s.queued) {
    s.queued = true;
    if (resend_head_ == resend_.size()) {
      resend_.clear();
      resend_head_ = 0;
    }
    resend_.push_back(psn);
  }
  return true;
}

bool SendScoreboard::front_resend(std::uint32_t& psn) {
  while (resend_head_ < resend_.size()) {
    const std::uint32_t p = resend_[resend_head_];
    if (p - una_ < max_ - una_ && slot(p).state == SentState::kLost) {
      psn = p;
      return true;
    }
    // Acknowledged meanwhile (selectively or cumulatively): nothing to resend.
    if (p - una_ < max_ - una_) slot(p).queued = false;
    ++resend_head_;
  }
  return false;
}

void SendScoreboard::pop_resend() {
  slot(resend_[resend_head_]).queued = false;
  ++resend_head_;
}

sim::Time SendScoreboard::expired(sim::Time deadline, std::vector<std::uint32_t>& out) const {
  sim::Time earliest = sim::Time::max();
  for (std::uint32_t p = una_; p != max_; ++p) {
    const SentPacket& s = ring_[p & mask_];
    if (s.state != SentState::kInFlight) continue;
    if (s.sent_at <= deadline) {
      out.push_back(p);
    } else {
      earliest = std::min(earliest, s.sent_at);
    }
  }
  return earliest;
}

void PlacementWindow::grow(std::uint32_t span) {
  const std::uint32_t size = std::bit_ceil(std::max<std::uint32_t>(span, 16));
  if (!ring_.empty() && size <= mask_ + 1) return;
  std::vector<PlacedPacket> bigger(size);
  for (std::uint32_t i = 0; i <= mask_ && !ring_.empty(); ++i) {
    const std::uint32_t p = next_ + i;
    bigger[p & (size - 1)] = ring_[p & mask_];
  }
  ring_ = std::move(bigger);
  mask_ = size - 1;
}

bool PlacementWindow::place(std::uint32_t psn, std::uint32_t payload, std::uint8_t flags,
                            std::uint64_t cookie, std::uint32_t limit) {
  const std::uint32_t offset = psn - next_;
  if (offset >= limit) return false;  // a duplicate below the cumulative point, or too far
  if (ring_.empty() || offset > mask_) grow(offset + 1);
  PlacedPacket& s = ring_[psn & mask_];
  if (s.present) return false;
  s = PlacedPacket{cookie, payload, flags, true};
  return true;
}

bool PlacementWindow::pop(PlacedPacket& out) {
  if (ring_.empty()) return false;
  PlacedPacket& s = ring_[next_ & mask_];
  if (!s.present) return false;
  out = s;
  s.present = false;
  ++next_;
  return true;
}

}  // namespace fabricsim::models
