// One direction of a full-duplex link: the egress port of a node with its per-priority FIFO
// queues, serialisation at the link rate, the propagation delay to the peer, and PFC pause
// state per priority (set by PAUSE frames from the peer). On credit-based links (InfiniBand,
// NVLink, PCIe) the queues are virtual lanes: a lane sends only with credits for the peer's
// ingress buffer of that lane, lanes share the wire by weighted round robin, and the port
// returns credits to its peer when its owner frees ingress buffer (return_credits).
//
// Events: a packet that starts transmission schedules exactly one event, its arrival at the
// peer (last bit, or first bit for a cut-through peer, plus the peer's pipeline latency). A
// "kick" event at the end of a transmission is scheduled only while packets wait behind it,
// and at the end of a pause (NIC ports, which pull their data, also get one at the end of each
// transmission). An idle switch hop therefore costs one event per packet.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

#include "models/faults/link_state.hpp"
#include "models/packet.hpp"
#include "models/params.hpp"
#include "sim/parallel.hpp"
#include "sim/rng.hpp"
#include "sim/simulator.hpp"

namespace fabricsim::models {

class Node;

inline constexpr std::uint32_t kMaxPriorities = 4;
inline constexpr std::uint32_t kCutThroughBytes = 64;  // header bytes a cut-through switch needs
inline constexpr std::uint16_t kMaxPauseQuanta = 0xFFFF;
inline constexpr std::uint32_t kPauseFrameBytes = 64;

class Port final : public sim::Component {
 public:
  // `owner` owns this port; packets queued here are owned by the port until they arrive at the
  // peer (or are lost on the link, when the port releases them to `pool`).
  Port(sim::Simulator& sim, PacketPool& pool, Node& owner, std::uint16_t index);

  // Wires this direction to `peer`'s port `peer_port` with the given link parameters.
  void attach(Node& peer, std::uint16_t peer_port, const LinkParams& link, std::uint32_t loss_seed);
  bool connected() const { return peer_ != nullptr; }
  // Parallel runs: the peer lives in another partition; arrivals (with a copy of the packet,
  // which is released here) and credit returns go to `outbox` (not owned) instead of this
  // port's simulator.
  void set_remote(sim::Outbox* outbox) { remote_ = outbox; }
  bool remote() const { return remote_ != nullptr; }
  LinkType link_type() const { return link_type_; }
  // When set (NIC ports), the port calls owner.on_port_ready() at the end of every
  // transmission that leaves it idle, so the owner can pull its next packet just in time.
  void set_notify_idle(bool on) { notify_idle_ = on; }

  // Takes ownership of `packet` and queues it at its priority (clamped to the highest class).
  void enqueue(Packet* packet);
  // Takes ownership of a MAC control frame (PAUSE): sent before any queued data, never paused.
  void send_control(Packet* packet);

  // A PAUSE frame from the peer arrived for `priority`: stop sending that class for `quanta`
  // x 512 bit times (0 resumes at once).
  void on_pause_frame(std::uint8_t priority, std::uint16_t quanta);
  // Pause `priority` until `until` (tests and the PAUSE handler).
  void pause_until(std::uint8_t priority, sim::Time until);
  bool paused(std::uint8_t priority) const { return paused_until_[priority] > now(); }

  // True when a packet enqueued now at `priority` would start transmission at once, credits
  // permitting (on a credit-based link it waits here for them: a counted credit stall).
  bool can_send_now(std::uint8_t priority) const {
    return busy_until_ <= now() && queued_bytes_ == 0 && control_head_ == nullptr &&
           !paused(priority);
  }

  // --- credit-based flow control (credit-based link types only) ---
  // Credits flow towards this port's egress (the peer's ingress buffer is limited).
  bool credit_limited() const { return credits_ != nullptr && credits_->limited; }
  // The owner frees ingress buffer that packets arriving on this port's link held: sends the
  // credits back to the peer's egress, where they arrive one link delay later. `priority` is
  // the packet's service level (mapped to the lane it travelled on). No-op unless the owner
  // advertised an ingress buffer for this port (Node::ingress_credit_bytes).
  void return_credits(std::uint8_t priority, std::uint32_t bytes) {
    if (returns_credits_) send_credits(priority, bytes);
  }
  bool returns_credits() const { return returns_credits_; }
  // Bytes the peer's ingress buffer of lane `vl` can still take (0 when not credit-limited).
  std::uint64_t credits(std::uint8_t vl) const {
    return credit_limited() ? credits_->credits[vl] : 0;
  }
  std::uint8_t vl_of(std::uint8_t priority) const {
    return credits_ == nullptr ? std::min<std::uint8_t>(priority, kMaxPriorities - 1)
                               : credits_->vl_of[priority & 3];
  }
  // Times the port had packets but no lane with enough credits (a stall), and their total time
  // (stalls still open count up to now).
  std::uint64_t credit_stalls() const { return credits_ == nullptr ? 0 : credits_->stalls; }
  sim::Time credit_stall_time() const;
  std::uint64_t tx_bytes_on_vl(std::uint8_t vl) const {
    return credits_ == nullptr ? 0 : credits_->tx_bytes[vl];
  }
  sim::Time busy_until() const { return busy_until_; }

  std::uint64_t rate_bps() const { return rate_bps_; }
  sim::Time delay() const { return delay_; }
  std::uint32_t mtu_bytes() const { return mtu_bytes_; }
  sim::Time serialization(std::uint32_t bytes) const {
    return serialization(ps_per_byte_fp_, bytes);
  }
  // What a port of rate_bps computes: picoseconds per byte in fixed point (rounded up), and
  // the serialization time of `bytes` from it (rounded up to whole picoseconds).
  static std::uint64_t ps_per_byte_fixed_point(std::uint64_t rate_bps);
  static sim::Time serialization(std::uint64_t ps_per_byte_fp, std::uint32_t bytes) {
    return sim::Time::ps(static_cast<std::int64_t>(
        (static_cast<std::uint64_t>(bytes) * ps_per_byte_fp + kFpMask) >> kFpShift));
  }
  std::uint16_t index() const { return index_; }
  Node* peer() const { return peer_; }
  std::uint16_t peer_port() const { return peer_port_; }

  // Probes and counters.
  std::uint64_t queue_bytes() const { return queued_bytes_; }
  std::uint64_t queue_bytes(std::uint8_t priority) const { return queues_[priority].bytes; }
  std::uint64_t max_queue_bytes() const { return max_queued_bytes_; }
  std::uint64_t tx_bytes() const { return tx_bytes_; }
  std::uint64_t tx_packets() const { return tx_packets_; }
  std::uint64_t lost_packets() const { return lost_packets_; }
  std::uint64_t pause_frames_received() const { return pause_frames_received_; }

  // --- faults (models/faults/): inert until enable_faults() ---
  // Gives the port its fault state (before the run; idempotent).
  void enable_faults();
  // Packets this port sends are checked on arrival against `reverse`, the peer's port on the
  // same link (its partition runs the arrival): one that was on the wire when the link failed
  // is lost (counted by `reverse`). `reverse` must have enable_faults().
  void watch_arrivals(Port& reverse) { arrival_watch_ = &reverse; }
  const PortFault* fault() const { return fault_.get(); }
  LinkState link_state() const { return fault_ == nullptr ? LinkState::kUp : fault_->state; }
  // The signal is lost: what the port transmits from now on, and what is on the wire, is lost.
  void fail_link();
  // The failure is detected: the queued packets are lost, the port refuses new ones, PAUSE
  // state is cleared, and the owner hears Node::on_link_state(index, false).
  void detect_link_down();
  // The link works again (trained): the owner hears Node::on_link_state(index, true).
  void restore_link();
  // A degraded link: another rate (from the next transmission) or loss rate (0 = none).
  void set_rate(std::uint64_t rate_bps);
  void set_loss_rate(double loss_rate, std::uint32_t loss_seed);
  double loss_rate() const { return loss_rate_; }

  void on_event(std::uint64_t arg) override;

 private:
  struct Fifo {
    Packet* head = nullptr;
    Packet* tail = nullptr;
    std::uint64_t bytes = 0;
  };
  static constexpr int kFpShift = 20;
  static constexpr std::uint64_t kFpMask = (1ULL << kFpShift) - 1;
  static constexpr std::uint64_t kKick = 1;    // event args: kKick, a credit return (low bits
  static constexpr std::uint64_t kCredit = 2;  // kCredit) or a Packet pointer (64-aligned)
  static constexpr std::uint32_t kMaxCreditHeaderBytes = 128;  // a credit buffer holds MTU + this
  static constexpr std::uint64_t kUnlimitedCredits = 1ULL << 62;

  // Egress state of a port on a credit-based link (allocated only for those). Both directions
  // of a link share its parameters, so vl_of also tells the lane a packet arrived on.
  struct CreditState {
    std::array<std::uint64_t, kMaxPriorities> credits{};   // per lane, bytes
    std::array<std::int64_t, kMaxPriorities> deficit{};    // deficit round robin
    std::array<std::uint32_t, kMaxPriorities> quantum{};   // weight x MTU
    std::array<std::uint64_t, kMaxPriorities> tx_bytes{};  // per lane
    std::array<std::uint8_t, 4> vl_of{};                   // service level -> lane
    Port* upstream = nullptr;  // the peer's egress that sends to us (credit returns)
    std::uint8_t current = 0;  // lane being served
    bool limited = false;      // the peer advertised a finite buffer (else credits never run out)
    bool stalled = false;
    sim::Time stalled_since;
    sim::Time stall_time;
    std::uint64_t stalls = 0;
  };

  void try_start();
  void try_start_credits();
  void send_credits(std::uint8_t priority, std::uint32_t bytes);
  void on_credits(std::uint64_t arg);
  void transmit(Packet* packet);
  void kick_at(sim::Time at);
  void refuse(Packet* packet);     // down: the packet is lost (owner's accounting released)
  void blackhole(Packet* packet);  // failed: lost on the wire (credits given back)
  void give_back_credits(const Packet& packet);  // lost here: its credits are free again
  bool lost_in_flight(const Packet& packet);     // arrival check against arrival_watch_
  void send_remote(sim::Time at, EventHandler& target, std::uint64_t arg, const Packet* packet);

  // Hot fields first (touched per packet), so they share the object's first cache lines.
  sim::Time busy_until_;
  sim::Time kick_at_ = sim::Time::max();
  std::uint64_t queued_bytes_ = 0;
  std::uint64_t ps_per_byte_fp_ = 0;  // picoseconds per byte, fixed point (kFpShift bits)
  sim::Time arrival_offset_;          // delay + peer pipeline latency
  Node* owner_;
  Node* peer_ = nullptr;
  sim::Outbox* remote_ = nullptr;     // the peer's partition's inbox from ours (parallel runs)
  std::unique_ptr<PortFault> fault_;  // only for ports a fault timeline touches (one branch)
  Port* arrival_watch_ = nullptr;     // the peer's port of this link, when faults may hit it
  std::uint16_t index_;
  std::uint16_t peer_port_ = 0;
  bool peer_cut_through_ = false;
  bool notify_idle_ = false;
  bool returns_credits_ = false;
  LinkType link_type_ = LinkType::kEthernet;
  std::uint32_t mtu_bytes_ = 0;
  std::uint32_t pause_frames_received_ = 0;
  std::array<Fifo, kMaxPriorities> queues_{};
  std::uint64_t tx_bytes_ = 0;
  std::uint64_t tx_packets_ = 0;
  std::uint64_t max_queued_bytes_ = 0;
  Packet* control_head_ = nullptr;
  Packet* control_tail_ = nullptr;
  std::array<sim::Time, kMaxPriorities> paused_until_{};
  // Cold.
  PacketPool* pool_;
  std::uint64_t rate_bps_ = 0;
  sim::Time delay_;
  std::uint64_t lost_packets_ = 0;
  double loss_rate_ = 0.0;
  std::unique_ptr<sim::Rng> loss_rng_;    // only for lossy links
  std::unique_ptr<CreditState> credits_;  // only for credit-based links
};

}  // namespace fabricsim::models
