// The PCIe hop between a GPU's memory and its NIC. The NIC model (models/nic) keeps one port
// and originates and consumes packets itself, so the hop is a two-port stage on the NIC's side
// of its network link: port 0 is a credit-based PCIe link to the NIC (DMA reads of outgoing
// data, DMA writes of incoming data, at the PCIe rate), port 1 the NIC's network link. Every
// byte a GPU sends or receives through its NIC crosses the PCIe rate, so a slow PCIe caps the
// GPU's network throughput. Towards the network the stage advertises `pcie_buffer` per lane as
// credits on credit-based links (InfiniBand): a slow PCIe then back-pressures the fabric
// without loss. On Ethernet links the stage's queue towards the NIC is not bounded (no PFC from
// the stage).
#pragma once

#include <cstdint>
#include <vector>

#include "models/node.hpp"
#include "models/packet.hpp"
#include "models/params.hpp"
#include "models/port.hpp"
#include "sim/simulator.hpp"

namespace fabricsim::models {

class PcieStage final : public Node {
 public:
  static constexpr std::uint16_t kNicSide = 0;
  static constexpr std::uint16_t kNetworkSide = 1;

  // Packets are forwarded, never created or dropped; ownership passes on at once.
  PcieStage(sim::Simulator& sim, PacketPool& pool, std::uint64_t buffer_bytes);

  void receive(Packet* packet, std::uint16_t in_port) override;
  Port& port(std::uint16_t index) override { return ports_[index]; }
  const Port& port(std::uint16_t index) const { return ports_[index]; }
  std::uint16_t port_count() const override { return 2; }
  void on_dequeue(Packet& packet, std::uint16_t port) override;
  std::uint64_t ingress_credit_bytes(std::uint16_t /*port*/) const override { return buffer_; }
  // Faults: the network side is the NIC's physical link; the NIC hears of its state.
  void on_link_state(std::uint16_t port, bool up) override;

  LinkParams link;  // the PCIe link to the NIC (the Fabric wires it with the network's MTU)

 private:
  std::vector<Port> ports_;
  PacketPool* pool_;
  std::uint64_t buffer_;
};

}  // namespace fabricsim::models
