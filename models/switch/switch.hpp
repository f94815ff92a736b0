// A switch: routes each packet to an egress port (ECMP flow hash, per-packet spraying or
// least-loaded adaptive choice among the group towards the destination's edge switch),
// admits it into a shared buffer (dynamic threshold, static limit, or PFC headroom when
// lossless), marks ECN per RED on the egress queue (when a packet joins it or leaves it), and sends
// PFC PAUSE/RESUME upstream per ingress (port, priority). On credit-based ingress links
// (InfiniBand) it is lossless by credits instead: it advertises credit_buffer bytes per (port,
// lane), admits every arrival and returns the credits when the packet leaves on its egress.
// With trimming on (lossy multipath), a data packet the buffer would refuse, or whose egress
// queue would pass the trim threshold, goes on as its header alone in a high-priority class.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "models/attachment.hpp"
#include "models/node.hpp"
#include "models/packet.hpp"
#include "models/params.hpp"
#include "models/port.hpp"
#include "models/switch/route_table.hpp"
#include "sim/rng.hpp"
#include "sim/simulator.hpp"

namespace fabricsim::models {

enum class DropReason : std::uint8_t {
  kBufferFull,        // the shared buffer is full
  kDynamicThreshold,  // the egress queue is above alpha x free buffer (lossy mode)
  kStaticLimit,       // the egress queue is above SwitchParams::queue_limit (lossy mode)
  kHeadroom,          // lossless: PFC headroom of the ingress queue overflowed
  kNoRoute,           // no port leads to the destination
  kLinkLoss,          // lost on a link (LinkParams::loss_rate); counted by ports
  kBlackHole,         // faults: sent into a failed link before detection, or on the wire then
  kLinkDown,          // faults: queued on a link detected down, or handed to its port since
  kCount
};
const char* drop_reason_name(DropReason reason);

struct SwitchCounters {
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> drops{};
  std::uint64_t ecn_marks = 0;
  std::uint64_t pause_frames = 0;   // PAUSE frames with quanta > 0 sent (refreshes included)
  std::uint64_t resume_frames = 0;  // PAUSE frames with quanta 0 sent
  std::uint64_t trims = 0;          // data packets cut to their header (SwitchParams::trim)
};

class Switch final : public sim::Component, public Node {
 public:
  // `attachments` (owned by the Fabric, indexed by endpoint id) must outlive the switch; its
  // elements may change but the vector object must not move.
  Switch(sim::Simulator& sim, PacketPool& pool, const std::vector<Attachment>& attachments,
         std::uint32_t index, std::uint16_t ports, const SwitchParams& params, std::uint8_t tier);

  // Routing for destinations on other edge switches: see RouteTable::set. A destination
  // attached to this switch always leaves by its direct port.
  // Under faults (routing convergence) the new routes apply without the ports detected down.
  void set_routes(std::vector<std::uint16_t> group_of_edge,
                  const std::vector<std::vector<std::uint16_t>>& groups);
  // The same from a ready table (routing convergence under faults: models/faults/).
  void install_routes(const RouteTable& table);
  // Routing "entropy": this switch takes digit (entropy / divisor) mod group size, so that the
  // tiers of a Clos read different digits of an EV (divisor: the product of the up-group sizes
  // of the tiers below; the fabric builder sets it). 1 by default.
  void set_entropy_divisor(std::uint32_t divisor) { entropy_divisor_ = divisor == 0 ? 1 : divisor; }
  // Called once a port is wired: sizes its PFC headroom ("auto" = 2 x link BDP + 2 MTU).
  void port_attached(std::uint16_t port);

  // Node
  void receive(Packet* packet, std::uint16_t in_port) override;
  Port& port(std::uint16_t index) override { return ports_[index]; }
  const Port& port(std::uint16_t index) const { return ports_[index]; }
  std::uint16_t port_count() const override { return static_cast<std::uint16_t>(ports_.size()); }
  sim::Time ingress_latency() const override { return params_.latency; }
  bool cut_through() const override { return params_.forwarding == Forwarding::kCutThrough; }
  void on_dequeue(Packet& packet, std::uint16_t port) override;
  // Local repair: a port whose link is detected down leaves every ECMP group (a group left
  // empty black-holes its destinations until routing converges: set_routes), and rejoins
  // them when the link is back; the PFC state of its ingress queues is reset.
  void on_link_state(std::uint16_t port, bool up) override;
  bool port_in_service(std::uint16_t port) const {
    return port_down_.empty() || port_down_[port] == 0;
  }
  std::uint64_t ingress_credit_bytes(std::uint16_t port) const override;

  void on_event(std::uint64_t arg) override;  // PAUSE refresh timers

  std::uint32_t index() const { return index_; }
  std::uint8_t tier() const { return tier_; }
  const SwitchParams& params() const { return params_; }
  const SwitchCounters& counters() const { return counters_; }
  std::uint64_t buffer_used() const { return used_; }
  std::uint64_t ingress_bytes(std::uint16_t port, std::uint8_t priority) const {
    return ingress_[slot(port, priority)].bytes;
  }
  bool pausing_upstream(std::uint16_t port, std::uint8_t priority) const {
    return ingress_[slot(port, priority)].paused;
  }
  // Current PFC thresholds of an ingress queue (resolving "auto").
  std::uint64_t xoff_bytes(std::uint16_t port) const;
  std::uint64_t xon_bytes(std::uint16_t port) const;
  std::uint64_t headroom_bytes(std::uint16_t port) const { return headroom_[port]; }
  std::size_t route_memory_bytes() const { return routes_.memory_bytes(); }
  // Everything this switch holds: itself, its ports, per-(port, priority) MMU state, routes.
  std::size_t memory_bytes() const {
    return sizeof(Switch) + ports_.capacity() * sizeof(Port) +
           ingress_.capacity() * sizeof(IngressQueue) +
           headroom_.capacity() * sizeof(std::uint32_t) + routes_.memory_bytes();
  }
  // Egress port for `packet` (exposed for the ECMP tests); kNoPort when unroutable. Spraying
  // advances its round-robin state.
  static constexpr std::uint16_t kNoPort = 0xFFFF;
  std::uint16_t route(const Packet& packet);

  // HPCC telemetry in the PINT style (Ben Basat et al., SIGCOMM'20): each egress port keeps
  // HPCC's utilization estimate U = EWMA over base_rtt of qlen / (B base_rtt) + txRate / B,
  // updated as each data packet leaves, and a data packet carries the largest U of its path.
  // Off (no cost beyond one branch per dequeue) until enabled.
  void enable_utilization_telemetry(sim::Time base_rtt);
  double utilization(std::uint16_t port) const {
    return telemetry_.empty() ? 0.0 : telemetry_[port].u;
  }

 private:
  struct PortTelemetry {
    sim::Time last = sim::Time::zero();
    std::uint64_t tx_bytes = 0;
    double u = 0.0;
  };
  void stamp_utilization(Packet& packet, std::uint16_t port);

  struct IngressQueue {
    std::uint32_t bytes = 0;     // bytes in the buffer that arrived on this (port, priority)
    std::uint32_t headroom = 0;  // of which in the PFC headroom
    std::uint32_t generation = 0;
    bool paused = false;  // we told the upstream port to stop
  };
  std::size_t slot(std::uint16_t port, std::uint8_t priority) const {
    return static_cast<std::size_t>(port) * priorities_ + priority;
  }
  // DropReason::kCount when admitted (and accounted), else why not.
  DropReason admit(const Packet& packet, std::uint16_t in_port, std::uint16_t out_port);
  void send_pause(std::uint16_t port, std::uint8_t priority, std::uint16_t quanta);
  void drop(Packet* packet, DropReason reason);
  // Cuts a data packet to its header in the trim class (SwitchParams::trim); counts it.
  void trim(Packet& packet);
  // RED decision on `queue_bytes` for an ECN-capable packet; counts the mark.
  void mark_ecn(Packet& packet, std::uint64_t queue_bytes);
  std::uint32_t flow_hash(const Packet& packet) const;

  std::vector<Port> ports_;
  std::vector<IngressQueue> ingress_;
  std::vector<PortTelemetry> telemetry_;  // per port, empty while telemetry is off
  sim::Time telemetry_rtt_;
  std::vector<std::uint32_t> headroom_;  // per port
  const std::vector<Attachment>* attachments_;
  RouteTable routes_;                    // what forwarding uses
  RouteTable installed_;                 // under faults: the routes last set, before local repair
  std::vector<std::uint8_t> port_down_;  // per port, empty until a link of this switch fails
  std::int32_t ports_down_ = 0;          // how many are marked in port_down_
  SwitchParams params_;
  SwitchCounters counters_;
  PacketPool* pool_;
  sim::Rng rng_;
  std::uint64_t used_ = 0;         // bytes in the buffer
  std::uint64_t shared_used_ = 0;  // of which in the shared pool (the rest in headroom)
  std::uint64_t headroom_reserved_ = 0;
  std::uint64_t salt_;
  std::uint32_t spray_next_ = 0;
  std::uint32_t entropy_divisor_ = 1;
  std::uint32_t index_;
  std::uint8_t priorities_;
  std::uint8_t tier_;
  bool mark_at_enqueue_;
  bool mark_at_dequeue_;
  bool credit_ports_ = false;  // some ingress link is credit-based (returns credits on dequeue)
  bool trim_;                  // SwitchParams::trim.enabled
};

}  // namespace fabricsim::models
