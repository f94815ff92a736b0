// Egress port + link direction: queues, serialisation, propagation, PFC pause.
#include "models/port.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "models/node.hpp"

namespace fabricsim::models {

std::uint64_t Port::ps_per_byte_fixed_point(std::uint64_t rate_bps) {
  __extension__ using Wide = unsigned __int128;
  const Wide scaled = static_cast<Wide>(8ULL * 1'000'000'000'000ULL) << kFpShift;
  return static_cast<std::uint64_t>((scaled + rate_bps - 1) / rate_bps);
}

Port::Port(sim::Simulator& sim, PacketPool& pool, Node& owner, std::uint16_t index)
    : sim::Component(sim), owner_(&owner), index_(index), pool_(&pool) {}

void Port::attach(Node& peer, std::uint16_t peer_port, const LinkParams& link,
                  std::uint32_t loss_seed) {
  if (link.rate_bps == 0) throw std::invalid_argument("link rate must be positive");
  peer_ = &peer;
  peer_port_ = peer_port;
  rate_bps_ = link.rate_bps;
  ps_per_byte_fp_ = ps_per_byte_fixed_point(link.rate_bps);
  delay_ = link.delay;
  arrival_offset_ = link.delay + peer.ingress_latency();
  peer_cut_through_ = peer.cut_through();
  mtu_bytes_ = link.mtu_bytes;
  loss_rate_ = link.loss_rate;
  link_type_ = link.type;
  credits_.reset();
  returns_credits_ = false;
  if (credit_based(link.type)) {
    const std::array<std::uint32_t, 4> sl{link.sl_to_vl.sl0, link.sl_to_vl.sl1, link.sl_to_vl.sl2,
                                          link.sl_to_vl.sl3};
    const std::array<std::uint32_t, 4> weight{link.vl_arbitration.vl0, link.vl_arbitration.vl1,
                                              link.vl_arbitration.vl2, link.vl_arbitration.vl3};
    for (std::size_t i = 0; i < 4; ++i) {
      if (sl[i] >= kMaxPriorities) {
        throw std::invalid_argument(fmt::format(
            "sl_to_vl: lane {} of service level {} is not below {}", sl[i], i, kMaxPriorities));
      }
      if (weight[i] == 0) {
        throw std::invalid_argument(fmt::format("vl_arbitration: weight of lane {} is 0", i));
      }
    }
    // Our egress is limited by the peer's ingress buffer, if it has one (else by nothing: the
    // peer takes everything, as a NIC does); lanes share the wire by weight either way.
    const std::uint64_t buffer = peer.ingress_credit_bytes(peer_port);
    if (buffer != 0 && buffer < std::uint64_t{link.mtu_bytes} + kMaxCreditHeaderBytes) {
      throw std::invalid_argument(
          fmt::format("credit buffer of {} bytes per lane cannot hold one packet of MTU {} "
                      "(plus headers)",
                      buffer, link.mtu_bytes));
    }
    credits_ = std::make_unique<CreditState>();
    credits_->limited = buffer != 0;
    for (std::size_t i = 0; i < kMaxPriorities; ++i) {
      credits_->credits[i] = buffer != 0 ? buffer : kUnlimitedCredits;
      credits_->quantum[i] = weight[i] * (link.mtu_bytes + kMaxCreditHeaderBytes);
      credits_->deficit[i] = credits_->quantum[i];
      credits_->vl_of[i] = static_cast<std::uint8_t>(sl[i]);
    }
    // We hand credits back when our owner frees what arrives on this link.
    returns_credits_ = owner_->ingress_credit_bytes(index_) != 0;
    credits_->upstream = &peer.port(peer_port);
  }
  if (loss_rate_ > 0.0) {
    loss_rng_ = std::make_unique<sim::Rng>(simulator().make_rng(0x1055'0000'0000ULL + loss_seed));
  }
}

void Port::enqueue(Packet* packet) {
  if (fault_ != nullptr && fault_->state == LinkState::kDown) [[unlikely]] {
    refuse(packet);
    return;
  }
  const std::uint32_t prio = credits_ == nullptr
                                 ? std::min<std::uint32_t>(packet->priority, kMaxPriorities - 1)
                                 : credits_->vl_of[packet->priority & 3];
  Fifo& q = queues_[prio];
  packet->next = nullptr;
  if (q.tail == nullptr) {
    q.head = packet;
  } else {
    q.tail->next = packet;
  }
  q.tail = packet;
  q.bytes += packet->wire_bytes;
  queued_bytes_ += packet->wire_bytes;
  if (queued_bytes_ > max_queued_bytes_) max_queued_bytes_ = queued_bytes_;
  if (busy_until_ <= now()) {
    try_start();
  } else {
    kick_at(busy_until_);
  }
}

void Port::send_control(Packet* packet) {
  if (fault_ != nullptr && fault_->state == LinkState::kDown) [[unlikely]] {
    pool_->release(packet);  // a PAUSE for a dead link
    return;
  }
  packet->next = nullptr;
  if (control_tail_ == nullptr) {
    control_head_ = packet;
  } else {
    control_tail_->next = packet;
  }
  control_tail_ = packet;
  if (busy_until_ <= now()) {
    try_start();
  } else {
    kick_at(busy_until_);
  }
}

void Port::on_pause_frame(std::uint8_t priority, std::uint16_t quanta) {
  if (priority >= kMaxPriorities || rate_bps_ == 0) return;
  ++pause_frames_received_;
  const sim::Time duration = sim::serialization_time(static_cast<std::uint64_t>(quanta) * 64U,
                                                     rate_bps_);  // 512 bits = 64 bytes
  pause_until(priority, now() + duration);
}

void Port::pause_until(std::uint8_t priority, sim::Time until) {
  const bool was_paused = paused_until_[priority] > now();
  paused_until_[priority] = until;
  if (until > now()) {
    if (queues_[priority].head != nullptr || notify_idle_) kick_at(std::max(until, busy_until_));
  } else if (was_paused) {
    // Resumed: send what waits, or tell the owner (a NIC pulls its data only when idle).
    if (busy_until_ <= now()) {
      try_start();
      if (busy_until_ <= now()) owner_->on_port_ready(index_);
    } else {
      kick_at(busy_until_);
    }
  }
}

void Port::kick_at(sim::Time at) {
  if (at >= kick_at_) return;  // an earlier kick is pending; it re-evaluates everything
  kick_at_ = at;
  schedule_at(at, *this, kKick);
}

void Port::on_event(std::uint64_t arg) {
  if ((arg & 3) == 0) {
    // Arrival of a packet at the peer: hand it over (ownership passes to the peer).
    auto* packet = reinterpret_cast<Packet*>(arg);
    if (arrival_watch_ != nullptr && lost_in_flight(*packet)) [[unlikely]] {
      // The peer's pool owns it in a parallel run (the arrival runs in the peer's partition).
      arrival_watch_->pool_->release(packet);
      return;
    }
    peer_->receive(packet, peer_port_);
    return;
  }
  if ((arg & 3) == kCredit) [[unlikely]] {
    on_credits(arg);
    return;
  }
  if (now() == kick_at_) kick_at_ = sim::Time::max();
  if (busy_until_ > now()) {
    kick_at(busy_until_);
    return;
  }
  try_start();
  if (busy_until_ <= now()) owner_->on_port_ready(index_);
}

void Port::try_start() {
  // Precondition: the wire is free (busy_until_ <= now).
  if (control_head_ != nullptr) {
    Packet* p = control_head_;
    control_head_ = p->next;
    if (control_head_ == nullptr) control_tail_ = nullptr;
    transmit(p);
    return;
  }
  if (queued_bytes_ == 0) return;
  if (credits_ != nullptr) [[unlikely]] {
    try_start_credits();
    return;
  }
  const sim::Time t = now();
  sim::Time resume = sim::Time::max();
  for (std::uint32_t prio = 0; prio < kMaxPriorities; ++prio) {
    Fifo& q = queues_[prio];
    if (q.head == nullptr) continue;
    if (paused_until_[prio] > t) {
      resume = std::min(resume, paused_until_[prio]);
      continue;
    }
    Packet* p = q.head;
    q.head = p->next;
    if (q.head == nullptr) {
      q.tail = nullptr;
    } else {
      __builtin_prefetch(q.head);  // dequeued at the next kick; its header is usually cold
    }
    q.bytes -= p->wire_bytes;
    queued_bytes_ -= p->wire_bytes;
    owner_->on_dequeue(*p, index_);
    transmit(p);
    return;
  }
  if (resume != sim::Time::max()) kick_at(resume);
}

void Port::transmit(Packet* packet) {
  const sim::Time t = now();
  const sim::Time ser = serialization(packet->wire_bytes);
  busy_until_ = t + ser;
  tx_bytes_ += packet->wire_bytes;
  ++tx_packets_;
  if (fault_ != nullptr && fault_->state != LinkState::kUp) [[unlikely]] {
    blackhole(packet);
  } else if (loss_rng_ != nullptr && loss_rng_->bernoulli(loss_rate_)) [[unlikely]] {
    ++lost_packets_;
    // The receiver drops a corrupted packet and frees its buffer: the credits come back.
    give_back_credits(*packet);
    pool_->release(packet);
  } else {
    const sim::Time lead =
        peer_cut_through_ ? serialization(std::min(packet->wire_bytes, kCutThroughBytes)) : ser;
    const sim::Time at = t + lead + arrival_offset_;
    if (remote_ != nullptr) [[unlikely]] {
      send_remote(at, *this, 0, packet);
      pool_->release(packet);
    } else {
      schedule_at(at, *this, reinterpret_cast<std::uint64_t>(packet));
    }
  }
  if (queued_bytes_ != 0 || control_head_ != nullptr || notify_idle_) kick_at(busy_until_);
}

// Deficit round robin over the lanes that have a packet and the credits for it. A lane keeps
// the wire while its deficit covers its head packet; moving on tops the next lane up by its
// quantum (capped, so that lanes blocked by credits do not hoard turns).
void Port::try_start_credits() {
  CreditState& c = *credits_;
  const sim::Time t = now();
  for (std::uint32_t visit = 0; visit <= kMaxPriorities; ++visit) {
    const std::uint8_t vl = c.current;
    Fifo& q = queues_[vl];
    if (q.head != nullptr && c.credits[vl] >= q.head->wire_bytes &&
        c.deficit[vl] >= static_cast<std::int64_t>(q.head->wire_bytes)) {
      Packet* p = q.head;
      q.head = p->next;
      if (q.head == nullptr) q.tail = nullptr;
      q.bytes -= p->wire_bytes;
      queued_bytes_ -= p->wire_bytes;
      c.credits[vl] -= p->wire_bytes;
      c.deficit[vl] -= p->wire_bytes;
      c.tx_bytes[vl] += p->wire_bytes;
      if (c.stalled) {
        c.stalled = false;
        c.stall_time += t - c.stalled_since;
      }
      owner_->on_dequeue(*p, index_);
      transmit(p);
      return;
    }
    if (q.head == nullptr) c.deficit[vl] = 0;  // an idle lane banks nothing
    c.current = static_cast<std::uint8_t>((vl + 1) % kMaxPriorities);
    std::int64_t& next = c.deficit[c.current];
    next =
        std::min<std::int64_t>(next + c.quantum[c.current], 2 * std::int64_t{c.quantum[c.current]});
  }
  // Packets wait but no lane has the credits for its head: a credit stall (ended by on_credits).
  if (!c.stalled) {
    c.stalled = true;
    c.stalled_since = t;
    ++c.stalls;
  }
}

void Port::send_credits(std::uint8_t priority, std::uint32_t bytes) {
  const std::uint64_t arg = (static_cast<std::uint64_t>(bytes) << 8) |
                            (static_cast<std::uint64_t>(credits_->vl_of[priority & 3]) << 2) |
                            kCredit;
  if (remote_ != nullptr) [[unlikely]] {
    send_remote(now() + delay_, *credits_->upstream, arg, nullptr);
    return;
  }
  schedule_at(now() + delay_, *credits_->upstream, arg);
}

// The event goes to the peer's partition; a packet travels as a copy of its header, which the
// target partition puts into its own pool on delivery (the arrival handler below runs there
// and touches only the peer).
void Port::send_remote(sim::Time at, EventHandler& target, std::uint64_t arg,
                       const Packet* packet) {
  sim::RemoteEvent& r = remote_->emplace_back();
  r.event = sim::Event{at, take_tie(), &target, arg};
  r.has_payload = packet != nullptr;
  if (packet != nullptr) {
    static_assert(sizeof(Packet) == sim::RemoteEvent::kPayloadBytes);
    std::memcpy(r.payload.data(), packet, sizeof(Packet));
  }
}

void Port::on_credits(std::uint64_t arg) {
  if (credits_ == nullptr || !credits_->limited) return;
  const auto vl = static_cast<std::uint8_t>((arg >> 2) & 3);
  credits_->credits[vl] += arg >> 8;
  if (busy_until_ > now()) return;  // the pending end-of-transmission kick will look again
  try_start();
  if (busy_until_ <= now()) owner_->on_port_ready(index_);
}

// --- faults ---

void Port::enable_faults() {
  if (fault_ == nullptr) fault_ = std::make_unique<PortFault>();
}

void Port::fail_link() {
  enable_faults();
  if (fault_->state != LinkState::kUp) return;
  fault_->state = LinkState::kFailed;
  fault_->failed_at = now();
  ++fault_->counters.failures;
}

void Port::detect_link_down() {
  enable_faults();
  if (fault_->state == LinkState::kDown) return;
  if (fault_->state == LinkState::kUp) {
    fault_->failed_at = now();
    ++fault_->counters.failures;
  }
  fault_->state = LinkState::kDown;
  // What waits in the queues is lost; the owner releases its buffer accounting for it.
  for (Fifo& q : queues_) {
    while (q.head != nullptr) {
      Packet* p = q.head;
      q.head = p->next;
      q.bytes -= p->wire_bytes;
      queued_bytes_ -= p->wire_bytes;
      refuse(p);
    }
    q.tail = nullptr;
  }
  while (control_head_ != nullptr) {
    Packet* p = control_head_;
    control_head_ = p->next;
    pool_->release(p);
  }
  control_tail_ = nullptr;
  paused_until_.fill(sim::Time::zero());
  owner_->on_link_state(index_, false);
}

void Port::restore_link() {
  enable_faults();
  if (fault_->state == LinkState::kUp) return;
  fault_->state = LinkState::kUp;
  owner_->on_link_state(index_, true);
  if (busy_until_ <= now()) {
    try_start();
    if (busy_until_ <= now()) owner_->on_port_ready(index_);
  } else {
    kick_at(busy_until_);
  }
}

void Port::set_rate(std::uint64_t rate_bps) {
  if (rate_bps == 0) throw std::invalid_argument("link rate must be positive");
  rate_bps_ = rate_bps;
  ps_per_byte_fp_ = ps_per_byte_fixed_point(rate_bps);
}

void Port::set_loss_rate(double loss_rate, std::uint32_t loss_seed) {
  loss_rate_ = loss_rate;
  if (loss_rate_ > 0.0 && loss_rng_ == nullptr) {
    loss_rng_ = std::make_unique<sim::Rng>(simulator().make_rng(0x1055'0000'0000ULL + loss_seed));
  }
  if (loss_rate_ <= 0.0) loss_rng_.reset();
}

void Port::refuse(Packet* packet) {
  owner_->on_dequeue(*packet, index_);
  ++fault_->counters.refused_packets;
  fault_->counters.refused_bytes += packet->wire_bytes;
  pool_->release(packet);
}

void Port::blackhole(Packet* packet) {
  ++fault_->counters.blackholed_packets;
  fault_->counters.blackholed_bytes += packet->wire_bytes;
  // Credits a lost packet took are resynchronised when the link is trained again; they come
  // back at once here, so a lane never stays starved by packets that no longer exist.
  if (packet->kind != PacketKind::kPause) give_back_credits(*packet);
  pool_->release(packet);
}

void Port::give_back_credits(const Packet& packet) {
  if (credits_ != nullptr && credits_->limited) {
    credits_->credits[vl_of(packet.priority)] += packet.wire_bytes;
  }
}

// Runs in the peer's partition, like the arrival itself: reads and counts only the peer's port.
bool Port::lost_in_flight(const Packet& packet) {
  Port& w = *arrival_watch_;
  const PortFault& f = *w.fault_;
  if (f.state == LinkState::kUp && f.counters.failures == 0) return false;
  const sim::Time lead = peer_cut_through_
                             ? w.serialization(std::min(packet.wire_bytes, kCutThroughBytes))
                             : w.serialization(packet.wire_bytes);
  const sim::Time started = now() - arrival_offset_ - lead;
  if (f.state == LinkState::kUp && f.failed_at <= started) return false;
  ++w.fault_->counters.blackholed_packets;
  w.fault_->counters.blackholed_bytes += packet.wire_bytes;
  if (packet.kind != PacketKind::kPause) w.return_credits(packet.priority, packet.wire_bytes);
  return true;
}

sim::Time Port::credit_stall_time() const {
  if (credits_ == nullptr) return sim::Time::zero();
  return credits_->stall_time +
         (credits_->stalled ? now() - credits_->stalled_since : sim::Time::zero());
}

}  // namespace fabricsim::models
