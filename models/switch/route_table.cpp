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

RouteTable RouteTable::without_ports(const std::vector<std::uint8_t>& down) const {
  RouteTable out;
  out.offsets_.assign(1, 0);
  std::vector<std::uint16_t> renumber(offsets_.empty() ? 0 : offsets_.size() - 1, kNoGroup);
  for (std::size_t g = 0; g + 1 < offsets_.size(); ++g) {
    const std::size_t before = out.ports_.size();
    for (std::uint32_t i = offsets_[g]; i < offsets_[g + 1]; ++i) {
      const std::uint16_t port = ports_[i];
      if (port >= down.size() || down[port] == 0) out.ports_.push_back(port);
    }
    if (out.ports_.size() == before) continue;
    renumber[g] = static_cast<std::uint16_t>(out.offsets_.size() - 1);
    out.offsets_.push_back(static_cast<std::uint32_t>(out.ports_.size()));
  }
  out.group_of_edge_.reserve(group_of_edge_.size());
  for (const std::uint16_t g : group_of_edge_)
    out.group_of_edge_.push_back(g == kNoGroup ? kNoGroup : renumber[g]);
  return out;
}

}  // namespace fabricsim::models
