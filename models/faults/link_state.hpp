// The fault state of one port (one direction of a link), allocated only for the ports a fault
// timeline touches: whether its link is up, failed (the signal is gone but nobody has noticed:
// what the port sends is black-holed) or down (detected: the port refuses packets), and what
// the faults cost it.
#pragma once

#include <cstdint>

#include "sim/time.hpp"

namespace fabricsim::models {

enum class LinkState : std::uint8_t {
  kUp,
  kFailed,  // physically down, not yet detected: transmissions are lost
  kDown,    // detected down: the port flushed its queue and refuses packets
};
const char* link_state_name(LinkState state);

struct PortFaultCounters {
  std::uint64_t blackholed_packets = 0;  // sent into a failed link, or on the wire at the failure
  std::uint64_t blackholed_bytes = 0;
  std::uint64_t refused_packets = 0;  // queued at the detection, or handed to the port while down
  std::uint64_t refused_bytes = 0;
  std::uint64_t failures = 0;  // times the link failed
};

struct PortFault {
  LinkState state = LinkState::kUp;
  // The latest instant the link failed: a packet that started on the wire before it and
  // arrives after it is lost in flight.
  sim::Time failed_at = sim::Time::ps(-(1LL << 62));
  PortFaultCounters counters;
};

}  // namespace fabricsim::models
