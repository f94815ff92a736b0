// NVLink domain: wiring of GPUs to NVSwitch chips, the message table and NVLS operations.
#include "models/nvlink/domain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace fabricsim::models {

NvlinkDomain::NvlinkDomain(sim::Simulator& sim, PacketPool& pool, const NvlinkParams& params,
                           std::vector<EndpointId> gpus)
    : sim_(&sim), params_(params), ids_(std::move(gpus)) {
  if (ids_.size() < 2 || ids_.size() > 0xFFFF) {
    throw std::invalid_argument(
        fmt::format("an NVLink domain needs 2 to 65535 GPUs, got {}", ids_.size()));
  }
  if (params_.links == 0 || params_.switches == 0 || params_.switches > params_.links) {
    throw std::invalid_argument(
        fmt::format("NVLink: expected 1 <= switches <= links, got {} switches and {} links per GPU",
                    params_.switches, params_.links));
  }
  params_.link.type = LinkType::kNvlink;
  const auto g = static_cast<std::uint32_t>(ids_.size());
  for (std::uint32_t i = 0; i < g; ++i)
    gpus_.push_back(std::make_unique<NvlinkGpu>(sim, pool, *this, i, params_));
  for (std::uint32_t c = 0; c < params_.switches; ++c) {
    // Link i of every GPU goes to chip i % switches.
    const auto per_gpu =
        static_cast<std::uint16_t>((params_.links - c + params_.switches - 1) / params_.switches);
    if (std::uint64_t{per_gpu} * g > 0xFFFE) {
      throw std::invalid_argument(
          fmt::format("NVSwitch chip {} would need {} ports", c, std::uint64_t{per_gpu} * g));
    }
    switches_.push_back(std::make_unique<NvSwitch>(
        sim, pool, *this, c, std::vector<std::uint16_t>(g, per_gpu), params_));
  }
  std::uint32_t seed = 0;
  for (std::uint32_t i = 0; i < g; ++i) {
    for (std::uint32_t l = 0; l < params_.links; ++l) {
      NvSwitch& chip = *switches_[l % params_.switches];
      const std::uint16_t cp = chip.port_of(i, l / params_.switches);
      const auto gp = static_cast<std::uint16_t>(l);
      gpus_[i]->port(gp).attach(chip, cp, params_.link, 0x4E56'0000U + seed++);
      chip.port(cp).attach(*gpus_[i], gp, params_.link, 0x4E56'0000U + seed++);
    }
  }
}

NvlinkDomain::~NvlinkDomain() = default;

std::uint32_t NvlinkDomain::message_payload(const Message& m, std::uint32_t packet) const {
  const std::uint64_t mtu = params_.link.mtu_bytes;
  const std::uint64_t offset = std::uint64_t{packet} * mtu;
  return static_cast<std::uint32_t>(std::min(mtu, m.bytes - std::min(m.bytes, offset)));
}

std::uint32_t NvlinkDomain::chunk_payload(const NvlsOp& op, std::uint32_t chunk) const {
  const std::uint64_t mtu = params_.link.mtu_bytes;
  const std::uint64_t offset = std::uint64_t{chunk} * mtu;
  return static_cast<std::uint32_t>(std::min(mtu, op.bytes - std::min(op.bytes, offset)));
}

MessageId NvlinkDomain::send_message(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                                     std::uint64_t cookie) {
  if (src >= size() || dst >= size() || src == dst) {
    throw std::invalid_argument(fmt::format(
        "NVLink message from local GPU {} to {}: not two GPUs of the domain", src, dst));
  }
  const std::uint64_t mtu = params_.link.mtu_bytes;
  std::uint32_t slot = free_;
  if (slot == kNone) {
    slot = static_cast<std::uint32_t>(messages_.size());
    messages_.emplace_back();
  } else {
    free_ = messages_[slot].next_free;
  }
  Message& m = messages_[slot];
  m = Message{};
  m.cookie = cookie;
  m.bytes = bytes;
  m.src = src;
  m.dst = dst;
  m.packets = static_cast<std::uint32_t>(std::max<std::uint64_t>(1, (bytes + mtu - 1) / mtu));
  m.outstanding = m.packets;
  gpus_[src]->add_message(slot);
  return next_message_++;
}

void NvlinkDomain::on_data_arrival(std::uint32_t slot, std::uint32_t payload) {
  Message& m = messages_[slot];
  bytes_delivered_ += payload;
  ++packets_delivered_;
  if (--m.outstanding != 0) return;
  const Message done = m;
  m.next_free = free_;
  free_ = slot;
  ++messages_completed_;
  const sim::Time t = sim_->now();
  // The observer may post new messages (reusing this slot): only the copy is used below.
  if (observer_ != nullptr) {
    observer_->on_message_received(ids_[done.dst], ids_[done.src], done.cookie, done.bytes, t);
    observer_->on_message_sent(ids_[done.src], done.cookie, t);
  }
}

void NvlinkDomain::post_nvls_allreduce(std::uint32_t local, std::uint64_t bytes,
                                       std::uint64_t cookie) {
  if (local >= size()) throw std::invalid_argument(fmt::format("NVLS: no local GPU {}", local));
  std::uint32_t op = kNone;
  for (std::uint32_t i = 0; i < ops_.size(); ++i) {
    if (ops_[i].live && ops_[i].cookie == cookie && ops_[i].posted < size()) op = i;
  }
  if (op == kNone) {
    for (std::uint32_t i = 0; i < ops_.size() && op == kNone; ++i) {
      if (!ops_[i].live) op = i;
    }
    if (op == kNone) {
      op = static_cast<std::uint32_t>(ops_.size());
      ops_.emplace_back();
    }
    NvlsOp& o = ops_[op];
    const std::uint64_t mtu = params_.link.mtu_bytes;
    o.cookie = cookie;
    o.bytes = bytes;
    o.chunks = static_cast<std::uint32_t>(std::max<std::uint64_t>(1, (bytes + mtu - 1) / mtu));
    o.posted = 0;
    o.finished = 0;
    o.contributions.assign(o.chunks, 0);
    o.received.assign(size(), 0);
    o.live = true;
  }
  NvlsOp& o = ops_[op];
  if (o.bytes != bytes) {
    throw std::invalid_argument(fmt::format("NVLS all-reduce {}: GPU {} posted {} bytes, others {}",
                                            cookie, local, bytes, o.bytes));
  }
  ++o.posted;
  gpus_[local]->add_nvls(op);
}

bool NvlinkDomain::on_contribution(std::uint32_t op, std::uint32_t chunk) {
  return ++ops_[op].contributions[chunk] == size();
}

void NvlinkDomain::on_reduced_arrival(std::uint32_t op, std::uint32_t local,
                                      std::uint32_t payload) {
  NvlsOp& o = ops_[op];
  bytes_delivered_ += payload;
  ++packets_delivered_;
  if (++o.received[local] != o.chunks) return;
  const std::uint64_t cookie = o.cookie;
  if (++o.finished == size()) o.live = false;  // every GPU done: the slot may be reused
  if (nvls_observer_ != nullptr) {
    nvls_observer_->on_nvls_allreduce_done(ids_[local], cookie, sim_->now());
  }
}

}  // namespace fabricsim::models
