// The state of one RoCEv2 Reliable Connection queue pair at one NIC: the requester side (its
// messages, PSNs, go-back-N, RTO, pacing and congestion control) and the responder side (the
// expected PSN, ACK coalescing, the CNP rate limit) of the same connection. A requester whose
// retries run out goes to the error state and sends nothing more. Under nic.transport mrc the
// same PSNs and message list are sent by selective repeat over many paths (models/mrc/).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "models/cc/congestion_control.hpp"
#include "models/mrc/mrc_qp.hpp"
#include "models/packet.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

struct QpMessage {
  std::uint64_t cookie;
  std::uint64_t bytes;
  sim::Time posted;
  std::uint32_t first_psn;
  std::uint32_t end_psn;                  // one past its last PSN
  std::uint64_t retransmitted_bytes = 0;  // payload sent again (go-back-N, timeouts)
};

struct QueuePair {
  std::unique_ptr<CongestionControl> cc;  // made on the first message sent (Nic::cc_of)
  std::unique_ptr<MrcQp> mrc;             // transport mrc only: EVs and selective repeat
  std::vector<QpMessage> messages;        // not yet fully acknowledged, in PSN order, from msg_head
  sim::Time last_send;                    // start of the last data transmission (pacing)
  sim::Time rto_deadline;
  sim::Time last_cnp = sim::Time::ps(-(1LL << 62));  // long ago: the first CE gets a CNP
  sim::Time echo_sent_at;  // receiver: sent_at of the last data packet, for the next ACK
  std::uint64_t rcv_msg_bytes = 0;
  float echo_utilization = 0.0F;  // receiver: utilization of the last data packet, for the ACK  //
                                  // bytes of the message being received, in order so far
  EndpointId peer = 0;
  std::uint32_t remote_qp = 0;
  std::uint32_t channel = 0;
  std::uint32_t msg_head = 0;    // first live entry of `messages`
  std::uint32_t send_msg = 0;    // entry holding snd_nxt
  std::uint32_t snd_una = 0;     // oldest unacknowledged PSN
  std::uint32_t snd_nxt = 0;     // next PSN to send
  std::uint32_t snd_max = 0;     // one past the highest PSN ever sent
  std::uint32_t snd_end = 0;     // one past the last PSN posted
  std::uint32_t rcv_nxt = 0;     // next PSN expected
  std::uint32_t last_wire = 0;   // wire bytes of the last data transmission
  std::uint16_t unacked_rx = 0;  // in-order packets received since the last ACK
  std::uint16_t entropy = 0;
  std::uint8_t echo_hops = 0;  // receiver: hops of the last data packet, for the next ACK
  std::uint8_t retries = 0;    // timeouts in a row without progress (retry_cnt counts them)
  bool error = false;          // the error state: retries exhausted, every WR flushed
  bool nack_sent = false;      // a NACK for rcv_nxt is outstanding
  bool ce_unechoed = false;    // nic.ce_echo ack: a CE mark the next ACK/NACK must carry
  bool rto_armed = false;
  bool queued = false;  // in the NIC's QpScheduler (ring or paced heap), or the QP in service

  bool has_data() const { return snd_nxt < snd_end; }
};

}  // namespace fabricsim::models
