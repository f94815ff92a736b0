// A switch's forwarding state: for each destination edge switch (dense edge index), the id of
// a de-duplicated ECMP group, i.e. a list of this switch's egress ports. Memory is
// 2 bytes per edge switch plus the distinct groups, independent of the number of hosts.
#pragma once

#include <cstdint>
#include <vector>

namespace fabricsim::models {

class RouteTable {
 public:
  static constexpr std::uint16_t kNoGroup = 0xFFFF;

  // group_of_edge[e] = index into `groups` for destination edge index e, or kNoGroup when
  // unreachable; groups[g] = the egress ports of group g (non-empty).
  void set(std::vector<std::uint16_t> group_of_edge,
           const std::vector<std::vector<std::uint16_t>>& groups);

  // The ports of the group towards edge index `edge`; count 0 when there is none.
  struct Span {
    const std::uint16_t* ports;
    std::uint32_t count;
  };
  Span group_for_edge(std::uint32_t edge) const {
    if (edge >= group_of_edge_.size()) return {nullptr, 0};
    const std::uint16_t g = group_of_edge_[edge];
    if (g == kNoGroup) return {nullptr, 0};
    return {ports_.data() + offsets_[g], offsets_[g + 1U] - offsets_[g]};
  }
  // The same table without the ports marked in `down` (indexed by port): a group left with no
  // port makes its destinations unreachable (local repair after a link failure).
  RouteTable without_ports(const std::vector<std::uint8_t>& down) const;
  std::size_t memory_bytes() const {
    return group_of_edge_.capacity() * sizeof(std::uint16_t) +
           offsets_.capacity() * sizeof(std::uint32_t) + ports_.capacity() * sizeof(std::uint16_t);
  }

 private:
  std::vector<std::uint16_t> group_of_edge_;
  std::vector<std::uint32_t> offsets_;  // groups.size() + 1 entries into ports_
  std::vector<std::uint16_t> ports_;
};

}  // namespace fabricsim::models
