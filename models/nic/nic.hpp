// A RoCEv2 NIC with one port: Reliable Connection queue pairs, messages segmented to the link
// MTU with PSNs, cumulative ACKs (coalesced every ack_every packets and at the end of each
// message), NACK on out-of-order arrival with go-back-N, the local ACK timeout per QP with its
// retry count (then the QP's error state), CNPs from the
// notification point (at most one per QP per cnp_interval), and round-robin between active QPs,
// each paced at its congestion control's rate (QpScheduler: O(1) per packet, O(log n) when paced).
// With nic.transport mrc the same QPs spray their packets over entropy values and planes (one port
// per plane) with selective repeat instead (models/mrc/).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "models/cc/congestion_control.hpp"
#include "models/nic/message_observer.hpp"
#include "models/nic/qp_scheduler.hpp"
#include "models/nic/queue_pair.hpp"
#include "models/node.hpp"
#include "models/packet.hpp"
#include "models/params.hpp"
#include "models/port.hpp"
#include "sim/simulator.hpp"

namespace fabricsim::models {

struct NicCounters {
  std::uint64_t data_packets_sent = 0;  // retransmissions included
  std::uint64_t retransmissions = 0;    // data packets sent with a PSN sent before
  std::uint64_t timeouts = 0;
  std::uint64_t acks_sent = 0;
  std::uint64_t nacks_sent = 0;
  std::uint64_t cnps_sent = 0;
  std::uint64_t cnps_received = 0;
  std::uint64_t ce_received = 0;       // data packets that arrived ECN-marked
  std::uint64_t packets_received = 0;  // every kind
  std::uint64_t bytes_delivered = 0;   // payload delivered in order, exactly once
  std::uint64_t messages_sent = 0;     // fully acknowledged
  std::uint64_t messages_received = 0;
  std::uint64_t qp_errors = 0;  // requester QPs that went to the error state
  // MRC (nic.transport mrc):
  std::uint64_t trims_received = 0;   // trimmed data packets that arrived (each one NACKed)
  std::uint64_t nacks_received = 0;   // NACKs of trimmed packets: each PSN is sent again
  std::uint64_t packet_timeouts = 0;  // packets declared lost by their retransmit timer
};

class Nic final : public sim::Component, public Node {
 public:
  // Builds a QP's congestion control; called once per QP that sends (never per packet).
  using CcFactory = std::function<std::unique_ptr<CongestionControl>(std::uint64_t line_rate)>;

  // `directory` (owned by the Fabric, indexed by endpoint id) finds the peer NIC when a QP is
  // created; it must outlive the NIC. The default congestion control is make_congestion_control
  // (params.cc, port rate).
  // `ports` > 1 (one per plane of a multi-plane fabric) needs params.transport mrc.
  Nic(sim::Simulator& sim, PacketPool& pool, EndpointId id, const NicParams& params,
      const std::vector<Nic*>& directory, std::uint16_t ports = 1);

  // Starts sending `bytes` to `dst` now on the QP for (dst, channel), created on demand. The
  // observer hears on_message_sent here and on_message_received at `dst`. A message of 0 bytes
  // is one header-only packet.
  MessageId send_message(EndpointId dst, std::uint64_t bytes, std::uint32_t channel,
                         std::uint64_t cookie);
  // Creates (or finds) the QP for (dst, channel) and its peer at `dst`; returns its index here.
  std::uint32_t connect_qp(EndpointId dst, std::uint32_t channel);
  // The QP index for (dst, channel), or -1 when none exists.
  std::int64_t find_qp(EndpointId dst, std::uint32_t channel) const;

  void set_observer(MessageObserver* observer) { observer_ = observer; }
  // Completed messages are appended here (FCTs), when set.
  void set_flow_log(std::vector<FlowRecord>* log) { flow_log_ = log; }
  void set_cc_factory(CcFactory factory) { cc_factory_ = std::move(factory); }
  // Parallel runs: a QP to a NIC of another partition can only be made before the run (the
  // peer's QP table belongs to another thread); connect_qp then throws instead.
  void seal_remote_connections(bool on);
  // Distributed runs: this NIC belongs to a partition another process runs. From now on it
  // keeps only the numbering of its queue pairs (which peer and channel has which index), so
  // that the NICs this process does run learn their peers' QP numbers as a single process
  // would; it keeps no QP state and cannot send. Before any QP is made. Once sealed (no QP can
  // be made with it any more) it forgets the numbering too and keeps only qp_count().
  void keep_qp_numbers_only();
  bool keeps_qp_numbers_only() const { return numbers_only_; }

  // Node
  void receive(Packet* packet, std::uint16_t in_port) override;
  Port& port(std::uint16_t index) override { return index == 0 ? port_ : extra_ports_[index - 1U]; }
  const Port& port() const { return port_; }
  const Port& port_at(std::uint16_t index) const {
    return index == 0 ? port_ : extra_ports_[index - 1U];
  }
  std::uint16_t port_count() const override {
    return static_cast<std::uint16_t>(1 + extra_ports_.size());
  }
  // The sum of the ports' line rates (what a QP's congestion control may use).
  std::uint64_t line_rate_bps() const;
  void on_port_ready(std::uint16_t /*port*/) override { try_send(); }
  // A network link of ours (own port, or a PCIe stage's network side) is detected down: nothing
  // is sent on it (the QPs' timers run on; MRC sends on the other planes); back up: send what
  // waits.
  void on_link_state(std::uint16_t port, bool up) override {
    const std::uint32_t bit = port < 32 ? 1U << port : 0U;
    link_down_ = up ? link_down_ & ~bit : link_down_ | bit;
    if (up) try_send();
  }

  void on_event(std::uint64_t arg) override;

  EndpointId id() const { return id_; }
  const NicParams& params() const { return params_; }
  const NicCounters& counters() const { return counters_; }
  // The QPs of this NIC that went to the error state, in the order they failed.
  const std::vector<QpErrorRecord>& qp_errors() const { return qp_errors_; }
  std::uint32_t qp_count() const { return qp_count_; }
  // Not for a NIC that keeps QP numbers only (nor qp_rate_bps).
  const QueuePair& qp(std::uint32_t index) const { return qps_[index]; }
  // The current sending rate of a QP (its congestion control), in bits/s.
  std::uint64_t qp_rate_bps(std::uint32_t index) { return cc_of(index).rate_bps(now()); }
  // MRC: the EV counters of every QP of this NIC, summed.
  EvCounters ev_counters() const;

 private:
  static constexpr std::uint64_t kWake = 0;
  static constexpr std::uint64_t kRto = 1;

  std::uint32_t create_qp(EndpointId peer, std::uint32_t channel);
  // The QP's congestion control, made on first use: only a requester that sends data needs
  // one (the responder half of every connection never does), so a connection costs one.
  CongestionControl& cc_of(std::uint32_t qp) {
    QueuePair& q = qps_[qp];
    if (!q.cc) [[unlikely]]
      q.cc = cc_factory_(line_rate_bps());
    return *q.cc;
  }
  std::uint32_t accept_qp(EndpointId peer, std::uint32_t remote_qp, std::uint32_t channel);
  void activate(std::uint32_t qp);
  void try_send();
  void send_one(std::uint32_t qp);
  // A data packet of message m at PSN psn, taken from the pool (the caller hands it on).
  Packet* data_packet(const QueuePair& qp, const QpMessage& m, std::uint32_t psn,
                      std::uint16_t entropy, sim::Time t);
  // The counters, pacing state and congestion control hear that `p` leaves now.
  void count_sent(QueuePair& qp, QpMessage& m, const Packet& p, bool resend, sim::Time t);
  // An ACK or NACK carries a pending CE echo (nic.ce_echo ack) and clears it.
  void send_control(PacketKind kind, QueuePair& qp, std::uint32_t psn);
  void on_data(const Packet& packet);
  void on_ack(const Packet& packet, bool nack);
  void on_rto(std::uint32_t qp);
  void fail_qp(std::uint32_t qp);
  void go_back(std::uint32_t qp, std::uint32_t psn);
  void locate_send_message(QueuePair& qp);
  std::uint64_t payload_between(const QueuePair& qp, std::uint32_t from, std::uint32_t to) const;
  void wake_at(sim::Time at);
  void arm_rto(std::uint32_t qp, sim::Time at);
  std::uint32_t payload_of(const QpMessage& m, std::uint32_t psn) const;

  // MRC (models/mrc/mrc_transport.cpp).
  static constexpr std::uint16_t kNoPort = 0xFFFF;
  void try_send_mrc();
  // Sends one packet of QP qi on a port in `free_ports` (bit q = port q); the port used, or
  // kNoPort when no usable EV leads to a free port.
  std::uint16_t send_one_mrc(std::uint32_t qi, std::uint32_t free_ports);
  bool mrc_sendable(const QueuePair& qp) const;
  std::uint32_t free_ports_mask() const;
  void receive_mrc(const Packet& packet, std::uint16_t in_port);
  // The ACK or NACK goes back on the port the data arrived on (its plane).
  void on_data_mrc(const Packet& packet, std::uint16_t in_port);
  void on_ack_mrc(const Packet& packet);
  void on_timer_mrc(std::uint32_t qi);
  void arm_timer_mrc(std::uint32_t qi, sim::Time at);
  void send_control_mrc(PacketKind kind, QueuePair& qp, std::uint32_t sack_psn, std::uint16_t ev,
                        bool ce, std::uint16_t port);
  std::uint32_t message_of(const QueuePair& qp, std::uint32_t psn) const;
  void complete_messages(std::uint32_t qi, sim::Time t);

  Port port_;
  std::vector<Port> extra_ports_;  // ports 1.. of a multi-plane NIC (never reallocated)
  NicParams params_;
  PacketPool* pool_;
  const std::vector<Nic*>* directory_;
  MessageObserver* observer_ = nullptr;
  std::vector<FlowRecord>* flow_log_ = nullptr;
  CcFactory cc_factory_;
  std::vector<QueuePair> qps_;  // empty when numbers_only_
  std::uint32_t qp_count_ = 0;
  static constexpr std::uint32_t kNoQp = 0xFFFFFFFF;
  QpScheduler sched_;                 // QPs with data to send: round-robin ring + heap of paced QPs
  std::uint32_t in_service_ = kNoQp;  // sent from last, still queued: re-enters the ring next
  std::unordered_map<std::uint64_t, std::uint32_t> qp_of_peer_;  // (dst << 32 | channel)
  NicCounters counters_;
  std::vector<QpErrorRecord> qp_errors_;
  sim::Time rto_;  // NicParams::effective_rto(); max() = no timeout
  sim::Time wake_at_ = sim::Time::max();
  std::uint64_t next_message_ = 0;
  EndpointId id_;
  std::uint8_t data_priority_;
  bool sealed_ = false;
  std::uint32_t link_down_ = 0;  // faults: bit q = network link q detected down
  bool numbers_only_ = false;
  bool mrc_ = false;             // params_.transport == kMrc
  std::uint64_t line_rate_ = 0;  // MRC: line_rate_bps(), set when the first QP is made
  // The NIC-wide MRC state, made only for transport mrc (a RoCE NIC stays as small as before).
  struct MrcPlanes {
    std::array<std::uint32_t, 16> rotor{};  // structured EVs: the next path index per plane
    // Per plane, the QPs whose turn is on it (a FIFO from head; vectors allocate when used).
    std::array<std::vector<std::uint32_t>, 16> wait;
    std::array<std::uint32_t, 16> head{};
    std::uint32_t first_plane = 0;  // the plane the next QP to send starts its round on
  };
  std::unique_ptr<MrcPlanes> planes_;
  std::vector<std::uint32_t> expired_;  // MRC: scratch of on_timer_mrc (no allocation per event)
  struct CompletedMessage {
    std::uint64_t cookie;
    std::uint64_t bytes;
  };
  std::vector<CompletedMessage> completed_;  // MRC: scratch of on_data_mrc
};

}  // namespace fabricsim::models
