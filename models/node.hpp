// What a port talks to: a node (switch, NIC, or a test node) that owns ports and receives
// packets from links.
#pragma once

#include <cstdint>

#include "models/packet.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

class Port;

class Node {
 public:
  virtual ~Node() = default;
  // A packet arrived on `in_port`; the node takes ownership of it.
  virtual void receive(Packet* packet, std::uint16_t in_port) = 0;
  virtual Port& port(std::uint16_t index) = 0;
  virtual std::uint16_t port_count() const = 0;
  // Time from the arrival of a packet's last bit (first bit when cut_through()) until the node
  // acts on it: the switch pipeline. Folded into the link's arrival event, so it costs no event.
  virtual sim::Time ingress_latency() const { return sim::Time::zero(); }
  virtual bool cut_through() const { return false; }
  // Port `port` took `packet` off its queue to transmit it (the node does not own it: it may
  // only mark it, as a switch marking ECN at dequeue does). Switches release buffer accounting
  // here; the port's queue no longer counts the packet.
  virtual void on_dequeue(Packet& /*packet*/, std::uint16_t /*port*/) {}
  // Port `port` went idle with nothing it may send (end of a PAUSE, or drained after one).
  virtual void on_port_ready(std::uint16_t /*port*/) {}
  // The link of `port` was detected down (up = false: the port flushed its queue and refuses
  // packets) or works again (up = true). Faults only (models/faults/).
  virtual void on_link_state(std::uint16_t /*port*/, bool /*up*/) {}
  // Bytes per virtual lane this node buffers for packets arriving on `port` over a
  // credit-based link, advertised to the peer as credits; 0 = the node takes whatever arrives
  // (the peer's egress is not credit-limited). A node that advertises a buffer must call
  // port(in_port).return_credits() as it frees what arrived.
  virtual std::uint64_t ingress_credit_bytes(std::uint16_t /*port*/) const { return 0; }
};

}  // namespace fabricsim::models
