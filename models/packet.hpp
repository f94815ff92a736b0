// The packet header that travels through the models, and the pool it lives in. A Packet is a
// plain, trivially copyable header (no payload bytes are simulated); it is handed between
// components by pointer and has exactly one owner at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "sim/time.hpp"

namespace fabricsim::models {

using EndpointId = std::uint32_t;

enum class PacketKind : std::uint8_t { kData, kAck, kNack, kCnp, kPause };

// ECN codepoint, reduced to what the models use.
enum class Ecn : std::uint8_t { kNotEct, kEct, kCe };

// Header flags of data packets (RoCE opcodes "first"/"last" of a message).
inline constexpr std::uint8_t kFlagFirst = 1;
inline constexpr std::uint8_t kFlagLast = 2;
// ACK/NACK flag: the acknowledged data packet arrived CE-marked (nic.ce_echo "ack", the CNP
// flag of ns-3 HPCC's ACKs); the sender's reaction point takes it as a CNP.
inline constexpr std::uint8_t kFlagCnp = 4;
// Data flag: a switch trimmed the packet to its header (SwitchParams::trim); its payload is lost.
inline constexpr std::uint8_t kFlagTrimmed = 8;
// MRC data flag: a probe of a retired entropy value (models/mrc/).
inline constexpr std::uint8_t kFlagProbe = 16;

// One cache line per packet: a packet is touched once per hop, usually as a cache miss, and a
// header straddling two lines would cost two.
struct alignas(64) Packet {
  std::uint64_t cookie;  // user cookie of the message a data packet belongs to; MRC ACK/NACK:
                         // the PSN it acknowledges selectively (or NACKs)
  Packet* next;          // intrusive link: queue or free list of the current owner
  EndpointId src;        // sending endpoint (for ACK/NACK/CNP: the receiver of the data)
  EndpointId dst;        // destination endpoint
  std::uint32_t qp;      // destination QP number at `dst` (like the BTH dest QPN)
  std::uint32_t psn;     // data: its PSN; ACK/NACK: the next PSN expected (cumulative)
  std::uint32_t payload_bytes;
  std::uint32_t wire_bytes;    // bytes on the wire, headers included
  std::uint16_t entropy;       // ECMP entropy (the UDP source port of RoCEv2; MRC: the EV,
                               // echoed by its ACK/NACK)
  std::uint16_t in_port;       // set by the node that holds it: the port it arrived on
  std::uint16_t pause_quanta;  // PAUSE: 512-bit-time quanta, 0 = resume
  PacketKind kind;
  std::uint8_t priority;  // traffic class; PAUSE: the class paused
  Ecn ecn;
  std::uint8_t flags;  // data: kFlagFirst / kFlagLast / kFlagTrimmed / kFlagProbe;
                       // ACK/NACK: kFlagCnp
  std::uint8_t hops;   // data: switches it has left; ACK/NACK: those of the data it echoes
  float utilization;   // data: the largest egress utilization on its path (HPCC telemetry,
                       // Switch::enable_utilization_telemetry); ACK/NACK: echoed
  sim::Time sent_at;   // data: when its NIC sent it; ACK/NACK: that of the data it echoes
};
static_assert(std::is_trivially_copyable_v<Packet>);
static_assert(sizeof(Packet) == 64);

// Arena + free list. alloc() hands a packet to the caller, who owns it until it hands it on
// (Port::enqueue, Node::receive) or gives it back with release(). Packets are never freed to
// the heap while the pool lives; steady state does no allocation.
class PacketPool {
 public:
  explicit PacketPool(std::size_t chunk_packets = 4096) : chunk_(chunk_packets) {}
  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;

  // The returned header is zeroed except `next`.
  Packet* alloc() {
    if (free_ == nullptr) [[unlikely]]
      grow();
    Packet* p = free_;
    free_ = p->next;
    ++live_;
    *p = Packet{};
    return p;
  }
  void release(Packet* p) {
    p->next = free_;
    free_ = p;
    --live_;
  }
  // Packets handed out and not yet released (0 at the end of a run that lost none).
  std::size_t live() const { return live_; }
  std::size_t capacity() const { return chunks_.size() * chunk_; }

 private:
  void grow() {
    chunks_.push_back(std::make_unique<Packet[]>(chunk_));
    Packet* chunk = chunks_.back().get();
    for (std::size_t i = chunk_; i-- > 0;) {
      chunk[i].next = free_;
      free_ = &chunk[i];
    }
  }
  std::size_t chunk_;
  std::vector<std::unique_ptr<Packet[]>> chunks_;
  Packet* free_ = nullptr;
  std::size_t live_ = 0;
};

}  // namespace fabricsim::models
