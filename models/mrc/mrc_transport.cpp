// The MRC transport of the NIC (nic.transport mrc): per-packet EVs over the planes' ports,
// out-of-order placement with a selective ACK per packet, NACK of trimmed packets, selective
// resends and a retransmit timer per packet; EV path state from ECN, trims and losses.
#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "models/nic/nic.hpp"

namespace fabricsim::models {

bool Nic::mrc_sendable(const QueuePair& qp) const {
  if (qp.error) return false;
  const MrcQp& m = *qp.mrc;
  return m.send.resend_pending() ||
         (qp.snd_nxt < qp.snd_end && qp.snd_nxt - qp.snd_una < params_.mrc.max_outstanding);
}

std::uint32_t Nic::free_ports_mask() const {
  std::uint32_t mask = 0;
  for (std::uint16_t q = 0; q < port_count(); ++q) {
    if ((link_down_ >> q & 1U) == 0 && port_at(q).can_send_now(data_priority_)) mask |= 1U << q;
  }
  return mask;
}

EvCounters Nic::ev_counters() const {
  EvCounters sum;
  for (const QueuePair& qp : qps_) {
    if (!qp.mrc) continue;
    const EvCounters& c = qp.mrc->evs.counters();
    sum.swaps += c.swaps;
    sum.retirements += c.retirements;
    sum.probes += c.probes;
    sum.revivals += c.revivals;
  }
  return sum;
}

void Nic::try_send_mrc() {
  std::uint32_t free = free_ports_mask();
  if (free == 0) return;
  const sim::Time t = now();
  sched_.release_due(t);  // (in_service_ is RoCE's: an MRC QP goes back to the ring at once)
  // A plane detected down serves nobody: its waiting QPs go back to the ring.
  for (std::uint16_t q = 0; q < port_count(); ++q) {
    if ((link_down_ >> q & 1U) == 0) continue;
    for (std::size_t i = planes_->head[q]; i < planes_->wait[q].size(); ++i)
      sched_.push_ready(planes_->wait[q][i]);
    planes_->wait[q].clear();
    planes_->head[q] = 0;
  }
  // Fill every free port: first with the QPs waiting for that plane (their turn is on it), then
  // round-robin over the ready QPs; one whose turn is on a busy plane waits in that plane's
  // queue (O(1) per packet however many QPs a NIC has).
  while (free != 0) {
    std::uint32_t qi = kNoQp;
    for (std::uint32_t bits = free; bits != 0; bits &= bits - 1) {
      const auto q = static_cast<std::size_t>(std::countr_zero(bits));
      std::vector<std::uint32_t>& wait = planes_->wait[q];
      std::uint32_t& head = planes_->head[q];
      if (head < wait.size()) {
        qi = wait[head++];
        if (head == wait.size()) {  // drained: reuse from the start
          wait.clear();
          head = 0;
        }
        break;
      }
    }
    if (qi == kNoQp) {
      if (!sched_.has_ready()) break;
      qi = sched_.pop_ready();
    }
    QueuePair& qp = qps_[qi];
    if (!mrc_sendable(qp)) {
      qp.queued = false;
      continue;
    }
    CongestionControl& cc = *qp.cc;
    // Pacing below the line rate only: at the line rate the ports' own serialization paces, and
    // a QP paced at the sum of its ports' rates would leave a port idle whenever they drift.
    const std::uint64_t rate = cc.rate_bps(t);
    if (qp.last_wire != 0 && rate < line_rate_) {
      const sim::Time ready = qp.last_send + sim::serialization_time(qp.last_wire, rate);
      if (ready > t) {
        const sim::Time change = cc.next_change(t);
        sched_.push_paced(qi, change > t ? std::min(ready, change) : ready);
        continue;
      }
    }
    const std::uint64_t window = cc.window_bytes();
    if (window != std::numeric_limits<std::uint64_t>::max() &&
        static_cast<std::uint64_t>(qp.mrc->send.in_flight()) * port_.mtu_bytes() >= window) {
      qp.queued = false;  // an ACK activates it again
      continue;
    }
    const std::uint16_t used = send_one_mrc(qi, free);
    if (used == kNoPort) {
      // Its turn is on a busy plane: wait for that port; no usable EV (every one retired and
      // no probe due): wait for the first probe.
      const MrcQp& m = *qps_[qi].mrc;
      const std::uint32_t up = ~link_down_ & ((1U << port_count()) - 1U);
      const std::uint32_t plane = m.evs.next_plane(up, t);
      if (plane < port_count()) {
        planes_->wait[plane].push_back(qi);
      } else {
        sched_.push_paced(qi, std::max(m.evs.next_probe(), t + sim::Time::ps(1)));
      }
      continue;
    }
    free &= ~(1U << used);
    if (mrc_sendable(qps_[qi])) {
      sched_.push_ready(qi);
    } else {
      qps_[qi].queued = false;
    }
  }
  const sim::Time due = sched_.next_due();
  if (due != sim::Time::max()) wake_at(due);
}

std::uint32_t Nic::message_of(const QueuePair& qp, std::uint32_t psn) const {
  const auto first = qp.messages.begin() + qp.msg_head;
  const auto it =
      std::upper_bound(first, qp.messages.end(), psn,
                       [](std::uint32_t p, const QpMessage& m) { return p < m.end_psn; });
  return static_cast<std::uint32_t>(it - qp.messages.begin());
}

std::uint16_t Nic::send_one_mrc(std::uint32_t qi, std::uint32_t free_ports) {
  QueuePair& qp = qps_[qi];
  MrcQp& m = *qp.mrc;
  const sim::Time t = now();
  std::uint32_t psn = 0;
  const bool resend = m.send.front_resend(psn);
  if (!resend) psn = qp.snd_nxt;
  bool probe = false;
  const std::uint32_t up = ~link_down_ & ((1U << port_count()) - 1U);
  const std::uint32_t slot =
      m.evs.pick(up, free_ports, t, params_.mrc.probe_after, probe,
                 params_.mrc.paths == MrcPaths::kStructured ? planes_->rotor.data() : nullptr);
  if (slot == EvSet::kNone) return kNoPort;
  const auto port_index = static_cast<std::uint16_t>(m.evs.plane(slot));
  const std::uint16_t ev = m.evs.ev(slot);
  std::uint32_t mi = 0;
  if (resend) {
    m.send.pop_resend();
    mi = message_of(qp, psn);
  } else {
    mi = qp.send_msg;
  }
  QpMessage& msg = qp.messages[mi];
  Packet* p = data_packet(qp, msg, psn, ev, t);
  if (probe) p->flags |= kFlagProbe;
  m.send.on_send(psn, t, static_cast<std::uint16_t>(slot), ev);
  if (!resend) {
    if (++qp.snd_nxt == msg.end_psn) ++qp.send_msg;
    qp.snd_max = qp.snd_nxt;
  }
  count_sent(qp, msg, *p, resend, t);
  if (!m.timer_armed) arm_timer_mrc(qi, t + params_.mrc.rto);
  port(port_index).enqueue(p);
  return port_index;
}

void Nic::arm_timer_mrc(std::uint32_t qi, sim::Time at) {
  qps_[qi].mrc->timer_armed = true;
  schedule_at(at, *this, (static_cast<std::uint64_t>(qi) << 1) | kRto);
}

void Nic::send_control_mrc(PacketKind kind, QueuePair& qp, std::uint32_t sack_psn, std::uint16_t ev,
                           bool ce, std::uint16_t out_port) {
  Packet* p = pool_->alloc();
  p->kind = kind;
  p->sent_at = qp.echo_sent_at;
  p->hops = qp.echo_hops;
  p->utilization = qp.echo_utilization;
  p->flags = ce ? kFlagCnp : 0;
  p->src = id_;
  p->dst = qp.peer;
  p->qp = qp.remote_qp;
  p->psn = qp.mrc->recv.next();
  p->cookie = sack_psn;
  p->wire_bytes = params_.ack_bytes;
  p->priority = 0;
  p->ecn = Ecn::kNotEct;
  p->entropy = ev;  // back along the EV it acknowledges: its plane, hashed by the same EV
  port(out_port).enqueue(p);
}

void Nic::receive_mrc(const Packet& packet, std::uint16_t in_port) {
  if (packet.kind == PacketKind::kData) {
    on_data_mrc(packet, in_port);
  } else if (packet.kind == PacketKind::kAck || packet.kind == PacketKind::kNack) {
    on_ack_mrc(packet);
  }
}

void Nic::on_data_mrc(const Packet& packet, std::uint16_t in_port) {
  const std::uint32_t qi = packet.qp;
  QueuePair& qp = qps_[qi];
  MrcQp& m = *qp.mrc;
  const std::uint16_t reply_port =
      static_cast<std::uint16_t>(std::min<std::uint32_t>(in_port, port_count() - 1U));
  qp.echo_sent_at = packet.sent_at;
  qp.echo_hops = packet.hops;
  qp.echo_utilization = packet.utilization;
  if ((packet.flags & kFlagTrimmed) != 0) {
    ++counters_.trims_received;
    ++counters_.nacks_sent;
    send_control_mrc(PacketKind::kNack, qp, packet.psn, packet.entropy, false, reply_port);
    return;
  }
  const bool ce = packet.ecn == Ecn::kCe;
  if (ce) ++counters_.ce_received;
  const bool placed = m.recv.place(packet.psn, packet.payload_bytes, packet.flags, packet.cookie,
                                   params_.mrc.max_outstanding);
  ++counters_.acks_sent;
  if (ce) ++counters_.cnps_sent;
  if (!placed) {
    // A duplicate (its ACK was late or lost, or a timer fired early): acknowledge it again.
    send_control_mrc(PacketKind::kAck, qp, packet.psn, packet.entropy, ce, reply_port);
    return;
  }
  counters_.bytes_delivered += packet.payload_bytes;
  // The messages whose last PSN the cumulative point passes complete, in order; the bytes of
  // each are those placed since the previous one's last PSN (the window pops in PSN order).
  completed_.clear();
  PlacedPacket done;
  while (m.recv.pop(done)) {
    qp.rcv_msg_bytes += done.payload;
    if ((done.flags & kFlagLast) == 0) continue;
    completed_.push_back({done.cookie, qp.rcv_msg_bytes});
    qp.rcv_msg_bytes = 0;
  }
  qp.rcv_nxt = m.recv.next();
  send_control_mrc(PacketKind::kAck, qp, packet.psn, packet.entropy, ce, reply_port);
  // The observer may post messages (and make QPs): no reference into qps_ is used from here.
  // It never receives packets, so completed_ is not touched under it.
  const EndpointId peer = qp.peer;
  const sim::Time t = now();
  for (const CompletedMessage& c : completed_) {
    ++counters_.messages_received;
    if (observer_ != nullptr) observer_->on_message_received(id_, peer, c.cookie, c.bytes, t);
  }
}

void Nic::on_ack_mrc(const Packet& packet) {
  const std::uint32_t qi = packet.qp;
  const sim::Time t = now();
  {
    QueuePair& qp = qps_[qi];
    if (qp.error) return;  // late feedback of a failed QP changes nothing
    MrcQp& m = *qp.mrc;
    const auto psn = static_cast<std::uint32_t>(packet.cookie);
    const bool ce = (packet.flags & kFlagCnp) != 0;
    if (ce) ++counters_.cnps_received;
    if (packet.kind == PacketKind::kNack) {
      // Its header was trimmed on a congested queue: send exactly that PSN again, on another
      // EV than the congested one.
      ++counters_.nacks_received;
      if (m.send.mark_lost(psn)) {
        const SentPacket& s = m.send.at(psn);
        m.evs.on_congestion(s.slot, s.ev);
        cc_of(qi).on_loss(t, static_cast<std::uint32_t>(params_.header_bytes + port_.mtu_bytes()));
      }
    } else {
      SentPacket s;
      std::uint64_t acked = 0;
      if (m.send.acknowledge(psn, &s)) {
        m.evs.on_delivered(s.slot, s.ev, s.sent_at);  // a probe that came back revives its EV
        if (ce && params_.mrc.swap_on_ecn) m.evs.on_congestion(s.slot, s.ev);
        acked = payload_of(qp.messages[message_of(qp, psn)], psn);
      }
      if (ce && params_.cc.algorithm == CcAlgorithm::kDcqcn &&
          t - m.last_cnp >= params_.cnp_interval) {
        // DCQCN's reaction point hears CNPs at most once per cnp_interval, as from a NIC's NP.
        m.last_cnp = t;
        cc_of(qi).on_cnp(t);
      }
      cc_of(qi).on_ack(t, acked,
                       AckFeedback{t - packet.sent_at, packet.hops,
                                   static_cast<double>(packet.utilization), ce});
    }
    // The cumulative point: every PSN below it is placed at the receiver.
    if (packet.psn - qp.snd_una <= qp.snd_nxt - qp.snd_una && packet.psn != qp.snd_una) {
      m.send.advance(packet.psn);
      qp.snd_una = packet.psn;
      qp.retries = 0;
    } else {
      // The peer answers (a packet got through, or its header did): the connection is alive,
      // whatever the congestion.
      qp.retries = 0;
    }
  }
  complete_messages(qi, t);
  activate(qi);
  try_send();
}

void Nic::on_timer_mrc(std::uint32_t qi) {
  QueuePair& qp = qps_[qi];
  MrcQp& m = *qp.mrc;
  m.timer_armed = false;
  if (qp.error) return;
  const sim::Time t = now();
  const sim::Time rto = params_.mrc.rto;
  expired_.clear();
  const sim::Time earliest = m.send.expired(t - rto, expired_);
  if (!expired_.empty()) {
    // Losses: each packet is sent again and its EV retired until a probe finds it good. The
    // retry count counts timer periods without any ACK (as a local ACK timeout does), not
    // packets: retry_count + 1 periods of silence put the QP in the error state.
    ++counters_.timeouts;
    if (t - m.last_timeout >= rto) {
      if (qp.retries >= params_.retry_count) {
        fail_qp(qi);
        return;
      }
      ++qp.retries;
      m.last_timeout = t;
    }
    for (const std::uint32_t psn : expired_) {
      const SentPacket& s = m.send.at(psn);
      m.evs.on_loss(s.slot, s.ev, t, params_.mrc.probe_after);
      m.send.mark_lost(psn);
      ++counters_.packet_timeouts;
      cc_of(qi).on_loss(t, static_cast<std::uint32_t>(params_.header_bytes + port_.mtu_bytes()));
    }
    activate(qi);
  }
  if (earliest != sim::Time::max()) arm_timer_mrc(qi, earliest + rto);
  if (!expired_.empty()) try_send();
}

}  // namespace fabricsim::models
