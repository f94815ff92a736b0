// RoCEv2 RC requester and responder logic of the NIC.
#include "models/nic/nic.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "models/cc/factory.hpp"

namespace fabricsim::models {

Nic::Nic(sim::Simulator& sim, PacketPool& pool, EndpointId id, const NicParams& params,
         const std::vector<Nic*>& directory, std::uint16_t ports)
    : sim::Component(sim),
      port_(sim, pool, *this, 0),
      params_(params),
      pool_(&pool),
      directory_(&directory),
      rto_(params.effective_rto()),
      id_(id),
      data_priority_(static_cast<std::uint8_t>(
          std::min<std::uint32_t>(params.data_priority, kMaxPriorities - 1))) {
  if (params_.ack_every == 0) throw std::invalid_argument("nic.ack_every must be at least 1");
  if (params_.retry_count > 7) throw std::invalid_argument("nic.retry_count must be 0..7");
  mrc_ = params_.transport == NicTransport::kMrc;
  if (ports == 0 || ports > 16 || (ports > 1 && !mrc_)) {
    throw std::invalid_argument(fmt::format(
        "NIC {}: {} ports; a NIC has 1 port, or 1 to 16 (one per plane) with transport mrc", id,
        ports));
  }
  if (mrc_ && (params_.mrc.evs < ports || params_.mrc.max_outstanding == 0)) {
    throw std::invalid_argument(fmt::format(
        "NIC {}: nic.mrc.evs must be at least the number of planes ({}) and max_outstanding >= 1",
        id, ports));
  }
  port_.set_notify_idle(true);
  if (mrc_) {
    planes_ = std::make_unique<MrcPlanes>();
    // Structured EVs: each NIC starts its rotation over a plane's paths at its own index, so
    // that NICs do not walk the spines in step.
    for (std::uint32_t q = 0; q < planes_->rotor.size(); ++q) {
      std::uint64_t r = (static_cast<std::uint64_t>(id) << 8 | q) * 0x9E3779B97F4A7C15ULL;
      r ^= r >> 31;
      planes_->rotor[q] = static_cast<std::uint32_t>(r >> 40);
    }
  }
  extra_ports_.reserve(ports - 1U);  // never reallocated: events point at ports
  for (std::uint16_t p = 1; p < ports; ++p) {
    extra_ports_.emplace_back(sim, pool, *this, p);
    extra_ports_.back().set_notify_idle(true);
  }
  const CcParams cc = params_.cc;
  // The QP's MTU is the port's, known once the NIC is attached (cc_of runs after that).
  cc_factory_ = [cc, this](std::uint64_t line_rate) {
    return make_congestion_control(cc, line_rate, port_.mtu_bytes());
  };
}

std::int64_t Nic::find_qp(EndpointId dst, std::uint32_t channel) const {
  const auto it = qp_of_peer_.find((static_cast<std::uint64_t>(dst) << 32) | channel);
  return it == qp_of_peer_.end() ? -1 : static_cast<std::int64_t>(it->second);
}

void Nic::seal_remote_connections(bool on) {
  sealed_ = on;
  // Nothing this process runs can connect to a number-only NIC any more: its numbering is
  // no longer needed (on a 131,072-GPU all-to-all, ~40 bytes for each of ~8 M QPs).
  if (on && numbers_only_) decltype(qp_of_peer_)().swap(qp_of_peer_);
}

void Nic::keep_qp_numbers_only() {
  if (qp_count_ != 0) throw std::logic_error("Nic::keep_qp_numbers_only: QPs exist already");
  numbers_only_ = true;
}

std::uint32_t Nic::create_qp(EndpointId peer, std::uint32_t channel) {
  if (!port_.connected()) {
    throw std::logic_error(fmt::format("NIC {} has no link: connect it before sending", id_));
  }
  const std::uint32_t index = qp_count_++;
  qp_of_peer_.emplace((static_cast<std::uint64_t>(peer) << 32) | channel, index);
  if (numbers_only_) return index;
  QueuePair& qp = qps_.emplace_back();
  qp.peer = peer;
  qp.channel = channel;
  // A fixed UDP source port per QP, as RoCEv2 NICs do: the ECMP entropy of the connection.
  std::uint64_t h = (static_cast<std::uint64_t>(id_) << 32 | index) * 0x9E3779B97F4A7C15ULL;
  h ^= h >> 29;
  qp.entropy = static_cast<std::uint16_t>(h >> 48);
  if (mrc_) {
    line_rate_ = line_rate_bps();  // the ports are wired by now
    // MRC: the seed of the QP's EVs (the scenario's seed and the QP's identity); the EVs
    // themselves are made on its first message (a responder never needs them).
    qp.mrc = std::make_unique<MrcQp>();
    qp.mrc->ev_seed = h ^ (simulator().seed() * 0xD1B54A32D192ED03ULL);
  }
  return index;
}

std::uint32_t Nic::connect_qp(EndpointId dst, std::uint32_t channel) {
  const std::int64_t existing = find_qp(dst, channel);
  if (existing >= 0) return static_cast<std::uint32_t>(existing);
  if (dst >= directory_->size() || (*directory_)[dst] == nullptr || dst == id_) {
    throw std::invalid_argument(fmt::format("NIC {}: no peer endpoint {}", id_, dst));
  }
  if (sealed_ && &(*directory_)[dst]->simulator() != &simulator()) {
    throw std::logic_error(fmt::format(
        "NIC {}: a queue pair to NIC {} (another partition) during a parallel run; parallel runs "
        "connect their queue pairs before the run",
        id_, dst));
  }
  const std::uint32_t local = create_qp(dst, channel);
  const std::uint32_t remote = (*directory_)[dst]->accept_qp(id_, local, channel);
  if (!numbers_only_) qps_[local].remote_qp = remote;
  return local;
}

std::uint32_t Nic::accept_qp(EndpointId peer, std::uint32_t remote_qp, std::uint32_t channel) {
  const std::int64_t existing = find_qp(peer, channel);
  const std::uint32_t local =
      existing >= 0 ? static_cast<std::uint32_t>(existing) : create_qp(peer, channel);
  if (!numbers_only_) qps_[local].remote_qp = remote_qp;
  return local;
}

MessageId Nic::send_message(EndpointId dst, std::uint64_t bytes, std::uint32_t channel,
                            std::uint64_t cookie) {
  if (numbers_only_) [[unlikely]] {
    throw std::logic_error(fmt::format(
        "NIC {} belongs to a partition another process runs: it cannot send here", id_));
  }
  const std::uint32_t qi = connect_qp(dst, channel);
  QueuePair& qp = qps_[qi];
  if (qp.error) [[unlikely]] {
    // A QP in the error state flushes what is posted to it: the message never completes.
    for (auto it = qp_errors_.rbegin(); it != qp_errors_.rend(); ++it) {
      if (it->peer == dst && it->channel == channel) {
        ++it->flushed_messages;
        break;
      }
    }
    return (static_cast<MessageId>(id_) << 40) | next_message_++;
  }
  const std::uint64_t mtu = port_.mtu_bytes();
  const auto packets =
      static_cast<std::uint32_t>(std::max<std::uint64_t>(1, (bytes + mtu - 1) / mtu));
  if (qp.msg_head == qp.messages.size()) {
    qp.messages.clear();
    qp.msg_head = 0;
    qp.send_msg = 0;
  } else if (qp.msg_head >= 64 && qp.msg_head * 2 >= qp.messages.size()) {
    qp.messages.erase(qp.messages.begin(), qp.messages.begin() + qp.msg_head);
    qp.send_msg -= qp.msg_head;
    qp.msg_head = 0;
  }
  cc_of(qi);  // a sender from now on (the constructor depends on nothing but the line rate)
  if (mrc_ && qp.mrc->evs.size() == 0) [[unlikely]] {
    qp.mrc->evs.init(params_.mrc.evs, port_count(), qp.mrc->ev_seed,
                     params_.mrc.paths == MrcPaths::kStructured, planes_->first_plane++);
  }
  qp.messages.push_back(QpMessage{cookie, bytes, now(), qp.snd_end, qp.snd_end + packets});
  qp.snd_end += packets;
  activate(qi);
  try_send();
  return (static_cast<MessageId>(id_) << 40) | next_message_++;
}

void Nic::activate(std::uint32_t qi) {
  QueuePair& qp = qps_[qi];
  if (qp.queued || !(mrc_ ? mrc_sendable(qp) : qp.has_data())) return;
  qp.queued = true;
  sched_.push_ready(qi);
}

void Nic::wake_at(sim::Time at) {
  if (at >= wake_at_) return;  // an earlier wake is pending and will re-evaluate
  wake_at_ = at;
  schedule_at(at, *this, kWake);
}

std::uint64_t Nic::line_rate_bps() const {
  std::uint64_t rate = port_.rate_bps();
  for (const Port& p : extra_ports_)
    rate += p.rate_bps();
  return rate;
}

void Nic::try_send() {
  if (mrc_) [[unlikely]] {
    try_send_mrc();
    return;
  }
  if (!port_.can_send_now(data_priority_)) return;
  // Our link is detected down: nothing leaves (on_link_state resumes); the QPs' timers run on.
  if (link_down_ != 0) [[unlikely]]
    return;
  const sim::Time t = now();
  sched_.release_due(t);
  // The QP served last goes behind every QP that became ready meanwhile (activated, or released
  // from the paced heap): round-robin among all QPs ready now.
  if (in_service_ != kNoQp) {
    sched_.push_ready(in_service_);
    in_service_ = kNoQp;
  }
  // Each QP popped here is sent from, parked until it may be ready, or dropped from the
  // scheduler (nothing to send, or window-blocked until an ACK re-activates it): O(1) per QP.
  while (sched_.has_ready()) {
    const std::uint32_t qi = sched_.pop_ready();
    QueuePair& qp = qps_[qi];
    if (!qp.has_data()) {
      qp.queued = false;  // an ACK moved snd_nxt to the end while it waited
      continue;
    }
    CongestionControl& cc = *qp.cc;
    if (qp.last_wire != 0) {
      const sim::Time ready = qp.last_send + sim::serialization_time(qp.last_wire, cc.rate_bps(t));
      if (ready > t) {
        // Look again at its next slot, or earlier when a timer may raise its rate.
        const sim::Time change = cc.next_change(t);
        sched_.push_paced(qi, change > t ? std::min(ready, change) : ready);
        continue;
      }
    }
    const std::uint64_t window = cc.window_bytes();
    if (window != std::numeric_limits<std::uint64_t>::max() &&
        static_cast<std::uint64_t>(qp.snd_nxt - qp.snd_una) * port_.mtu_bytes() >= window) {
      qp.queued = false;  // on_ack activates it again
      continue;
    }
    send_one(qi);
    if (qps_[qi].has_data()) {
      in_service_ = qi;  // back in the ring at the next try_send
    } else {
      qps_[qi].queued = false;
    }
    return;
  }
  const sim::Time due = sched_.next_due();
  if (due != sim::Time::max()) wake_at(due);
}

std::uint32_t Nic::payload_of(const QpMessage& m, std::uint32_t psn) const {
  const std::uint64_t mtu = port_.mtu_bytes();
  const std::uint64_t offset = static_cast<std::uint64_t>(psn - m.first_psn) * mtu;
  return static_cast<std::uint32_t>(std::min(mtu, m.bytes - std::min(m.bytes, offset)));
}

Packet* Nic::data_packet(const QueuePair& qp, const QpMessage& m, std::uint32_t psn,
                         std::uint16_t entropy, sim::Time t) {
  Packet* p = pool_->alloc();
  p->kind = PacketKind::kData;
  p->src = id_;
  p->dst = qp.peer;
  p->qp = qp.remote_qp;
  p->psn = psn;
  p->payload_bytes = payload_of(m, psn);
  p->wire_bytes = p->payload_bytes + params_.header_bytes;
  p->priority = data_priority_;
  p->ecn = Ecn::kEct;
  p->entropy = entropy;
  p->cookie = m.cookie;
  p->sent_at = t;
  p->flags = static_cast<std::uint8_t>((psn == m.first_psn ? kFlagFirst : 0) |
                                       (psn + 1 == m.end_psn ? kFlagLast : 0));
  return p;
}

void Nic::count_sent(QueuePair& qp, QpMessage& m, const Packet& p, bool resend, sim::Time t) {
  if (resend) {
    ++counters_.retransmissions;
    m.retransmitted_bytes += p.payload_bytes;
  }
  ++counters_.data_packets_sent;
  qp.last_send = t;
  qp.last_wire = p.wire_bytes;
  qp.cc->on_send(t, p.wire_bytes);
}

void Nic::send_one(std::uint32_t qi) {
  QueuePair& qp = qps_[qi];
  QpMessage& m = qp.messages[qp.send_msg];
  const std::uint32_t psn = qp.snd_nxt;
  const sim::Time t = now();
  Packet* p = data_packet(qp, m, psn, qp.entropy, t);
  if (++qp.snd_nxt == m.end_psn) ++qp.send_msg;
  if (qp.snd_una == qp.snd_max) qp.rto_deadline = t + rto_;  // first outstanding packet
  const bool resend = psn < qp.snd_max;
  if (!resend) qp.snd_max = psn + 1;
  count_sent(qp, m, *p, resend, t);
  if (!qp.rto_armed && rto_ != sim::Time::max()) arm_rto(qi, qp.rto_deadline);
  port_.enqueue(p);
}

void Nic::arm_rto(std::uint32_t qi, sim::Time at) {
  qps_[qi].rto_armed = true;
  schedule_at(at, *this, (static_cast<std::uint64_t>(qi) << 1) | kRto);
}

void Nic::send_control(PacketKind kind, QueuePair& qp, std::uint32_t psn) {
  Packet* p = pool_->alloc();
  p->kind = kind;
  if (kind != PacketKind::kCnp) {
    p->sent_at = qp.echo_sent_at;  // the delay sample of the data it acknowledges
    p->hops = qp.echo_hops;
    p->utilization = qp.echo_utilization;
    if (qp.ce_unechoed) {
      qp.ce_unechoed = false;
      ++counters_.cnps_sent;
      p->flags = kFlagCnp;
    }
  }
  p->src = id_;
  p->dst = qp.peer;
  p->qp = qp.remote_qp;
  p->psn = psn;
  p->wire_bytes = params_.ack_bytes;
  p->priority = 0;
  p->ecn = Ecn::kNotEct;
  p->entropy = qp.entropy;
  port_.enqueue(p);
}

void Nic::receive(Packet* packet, std::uint16_t in_port) {
  ++counters_.packets_received;
  if (packet->kind == PacketKind::kPause) {
    port(in_port).on_pause_frame(packet->priority, packet->pause_quanta);
  } else if (mrc_) [[unlikely]] {
    if (packet->qp < qps_.size()) receive_mrc(*packet, in_port);
  } else if (packet->qp < qps_.size()) {
    switch (packet->kind) {
      case PacketKind::kData:
        on_data(*packet);
        break;
      case PacketKind::kAck:
      case PacketKind::kNack:
        if ((packet->flags & kFlagCnp) != 0) {
          ++counters_.cnps_received;
          cc_of(packet->qp).on_cnp(now());
        }
        on_ack(*packet, packet->kind == PacketKind::kNack);
        break;
      case PacketKind::kCnp:
        ++counters_.cnps_received;
        cc_of(packet->qp).on_cnp(now());
        break;
      case PacketKind::kPause:
        break;
    }
  }
  pool_->release(packet);
}

void Nic::on_data(const Packet& packet) {
  const std::uint32_t qi = packet.qp;
  QueuePair& qp = qps_[qi];
  const sim::Time t = now();
  if ((packet.flags & kFlagTrimmed) != 0) [[unlikely]] {
    // A trimmed packet's payload is gone: go-back-N asks for it again like for a loss.
    ++counters_.trims_received;
    if (packet.psn >= qp.rcv_nxt && !qp.nack_sent) {
      qp.nack_sent = true;
      ++counters_.nacks_sent;
      send_control(PacketKind::kNack, qp, qp.rcv_nxt);
    }
    return;
  }
  if (packet.ecn == Ecn::kCe) {
    ++counters_.ce_received;
    if (params_.ce_echo == CeEcho::kAck) {
      qp.ce_unechoed = true;
    } else if (t - qp.last_cnp >= params_.cnp_interval) {
      qp.last_cnp = t;
      ++counters_.cnps_sent;
      send_control(PacketKind::kCnp, qp, 0);
    }
  }
  qp.echo_sent_at = packet.sent_at;
  qp.echo_hops = packet.hops;
  qp.echo_utilization = packet.utilization;
  if (packet.psn == qp.rcv_nxt) {
    ++qp.rcv_nxt;
    qp.nack_sent = false;
    qp.rcv_msg_bytes += packet.payload_bytes;
    counters_.bytes_delivered += packet.payload_bytes;
    const bool last = (packet.flags & kFlagLast) != 0;
    if (last || ++qp.unacked_rx >= params_.ack_every) {
      qp.unacked_rx = 0;
      ++counters_.acks_sent;
      send_control(PacketKind::kAck, qp, qp.rcv_nxt);
    }
    if (last) {
      const std::uint64_t bytes = qp.rcv_msg_bytes;
      const EndpointId peer = qp.peer;
      qp.rcv_msg_bytes = 0;
      ++counters_.messages_received;
      // May post new messages (and create QPs): no reference into qps_ is used after this.
      if (observer_ != nullptr) observer_->on_message_received(id_, peer, packet.cookie, bytes, t);
    }
  } else if (packet.psn > qp.rcv_nxt) {
    if (!qp.nack_sent) {
      qp.nack_sent = true;
      ++counters_.nacks_sent;
      send_control(PacketKind::kNack, qp, qp.rcv_nxt);
    }
  } else {
    // A duplicate (the sender went back): acknowledge again so that it moves on.
    ++counters_.acks_sent;
    send_control(PacketKind::kAck, qp, qp.rcv_nxt);
  }
}

std::uint64_t Nic::payload_between(const QueuePair& qp, std::uint32_t from,
                                   std::uint32_t to) const {
  const std::uint64_t mtu = port_.mtu_bytes();
  std::uint64_t bytes = 0;
  for (std::size_t i = qp.msg_head; i < qp.messages.size(); ++i) {
    const QpMessage& m = qp.messages[i];
    if (m.first_psn >= to) break;
    if (m.end_psn <= from) continue;
    const std::uint32_t lo = std::max(from, m.first_psn);
    const std::uint32_t hi = std::min(to, m.end_psn);
    bytes += std::min(m.bytes, static_cast<std::uint64_t>(hi - m.first_psn) * mtu) -
             std::min(m.bytes, static_cast<std::uint64_t>(lo - m.first_psn) * mtu);
  }
  return bytes;
}

void Nic::locate_send_message(QueuePair& qp) {
  auto i = qp.msg_head;
  while (i < qp.messages.size() && qp.messages[i].end_psn <= qp.snd_nxt)
    ++i;
  qp.send_msg = static_cast<std::uint32_t>(i);
}

void Nic::go_back(std::uint32_t qi, std::uint32_t psn) {
  QueuePair& qp = qps_[qi];
  qp.snd_nxt = psn;
  locate_send_message(qp);
  activate(qi);
}

void Nic::on_ack(const Packet& packet, bool nack) {
  const std::uint32_t qi = packet.qp;
  const sim::Time t = now();
  {
    QueuePair& qp = qps_[qi];
    if (qp.error) [[unlikely]]
      return;  // late ACKs of a failed QP change nothing
    const std::uint32_t ack = std::min(packet.psn, qp.snd_max);
    if (ack > qp.snd_una) {
      const std::uint64_t acked = payload_between(qp, qp.snd_una, ack);
      qp.snd_una = ack;
      qp.retries = 0;  // progress: the retry count starts again
      qp.rto_deadline = t + rto_;
      if (qp.snd_nxt < ack) {
        qp.snd_nxt = ack;
        locate_send_message(qp);
      }
      cc_of(qi).on_ack(
          t, acked,
          AckFeedback{t - packet.sent_at, packet.hops, static_cast<double>(packet.utilization)});
    }
    if (nack && ack < qp.snd_nxt) go_back(qi, ack);
  }
  complete_messages(qi, t);
  activate(qi);  // back in the scheduler if the window had blocked it
  try_send();
}

void Nic::complete_messages(std::uint32_t qi, sim::Time t) {
  // Complete the messages now fully acknowledged. The observer may post messages (growing
  // qps_ or this QP's message list), so every access goes through the index again.
  for (;;) {
    QueuePair& qp = qps_[qi];
    if (qp.msg_head >= qp.messages.size() || qp.messages[qp.msg_head].end_psn > qp.snd_una) break;
    const QpMessage m = qp.messages[qp.msg_head++];
    if (qp.msg_head == qp.messages.size() && qp.snd_nxt == qp.snd_end) {
      qp.messages.clear();
      qp.msg_head = 0;
      qp.send_msg = 0;
    }
    ++counters_.messages_sent;
    if (flow_log_ != nullptr)
      flow_log_->push_back(FlowRecord{id_, qp.peer, m.bytes, m.posted, t, simulator().current_tie(),
                                      m.cookie, m.retransmitted_bytes});
    if (observer_ != nullptr) observer_->on_message_sent(id_, m.cookie, t);
  }
}

void Nic::on_rto(std::uint32_t qi) {
  if (mrc_) {
    on_timer_mrc(qi);
    return;
  }
  QueuePair& qp = qps_[qi];
  if (qp.snd_una >= qp.snd_max) {
    qp.rto_armed = false;  // nothing outstanding; the next send re-arms
    return;
  }
  const sim::Time t = now();
  if (t < qp.rto_deadline) {
    arm_rto(qi, qp.rto_deadline);  // the deadline moved with ACKs: one event per period at most
    return;
  }
  ++counters_.timeouts;
  if (qp.retries >= params_.retry_count) {
    fail_qp(qi);
    return;
  }
  ++qp.retries;
  cc_of(qi).on_timeout(t);
  qp.rto_deadline = t + rto_;
  arm_rto(qi, qp.rto_deadline);
  go_back(qi, qp.snd_una);
  try_send();
}

void Nic::fail_qp(std::uint32_t qi) {
  QueuePair& qp = qps_[qi];
  qp.error = true;
  qp.rto_armed = false;
  const std::uint64_t unacked = payload_between(qp, qp.snd_una, qp.snd_end);
  const auto pending = static_cast<std::uint64_t>(qp.messages.size() - qp.msg_head);
  ++counters_.qp_errors;
  qp_errors_.push_back(QpErrorRecord{id_, qp.peer, qp.channel, std::uint32_t{qp.retries} + 1U,
                                     now(), mrc_ ? params_.mrc.rto : rto_, unacked, pending});
  // Flush: nothing more is sent; the scheduler drops the QP when it next looks at it.
  qp.snd_nxt = qp.snd_end;
  qp.snd_una = qp.snd_end;
  qp.snd_max = qp.snd_end;
  qp.messages.clear();
  qp.msg_head = 0;
  qp.send_msg = 0;
}

void Nic::on_event(std::uint64_t arg) {
  if ((arg & 1) == kRto) {
    on_rto(static_cast<std::uint32_t>(arg >> 1));
    return;
  }
  if (now() == wake_at_) wake_at_ = sim::Time::max();
  try_send();
}

}  // namespace fabricsim::models
