// An NVSwitch chip of an NVLink domain: cut-through, lossless by credits (each ingress port
// advertises credit_buffer bytes per lane and returns them as packets leave), routes a packet
// to the least-loaded of the destination GPU's links on this chip, and performs the in-switch
// reduction of the domain's NVLS all-reduce: it absorbs every GPU's contribution to a chunk and,
// once all have arrived, multicasts the reduced chunk to every GPU.
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

class NvSwitch final : public Node {
 public:
  static constexpr std::uint16_t kGenerated = 0xFFFF;  // in_port of packets the switch made

  // `ports_of_gpu[g]` = number of links GPU g has to this chip; the chip's ports are numbered
  // GPU by GPU in link order. The domain owns the chip and outlives it.
  NvSwitch(sim::Simulator& sim, PacketPool& pool, NvlinkDomain& domain, std::uint32_t chip,
           const std::vector<std::uint16_t>& ports_of_gpu, const NvlinkParams& params);

  // This chip's index in its domain.
  std::uint32_t chip() const { return chip_; }
  // Port of this chip attached to link `k` (0-based among GPU g's links to this chip).
  std::uint16_t port_of(std::uint32_t gpu, std::uint32_t k) const {
    return static_cast<std::uint16_t>(first_port_[gpu] + k);
  }

  // Node
  void receive(Packet* packet, std::uint16_t in_port) override;
  Port& port(std::uint16_t index) override { return ports_[index]; }
  const Port& port(std::uint16_t index) const { return ports_[index]; }
  std::uint16_t port_count() const override { return static_cast<std::uint16_t>(ports_.size()); }
  sim::Time ingress_latency() const override { return latency_; }
  bool cut_through() const override { return true; }
  void on_dequeue(Packet& packet, std::uint16_t port) override;
  std::uint64_t ingress_credit_bytes(std::uint16_t /*port*/) const override { return credit_; }

  std::uint64_t reductions() const { return reductions_; }  // chunks reduced and multicast

 private:
  void multicast(std::uint64_t op, std::uint32_t chunk, std::uint32_t payload);

  std::vector<Port> ports_;
  std::vector<std::uint16_t> first_port_;  // per GPU, its first port here
  std::vector<std::uint16_t> port_count_;  // per GPU, its ports here
  NvlinkDomain* domain_;
  PacketPool* pool_;
  sim::Time latency_;
  std::uint64_t credit_;
  std::uint64_t reductions_ = 0;
  std::uint32_t chip_;
  std::uint32_t header_bytes_;
  std::uint32_t rr_ = 0;
};

}  // namespace fabricsim::models
