// NVSwitch chip: credit-based cut-through forwarding and the NVLS reduce + multicast.
#include "models/nvlink/nvswitch.hpp"

#include "models/nvlink/domain.hpp"

namespace fabricsim::models {

NvSwitch::NvSwitch(sim::Simulator& sim, PacketPool& pool, NvlinkDomain& domain, std::uint32_t chip,
                   const std::vector<std::uint16_t>& ports_of_gpu, const NvlinkParams& params)
    : domain_(&domain),
      pool_(&pool),
      latency_(params.switch_latency),
      credit_(params.credit_buffer_bytes),
      chip_(chip),
      header_bytes_(params.header_bytes) {
  std::uint32_t total = 0;
  for (const std::uint16_t n : ports_of_gpu) {
    first_port_.push_back(static_cast<std::uint16_t>(total));
    port_count_.push_back(n);
    total += n;
  }
  ports_.reserve(total);  // never reallocated: events point at ports
  for (std::uint32_t p = 0; p < total; ++p)
    ports_.emplace_back(sim, pool, *this, static_cast<std::uint16_t>(p));
}

void NvSwitch::receive(Packet* packet, std::uint16_t in_port) {
  if ((packet->flags & kNvFlagReduce) != 0) {
    // Absorbed into the chip's reduction buffer: its ingress space is free again at once.
    ports_[in_port].return_credits(packet->priority, packet->wire_bytes);
    const auto op = static_cast<std::uint32_t>(packet->cookie);
    const std::uint32_t chunk = packet->psn;
    const std::uint32_t payload = packet->payload_bytes;
    pool_->release(packet);
    if (domain_->on_contribution(op, chunk)) multicast(op, chunk, payload);
    return;
  }
  // The least-loaded of the destination's links on this chip; ties rotate.
  const std::uint32_t dst = packet->dst;
  const std::uint16_t first = first_port_[dst];
  const std::uint16_t count = port_count_[dst];
  std::uint16_t best = static_cast<std::uint16_t>(first + (rr_++ % count));
  std::uint64_t best_bytes = ports_[best].queue_bytes();
  for (std::uint16_t k = 0; k < count && best_bytes != 0; ++k) {
    const auto candidate = static_cast<std::uint16_t>(first + k);
    if (ports_[candidate].queue_bytes() < best_bytes) {
      best = candidate;
      best_bytes = ports_[candidate].queue_bytes();
    }
  }
  packet->in_port = in_port;
  ports_[best].enqueue(packet);
}

void NvSwitch::multicast(std::uint64_t op, std::uint32_t chunk, std::uint32_t payload) {
  ++reductions_;
  // Chunk k travelled on link k % links of every GPU, i.e. that GPU's link (k % links) / switches
  // on this chip; the sum goes back down the same links.
  const std::uint32_t links = domain_->params().links;
  const std::uint32_t k = (chunk % links) / domain_->params().switches;
  for (std::uint32_t g = 0; g < domain_->size(); ++g) {
    Packet* p = pool_->alloc();
    p->kind = PacketKind::kData;
    p->flags = kNvFlagMulticast;
    p->cookie = op;
    p->psn = chunk;
    p->dst = g;
    p->payload_bytes = payload;
    p->wire_bytes = payload + header_bytes_;
    p->priority = 1;
    p->in_port = kGenerated;
    ports_[port_of(g, k)].enqueue(p);
  }
}

void NvSwitch::on_dequeue(Packet& packet, std::uint16_t /*port*/) {
  if (packet.in_port != kGenerated) {
    ports_[packet.in_port].return_credits(packet.priority, packet.wire_bytes);
  }
}

}  // namespace fabricsim::models
