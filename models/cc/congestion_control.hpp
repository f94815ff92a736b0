// The congestion-control interface of a sending queue pair (the reaction point). One class per
// algorithm implements it (cc/dcqcn.hpp, cc/none.hpp); the NIC owns one instance per QP and
// paces the QP at rate_bps() and, for window algorithms, within window_bytes().
#pragma once

#include <cstdint>
#include <limits>

#include "sim/time.hpp"

namespace fabricsim::models {

// What an ACK tells the sender about the data packet it acknowledges.
struct AckFeedback {
  sim::Time rtt;             // from that packet's send time to now (the receiver echoes it)
  std::uint32_t hops = 0;    // switches that packet crossed
  double utilization = 0.0;  // the largest egress utilization on its path (HPCC telemetry)
  bool ce = false;           // that packet arrived CE-marked (per-ACK ECN echo: MRC, NSCC)
};

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;

  // The rate the QP may send at, in bits/s, at time `now`. Timer-driven changes (DCQCN's alpha
  // and rate-increase timers) may be applied lazily here, so idle QPs cost no events; `now`
  // never decreases between calls.
  virtual std::uint64_t rate_bps(sim::Time now) = 0;
  // Bytes that may be unacknowledged; max() for purely rate-based algorithms.
  virtual std::uint64_t window_bytes() const { return std::numeric_limits<std::uint64_t>::max(); }
  // The earliest time the rate may change without any packet arriving (a timer), so a sender
  // paced at a low rate knows when to look again; Time::max() when nothing is pending.
  virtual sim::Time next_change(sim::Time /*now*/) const { return sim::Time::max(); }

  // A data packet of `bytes` (wire size) was put on the wire.
  virtual void on_send(sim::Time /*now*/, std::uint32_t /*bytes*/) {}
  // An ACK covered `acked_bytes` more of the message stream; `feedback` is what it echoes of
  // the data packet it acknowledges.
  virtual void on_ack(sim::Time /*now*/, std::uint64_t /*acked_bytes*/,
                      const AckFeedback& /*feedback*/) {}
  // A Congestion Notification Packet arrived for this QP.
  virtual void on_cnp(sim::Time /*now*/) {}
  // The retransmission timer expired.
  virtual void on_timeout(sim::Time /*now*/) {}
  // Multipath transports (MRC): one data packet of `bytes` (wire size) was lost to the network,
  // known from a NACK of its trimmed header or from its own retransmit timer; it is sent again
  // selectively. Go-back-N transports report timeouts only (on_timeout).
  virtual void on_loss(sim::Time /*now*/, std::uint32_t /*bytes*/) {}
};

}  // namespace fabricsim::models
