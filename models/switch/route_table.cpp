// Flattens the ECMP groups handed in by the routing code into one array.
#include "models/switch/route_table.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace fabricsim::models {

void RouteTable::set(std::vector<std::uint16_t> group_of_edge,
                     const std::vector<std::vector<std::uint16_t>>& groups) {
  if (groups.size() >= kNoGroup) throw std::length_error("too many ECMP groups in one switch");
  for (const std::uint16_t g : group_of_edge) {
    if (g != kNoGroup && g >= groups.size()) {
      throw std::out_of_range(fmt::format("route names ECMP group {} of {}", g, groups.size()));
    }
  }
  group_of_edge_ = std::move(group_of_edge);
  offsets_.assign(1, 0);
  ports_.clear();
  for (const auto& group : groups) {
    if (group.empty()) throw std::invalid_argument("an ECMP group has no port");
    ports_.insert(ports_.end(), group.begin(), group.end());
    offsets_.push_back(static_cast<std::uint32_t>(ports_.size()));
  }
}

}  // namespace fabricsim::models
