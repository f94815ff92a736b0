// PCIe stage: forwards between the NIC side and the network side, returning credits.
#include "models/gpu/pcie_stage.hpp"

namespace fabricsim::models {

PcieStage::PcieStage(sim::Simulator& sim, PacketPool& pool, std::uint64_t buffer_bytes)
    : pool_(&pool), buffer_(buffer_bytes) {
  ports_.reserve(2);  // never reallocated: events point at ports
  ports_.emplace_back(sim, pool, *this, kNicSide);
  ports_.emplace_back(sim, pool, *this, kNetworkSide);
}

void PcieStage::receive(Packet* packet, std::uint16_t in_port) {
  if (packet->kind == PacketKind::kPause) {
    // PFC from the leaf is meant for the NIC's sending: honour it on the network side.
    ports_[in_port].on_pause_frame(packet->priority, packet->pause_quanta);
    pool_->release(packet);
    return;
  }
  packet->in_port = in_port;
  ports_[in_port == kNicSide ? kNetworkSide : kNicSide].enqueue(packet);
}

void PcieStage::on_dequeue(Packet& packet, std::uint16_t /*port*/) {
  // The packet leaves our buffer: the side it came from may send that much more.
  ports_[packet.in_port].return_credits(packet.priority, packet.wire_bytes);
}

void PcieStage::on_link_state(std::uint16_t port, bool up) {
  Node* nic = ports_[kNicSide].peer();
  if (port == kNetworkSide && nic != nullptr) nic->on_link_state(0, up);
}

}  // namespace fabricsim::models
