// Where an endpoint hangs off the fabric: its edge switch and the port there. The Fabric keeps
// one array of these, shared (read-only) by every switch, so that routing tables are per edge
// switch rather than per host.
#pragma once

#include <cstdint>
#include <limits>

namespace fabricsim::models {

inline constexpr std::uint32_t kNoSwitch = std::numeric_limits<std::uint32_t>::max();

struct Attachment {
  std::uint32_t edge_switch = kNoSwitch;  // switch index (Fabric::add_switch order)
  std::uint32_t edge_index = kNoSwitch;   // dense index among edge switches (routing tables)
  std::uint16_t port = 0;                 // port on the edge switch that leads to the endpoint
};

}  // namespace fabricsim::models
