// The NVLink side of a GPU in a domain: one port per NVLink link (link i to NVSwitch chip
// i % switches). Ports pull their next packet when they go idle, so a message is sprayed over
// every link and the GPU sends at links x link rate. Messages are served round-robin per
// packet; NVLS all-reduce contributions go first, chunk k on link k % links.
#pragma once

#include <cstdint>
#include <vector>

#include "models/node.hpp"
#include "models/packet.hpp"
#include "models/params.hpp"
#include "models/port.hpp"
#include "sim/simulator.hpp"

namespace fabricsim::models {

class NvlinkDomain;

class NvlinkGpu final : public Node {
 public:
  // The domain owns the GPU and outlives it.
  NvlinkGpu(sim::Simulator& sim, PacketPool& pool, NvlinkDomain& domain, std::uint32_t local,
            const NvlinkParams& params);

  // Starts sending message `slot` of the domain's message table.
  void add_message(std::uint32_t slot);
  // Starts pushing this GPU's contributions to NVLS operation `op` (queued behind earlier ones).
  void add_nvls(std::uint32_t op);

  // Node
  void receive(Packet* packet, std::uint16_t in_port) override;
  Port& port(std::uint16_t index) override { return ports_[index]; }
  const Port& port(std::uint16_t index) const { return ports_[index]; }
  std::uint16_t port_count() const override { return static_cast<std::uint16_t>(ports_.size()); }
  void on_port_ready(std::uint16_t port) override { pull(port); }

 private:
  void kick();
  void pull(std::uint16_t port);
  bool pull_nvls(std::uint16_t port);

  std::vector<Port> ports_;
  std::vector<std::uint32_t> active_;     // message slots with packets left to send
  std::vector<std::uint32_t> nvls_ops_;   // NVLS operations, the first one being pushed
  std::vector<std::uint32_t> nvls_next_;  // per port: next chunk of the first operation
  std::size_t rr_ = 0;
  NvlinkDomain* domain_;
  PacketPool* pool_;
  std::uint32_t local_;
  std::uint32_t header_bytes_;
};

}  // namespace fabricsim::models
