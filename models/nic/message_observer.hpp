// The completion interface of a NIC, for traffic workloads and the collectives' sim transport.
// A listener object, not a callback per packet: the NIC calls it once per message and side.
#pragma once

#include <cstdint>

#include "models/packet.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

using MessageId = std::uint64_t;

class MessageObserver {
 public:
  virtual ~MessageObserver() = default;
  // Every byte of the message `cookie` sent by `src` has been acknowledged.
  virtual void on_message_sent(EndpointId src, std::uint64_t cookie, sim::Time t) = 0;
  // Every byte of the message has been delivered to `dst`, in order and exactly once.
  virtual void on_message_received(EndpointId dst, EndpointId src, std::uint64_t cookie,
                                   std::uint64_t bytes, sim::Time t) = 0;
};

// One completed message, as seen by its sender (FCT = end - start).
struct FlowRecord {
  EndpointId src;
  EndpointId dst;
  std::uint64_t bytes;
  sim::Time start;
  sim::Time end;
  std::uint64_t tie = 0;     // tie key of the event that completed it (orders merged logs)
  std::uint64_t cookie = 0;  // the message's cookie (a traffic workload's flow id)
  std::uint64_t retransmitted_bytes = 0;  // payload bytes of its packets sent more than once
};

// A requester QP that went to the error state: `timeouts` local ACK timeouts in a row without
// progress (its retry_count retries and the one after). Its messages from the oldest unacknowledged
// one on are flushed (never completed); so is every message posted to it later.
struct QpErrorRecord {
  EndpointId nic;
  EndpointId peer;
  std::uint32_t channel;
  std::uint32_t timeouts;
  sim::Time at;
  sim::Time timeout;               // the local ACK timeout in force
  std::uint64_t unacked_bytes;     // payload not acknowledged when it failed
  std::uint64_t flushed_messages;  // messages that will never complete (later posts included)
};

// The order results list QP errors in, for every partitioning: by time, then NIC, peer, channel.
inline bool qp_error_before(const QpErrorRecord& a, const QpErrorRecord& b) {
  if (a.at != b.at) return a.at < b.at;
  if (a.nic != b.nic) return a.nic < b.nic;
  if (a.peer != b.peer) return a.peer < b.peer;
  return a.channel < b.channel;
}

}  // namespace fabricsim::models
