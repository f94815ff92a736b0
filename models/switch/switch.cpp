// Switch forwarding, buffer admission, ECN marking (at enqueue or dequeue) and PFC.
#include "models/switch/switch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "models/switch/ecn.hpp"

namespace fabricsim::models {

namespace {
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDULL;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ULL;
  return x ^ (x >> 33);
}
}  // namespace

const char* drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::kBufferFull:
      return "buffer_full";
    case DropReason::kDynamicThreshold:
      return "dynamic_threshold";
    case DropReason::kStaticLimit:
      return "static_limit";
    case DropReason::kHeadroom:
      return "pfc_headroom";
    case DropReason::kNoRoute:
      return "no_route";
    case DropReason::kLinkLoss:
      return "link_loss";
    case DropReason::kBlackHole:
      return "black_hole";
    case DropReason::kLinkDown:
      return "link_down";
    case DropReason::kCount:
      break;
  }
  return "?";
}

Switch::Switch(sim::Simulator& sim, PacketPool& pool, const std::vector<Attachment>& attachments,
               std::uint32_t index, std::uint16_t ports, const SwitchParams& params,
               std::uint8_t tier)
    : sim::Component(sim),
      attachments_(&attachments),
      params_(params),
      pool_(&pool),
      rng_(sim.make_rng(0x5717'0000'0000ULL + index)),
      // Each switch its own hash function, drawn from the hash seed: another seed, another
      // set of ECMP collisions (the spread `fabricsim sweep --seeds` samples).
      salt_(mix64(mix64(0x9E3779B97F4A7C15ULL ^ index) ^
                  mix64(params.hash_seed != 0 ? params.hash_seed : sim.seed()))),
      index_(index),
      priorities_(static_cast<std::uint8_t>(
          std::clamp<std::uint32_t>(params.priorities, 1, kMaxPriorities))),
      tier_(tier),
      mark_at_enqueue_(params.ecn.enabled && params.ecn.mark == EcnMarkPoint::kEnqueue),
      mark_at_dequeue_(params.ecn.enabled && params.ecn.mark == EcnMarkPoint::kDequeue),
      trim_(params.trim.enabled) {
  if (params.priorities < 1 || params.priorities > kMaxPriorities) {
    throw std::invalid_argument(
        fmt::format("switch priorities must be 1..{}, got {}", kMaxPriorities, params.priorities));
  }
  ports_.reserve(ports);  // never reallocated: events point at ports
  for (std::uint16_t p = 0; p < ports; ++p)
    ports_.emplace_back(sim, pool, *this, p);
  ingress_.resize(static_cast<std::size_t>(ports) * priorities_);
  headroom_.assign(ports, 0);
}

std::uint64_t Switch::ingress_credit_bytes(std::uint16_t /*port*/) const {
  if (params_.credit_buffer_bytes != 0) return params_.credit_buffer_bytes;
  return params_.buffer_bytes / (std::max<std::size_t>(ports_.size(), 1) * priorities_);
}

void Switch::set_routes(std::vector<std::uint16_t> group_of_edge,
                        const std::vector<std::vector<std::uint16_t>>& groups) {
  if (ports_down_ == 0) {  // the build sets every switch's routes: no copy
    routes_.set(std::move(group_of_edge), groups);
    return;
  }
  RouteTable table;
  table.set(std::move(group_of_edge), groups);
  install_routes(table);
}

void Switch::install_routes(const RouteTable& table) {
  if (ports_down_ == 0) {
    routes_ = table;
    return;
  }
  installed_ = table;
  routes_ = installed_.without_ports(port_down_);
}

void Switch::on_link_state(std::uint16_t port, bool up) {
  if (port >= ports_.size()) return;
  if (port_down_.empty()) port_down_.assign(ports_.size(), 0);
  const std::uint8_t down = up ? 0 : 1;
  if (port_down_[port] == down) return;
  port_down_[port] = down;
  if (!up && ports_down_ == 0) installed_ = routes_;  // the routes before any repair
  ports_down_ += up ? -1 : 1;
  if (ports_down_ == 0) {
    routes_ = std::move(installed_);
    installed_ = RouteTable();
  } else {
    routes_ = installed_.without_ports(port_down_);
  }
  // Whatever we told the upstream of this link (PAUSE) died with it.
  for (std::uint8_t prio = 0; prio < priorities_; ++prio) {
    IngressQueue& iq = ingress_[slot(port, prio)];
    iq.paused = false;
    ++iq.generation;  // cancels the PAUSE refresh timer
  }
}

void Switch::port_attached(std::uint16_t port) {
  const Port& p = ports_[port];
  if (p.returns_credits()) credit_ports_ = true;
  std::uint64_t headroom = params_.pfc.headroom_bytes;
  if (headroom == 0) {
    // Bytes that may still arrive once we decide to pause: those in our pipeline (latency),
    // a frame ahead of our PAUSE on the egress, the PAUSE's flight, the frame the upstream
    // port is sending, and everything in flight back towards us.
    const double rate_Bps = static_cast<double>(p.rate_bps()) / 8.0;
    const auto in_flight = static_cast<std::uint64_t>(
        (2.0 * p.delay().seconds() + params_.latency.seconds()) * rate_Bps);
    headroom = in_flight + 3ULL * (p.mtu_bytes() + 128U);
  }
  if (params_.pfc.enabled) {
    headroom_reserved_ -= static_cast<std::uint64_t>(headroom_[port]) * priorities_;
    headroom_reserved_ += headroom * priorities_;
  }
  headroom_[port] = static_cast<std::uint32_t>(std::min<std::uint64_t>(headroom, 0xFFFFFFFFULL));
}

std::uint64_t Switch::xoff_bytes(std::uint16_t /*port*/) const {
  if (params_.pfc.xoff_bytes != 0) return params_.pfc.xoff_bytes;
  const std::uint64_t capacity =
      params_.buffer_bytes > headroom_reserved_ ? params_.buffer_bytes - headroom_reserved_ : 0;
  const std::uint64_t free = capacity > shared_used_ ? capacity - shared_used_ : 0;
  return static_cast<std::uint64_t>(params_.dt_alpha * static_cast<double>(free));
}

std::uint64_t Switch::xon_bytes(std::uint16_t port) const {
  if (params_.pfc.xon_bytes != 0) return params_.pfc.xon_bytes;
  const std::uint64_t xoff = xoff_bytes(port);
  const std::uint64_t two_mtu = 2ULL * ports_[port].mtu_bytes();
  return xoff > two_mtu ? xoff - two_mtu : 0;
}

std::uint32_t Switch::flow_hash(const Packet& packet) const {
  std::uint64_t h = salt_;
  h = mix64(h ^ ((static_cast<std::uint64_t>(packet.src) << 32) | packet.dst));
  h = mix64(h ^ ((static_cast<std::uint64_t>(packet.qp) << 16) | packet.entropy));
  return static_cast<std::uint32_t>(h >> 32);
}

std::uint16_t Switch::route(const Packet& packet) {
  if (packet.dst >= attachments_->size()) return kNoPort;
  const Attachment& at = (*attachments_)[packet.dst];
  if (at.edge_switch == index_) return at.port;
  const RouteTable::Span group = routes_.group_for_edge(at.edge_index);
  if (group.count <= 1) return group.count == 0 ? kNoPort : group.ports[0];
  switch (params_.routing) {
    case Routing::kEcmp: {
      const auto pick = (static_cast<std::uint64_t>(flow_hash(packet)) * group.count) >> 32;
      return group.ports[pick];
    }
    case Routing::kSpray: {
      if (spray_next_ >= group.count) spray_next_ = 0;
      return group.ports[spray_next_++];
    }
    case Routing::kEntropy:
      return group.ports[(packet.entropy / entropy_divisor_) % group.count];
    case Routing::kAdaptive: {
      // Least queued bytes; ties go to the flow's hashed choice, then round the group.
      const auto start = static_cast<std::uint32_t>(
          (static_cast<std::uint64_t>(flow_hash(packet)) * group.count) >> 32);
      std::uint16_t best = group.ports[start];
      std::uint64_t best_bytes = ports_[best].queue_bytes();
      for (std::uint32_t i = 1; i < group.count && best_bytes != 0; ++i) {
        std::uint32_t k = start + i;
        if (k >= group.count) k -= group.count;
        const std::uint16_t candidate = group.ports[k];
        const std::uint64_t bytes = ports_[candidate].queue_bytes();
        if (bytes < best_bytes) {
          best = candidate;
          best_bytes = bytes;
        }
      }
      return best;
    }
  }
  return kNoPort;
}

void Switch::receive(Packet* packet, std::uint16_t in_port) {
  if (packet->kind == PacketKind::kPause) [[unlikely]] {
    ports_[in_port].on_pause_frame(packet->priority, packet->pause_quanta);
    pool_->release(packet);
    return;
  }
  if (packet->priority >= priorities_)
    packet->priority = static_cast<std::uint8_t>(priorities_ - 1);
  const std::uint16_t out = route(*packet);
  if (out == kNoPort || out >= ports_.size()) [[unlikely]] {
    // A credit-based upstream spent credits on it: they come back as the buffer never held it.
    if (credit_ports_) ports_[in_port].return_credits(packet->priority, packet->wire_bytes);
    drop(packet, DropReason::kNoRoute);
    return;
  }
  Port& egress = ports_[out];
  if (trim_ && packet->kind == PacketKind::kData && (packet->flags & kFlagTrimmed) == 0 &&
      params_.trim.threshold_bytes != 0 &&
      egress.queue_bytes(packet->priority) + packet->wire_bytes > params_.trim.threshold_bytes)
      [[unlikely]] {
    trim(*packet);
  }
  DropReason refused = admit(*packet, in_port, out);
  if (refused != DropReason::kCount) [[unlikely]] {
    // What the buffer refuses is trimmed rather than dropped (a header fits where a packet
    // did not); a header refused in turn is dropped.
    if (!trim_ || packet->kind != PacketKind::kData || (packet->flags & kFlagTrimmed) != 0 ||
        refused == DropReason::kHeadroom) {
      drop(packet, refused);
      return;
    }
    trim(*packet);
    refused = admit(*packet, in_port, out);
    if (refused != DropReason::kCount) {
      drop(packet, refused);
      return;
    }
  }
  packet->in_port = in_port;
  if (mark_at_enqueue_) mark_ecn(*packet, egress.queue_bytes(packet->priority));
  egress.enqueue(packet);
}

void Switch::mark_ecn(Packet& packet, std::uint64_t queue_bytes) {
  if (packet.ecn != Ecn::kEct) return;
  const double p = ecn_mark_probability(params_.ecn, queue_bytes);
  if (p >= 1.0 || (p > 0.0 && rng_.uniform() < p)) {
    packet.ecn = Ecn::kCe;
    ++counters_.ecn_marks;
  }
}

DropReason Switch::admit(const Packet& packet, std::uint16_t in_port, std::uint16_t out_port) {
  const std::uint32_t size = packet.wire_bytes;
  IngressQueue& iq = ingress_[slot(in_port, packet.priority)];
  if (credit_ports_ && ports_[in_port].returns_credits()) [[unlikely]] {
    // Lossless by credits: the upstream sent only what our ingress buffer can hold.
    used_ += size;
    shared_used_ += size;
    iq.bytes += size;
    return DropReason::kCount;
  }
  if (params_.pfc.enabled) {
    // Lossless: the shared pool while this ingress queue is below XOFF, its headroom after.
    const std::uint64_t capacity =
        params_.buffer_bytes > headroom_reserved_ ? params_.buffer_bytes - headroom_reserved_ : 0;
    if (iq.paused || shared_used_ + size > capacity) {
      if (iq.headroom + size > headroom_[in_port]) return DropReason::kHeadroom;
      iq.headroom += size;
    } else {
      shared_used_ += size;
    }
    used_ += size;
    iq.bytes += size;
    if (!iq.paused && iq.bytes >= xoff_bytes(in_port)) {
      iq.paused = true;
      ++iq.generation;
      send_pause(in_port, packet.priority, kMaxPauseQuanta);
    }
    return DropReason::kCount;
  }
  const std::uint64_t queue = ports_[out_port].queue_bytes(packet.priority);
  if (params_.queue_limit_bytes != 0 && queue + size > params_.queue_limit_bytes) {
    return DropReason::kStaticLimit;
  }
  if (used_ + size > params_.buffer_bytes) return DropReason::kBufferFull;
  const double threshold = params_.dt_alpha * static_cast<double>(params_.buffer_bytes - used_);
  if (static_cast<double>(queue + size) > threshold) return DropReason::kDynamicThreshold;
  used_ += size;
  shared_used_ += size;
  iq.bytes += size;
  return DropReason::kCount;
}

void Switch::enable_utilization_telemetry(sim::Time base_rtt) {
  if (base_rtt <= sim::Time::zero()) {
    throw std::invalid_argument("switch telemetry: base_rtt must be > 0");
  }
  telemetry_rtt_ = base_rtt;
  telemetry_.assign(ports_.size(), PortTelemetry{});
}

// HPCC's per-hop estimate (Li et al., SIGCOMM'19, Algorithm 1; ns-3 rdma-hw.cc UpdateRateHp),
// kept here per port as HPCC-PINT does: u = qlen / (B T) + txRate / B over the time since the
// port's previous data packet, tau = min(that time, T), U <- (1 - tau/T) U + (tau/T) u. qlen is
// the queue the packet leaves behind and txRate the bytes sent since (both as ns-3 stamps them).
void Switch::stamp_utilization(Packet& packet, std::uint16_t port) {
  PortTelemetry& t = telemetry_[port];
  const Port& p = ports_[port];
  const sim::Time now_t = now();
  const sim::Time dt = now_t - t.last;
  if (dt > sim::Time::zero()) {
    const double b = static_cast<double>(p.rate_bps());
    const double rtt = telemetry_rtt_.seconds();
    const double tx_rate = static_cast<double>(p.tx_bytes() - t.tx_bytes) * 8.0 / dt.seconds();
    const double u = static_cast<double>(p.queue_bytes()) * 8.0 / (b * rtt) + tx_rate / b;
    const double tau = std::min(dt.seconds(), rtt);
    t.u = (1.0 - tau / rtt) * t.u + tau / rtt * u;
    t.last = now_t;
    t.tx_bytes = p.tx_bytes();
  }
  packet.utilization = std::max(packet.utilization, static_cast<float>(t.u));
}

void Switch::on_dequeue(Packet& packet, std::uint16_t port) {
  // The queue the packet leaves behind (the port no longer counts it), as ns-3 HPCC's
  // SwitchNotifyDequeue decides (htsim's ECN queues count the departing packet too).
  if (mark_at_dequeue_) mark_ecn(packet, ports_[port].queue_bytes(packet.priority));
  if (packet.kind == PacketKind::kData) {
    ++packet.hops;  // Swift's topology scaling (ACKs echo it)
    if (!telemetry_.empty()) [[unlikely]]
      stamp_utilization(packet, port);
  }
  const std::uint32_t size = packet.wire_bytes;
  IngressQueue& iq = ingress_[slot(packet.in_port, packet.priority)];
  const std::uint32_t from_headroom = std::min(iq.headroom, size);
  iq.headroom -= from_headroom;
  shared_used_ -= size - from_headroom;
  used_ -= size;
  iq.bytes -= size;
  if (credit_ports_) [[unlikely]]
    ports_[packet.in_port].return_credits(packet.priority, size);
  // RESUME at XON, once the headroom is empty (else a quick re-PAUSE would find it part-full).
  if (iq.paused && iq.headroom == 0 && iq.bytes <= xon_bytes(packet.in_port)) {
    iq.paused = false;
    ++iq.generation;
    send_pause(packet.in_port, packet.priority, 0);
  }
}

void Switch::send_pause(std::uint16_t port, std::uint8_t priority, std::uint16_t quanta) {
  Port& p = ports_[port];
  if (!p.connected()) return;
  Packet* frame = pool_->alloc();
  frame->kind = PacketKind::kPause;
  frame->priority = priority;
  frame->pause_quanta = quanta;
  frame->wire_bytes = kPauseFrameBytes;
  p.send_control(frame);
  if (quanta == 0) {
    ++counters_.resume_frames;
    return;
  }
  ++counters_.pause_frames;
  // Refresh at half the pause time while the queue stays above XON.
  const sim::Time duration =
      sim::serialization_time(static_cast<std::uint64_t>(quanta) * 64U, p.rate_bps());
  const std::uint32_t generation = ingress_[slot(port, priority)].generation;
  const std::uint64_t arg = (static_cast<std::uint64_t>(generation) << 32) |
                            (static_cast<std::uint64_t>(port) << 8) | priority;
  schedule_self_in(duration / 2, arg);
}

void Switch::on_event(std::uint64_t arg) {
  const auto priority = static_cast<std::uint8_t>(arg & 0xFF);
  const auto port = static_cast<std::uint16_t>((arg >> 8) & 0xFFFF);
  const auto generation = static_cast<std::uint32_t>(arg >> 32);
  const IngressQueue& iq = ingress_[slot(port, priority)];
  if (iq.paused && iq.generation == generation) send_pause(port, priority, kMaxPauseQuanta);
}

void Switch::trim(Packet& packet) {
  packet.flags |= kFlagTrimmed;
  packet.wire_bytes = std::min(packet.wire_bytes, params_.trim.header_bytes);
  packet.priority =
      static_cast<std::uint8_t>(std::min<std::uint32_t>(params_.trim.priority, priorities_ - 1U));
  ++counters_.trims;
}

void Switch::drop(Packet* packet, DropReason reason) {
  ++counters_.drops[static_cast<std::size_t>(reason)];
  pool_->release(packet);
}

}  // namespace fabricsim::models
