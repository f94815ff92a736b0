// The two halves of MRC's selective repeat on one queue pair: the sender's scoreboard (each PSN
// sent and not yet covered by the cumulative ACK: in flight, selectively acknowledged, or lost
// and waiting to be sent again) and the receiver's placement window (the PSNs placed beyond the
// cumulative point, out of order). Rings indexed by PSN, grown to powers of two on demand.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace fabricsim::models {

enum class SentState : std::uint8_t { kInFlight, kAcked, kLost };

struct SentPacket {
  sim::Time sent_at;
  std::uint16_t ev = 0;    // the EV it was sent with
  std::uint16_t slot = 0;  // its slot in the QP's EvSet
  SentState state = SentState::kInFlight;
  bool queued = false;  // lost and in the resend queue
};

class SendScoreboard {
 public:
  std::uint32_t una() const { return una_; }  // oldest PSN not cumulatively acknowledged
  std::uint32_t max() const { return max_; }  // one past the highest PSN sent
  std::uint32_t in_flight() const { return in_flight_; }
  // Lost PSNs wait to be sent again (entries may be stale until front_resend drops them).
  bool resend_pending() const { return resend_head_ < resend_.size(); }

  // PSN `psn` leaves now on `slot`/`ev`: a new PSN (psn == max()) or a resend of a lost one.
  void on_send(std::uint32_t psn, sim::Time now, std::uint16_t slot, std::uint16_t ev);
  // Selective ACK of `psn`: true when it was not acknowledged before (then *out is its record).
  bool acknowledge(std::uint32_t psn, SentPacket* out);
  // Cumulative ACK: every PSN below `psn` is delivered; returns how many were not yet acked.
  std::uint32_t advance(std::uint32_t psn);
  // `psn`, in flight, is lost (NACK of its trimmed header, or its timer): queued for a resend.
  // False when it was not in flight (acknowledged meanwhile, or already lost).
  bool mark_lost(std::uint32_t psn);
  // The next lost PSN to send again, dropping stale entries (acknowledged since); false when
  // none waits. pop_resend() takes it out of the queue.
  bool front_resend(std::uint32_t& psn);
  void pop_resend();
  const SentPacket& at(std::uint32_t psn) const { return ring_[psn & mask_]; }
  // Every in-flight PSN sent at or before `deadline` (oldest first) into `out`; returns the
  // earliest send time of those still in flight after them (Time::max() when none).
  sim::Time expired(sim::Time deadline, std::vector<std::uint32_t>& out) const;

 private:
  SentPacket& slot(std::uint32_t psn) { return ring_[psn & mask_]; }
  void grow(std::uint32_t span);

  std::vector<SentPacket> ring_;
  std::vector<std::uint32_t> resend_;
  std::size_t resend_head_ = 0;
  std::uint32_t mask_ = 0;
  std::uint32_t una_ = 0;
  std::uint32_t max_ = 0;
  std::uint32_t in_flight_ = 0;
};

struct PlacedPacket {
  std::uint64_t cookie = 0;
  std::uint32_t payload = 0;
  std::uint8_t flags = 0;
  bool present = false;
};

class PlacementWindow {
 public:
  std::uint32_t next() const { return next_; }  // the cumulative point: next PSN not placed
  // Places `psn` (at most `limit` PSNs beyond next()); false for a duplicate or one beyond it.
  bool place(std::uint32_t psn, std::uint32_t payload, std::uint8_t flags, std::uint64_t cookie,
             std::uint32_t limit);
  // Moves the cumulative point over the placed PSNs at it, one at a time (false when next() is
  // not placed).
  bool pop(PlacedPacket& out);

 private:
  void grow(std::uint32_t span);
  std::vector<PlacedPacket> ring_;
  std::uint32_t mask_ = 0;
  std::uint32_t next_ = 0;
};

}  // namespace fabricsim::models
