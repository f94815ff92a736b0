// NVLink GPU: per-link pulling of message packets and NVLS contributions, and arrivals.
#include "models/nvlink/nvlink_gpu.hpp"

#include "models/nvlink/domain.hpp"

namespace fabricsim::models {

namespace {
constexpr std::uint8_t kDataLane = 1;  // service level of NVLink data (credits per lane)
}

NvlinkGpu::NvlinkGpu(sim::Simulator& sim, PacketPool& pool, NvlinkDomain& domain,
                     std::uint32_t local, const NvlinkParams& params)
    : domain_(&domain), pool_(&pool), local_(local), header_bytes_(params.header_bytes) {
  ports_.reserve(params.links);  // never reallocated: events point at ports
  for (std::uint32_t l = 0; l < params.links; ++l) {
    ports_.emplace_back(sim, pool, *this, static_cast<std::uint16_t>(l));
    ports_.back().set_notify_idle(true);  // pull the next packet just in time
  }
  nvls_next_.assign(params.links, 0);
}

void NvlinkGpu::add_message(std::uint32_t slot) {
  active_.push_back(slot);
  kick();
}

void NvlinkGpu::add_nvls(std::uint32_t op) {
  nvls_ops_.push_back(op);
  if (nvls_ops_.size() == 1) {
    for (std::uint32_t l = 0; l < ports_.size(); ++l)
      nvls_next_[l] = l;
  }
  kick();
}

void NvlinkGpu::kick() {
  for (std::uint16_t l = 0; l < ports_.size(); ++l)
    pull(l);
}

bool NvlinkGpu::pull_nvls(std::uint16_t port) {
  const std::uint32_t op = nvls_ops_.front();
  NvlinkDomain::NvlsOp& o = domain_->nvls(op);
  std::uint32_t& chunk = nvls_next_[port];
  if (chunk < o.chunks) {
    Packet* p = pool_->alloc();
    p->kind = PacketKind::kData;
    p->flags = kNvFlagReduce;
    p->cookie = op;
    p->psn = chunk;
    p->src = local_;
    p->payload_bytes = domain_->chunk_payload(o, chunk);
    p->wire_bytes = p->payload_bytes + header_bytes_;
    p->priority = kDataLane;
    chunk += static_cast<std::uint32_t>(ports_.size());
    ports_[port].enqueue(p);
    return true;
  }
  // This link pushed its part; until every link has, it carries messages meanwhile.
  for (const std::uint32_t next : nvls_next_) {
    if (next < o.chunks) return false;
  }
  nvls_ops_.erase(nvls_ops_.begin());
  if (nvls_ops_.empty()) return false;
  for (std::uint32_t l = 0; l < ports_.size(); ++l)
    nvls_next_[l] = l;
  kick();  // the next operation starts on every idle link (this one included)
  return true;
}

void NvlinkGpu::pull(std::uint16_t port) {
  Port& out = ports_[port];
  if (!out.can_send_now(kDataLane)) return;
  if (!nvls_ops_.empty() && pull_nvls(port)) return;
  if (active_.empty()) return;
  if (rr_ >= active_.size()) rr_ = 0;
  const std::uint32_t slot = active_[rr_];
  NvlinkDomain::Message& m = domain_->message(slot);
  Packet* p = pool_->alloc();
  p->kind = PacketKind::kData;
  p->cookie = slot;
  p->src = local_;
  p->dst = m.dst;
  p->psn = m.sent;
  p->payload_bytes = domain_->message_payload(m, m.sent);
  p->wire_bytes = p->payload_bytes + header_bytes_;
  p->priority = kDataLane;
  if (++m.sent == m.packets) {
    active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(rr_));
  } else {
    ++rr_;
  }
  out.enqueue(p);
}

void NvlinkGpu::receive(Packet* packet, std::uint16_t /*in_port*/) {
  const auto slot = static_cast<std::uint32_t>(packet->cookie);
  const std::uint32_t payload = packet->payload_bytes;
  const bool reduced = (packet->flags & kNvFlagMulticast) != 0;
  pool_->release(packet);
  // May post new messages from the observer: nothing of the packet is used after this.
  if (reduced) {
    domain_->on_reduced_arrival(slot, local_, payload);
  } else {
    domain_->on_data_arrival(slot, payload);
  }
}

}  // namespace fabricsim::models
