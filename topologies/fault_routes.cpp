// Routes around failed links, updated step by step (see fault_routes.hpp).
#include "topologies/fault_routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace fabricsim::topologies {

namespace {
std::uint64_t hash_ports(const std::vector<std::uint16_t>& ports) {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL;
  for (const std::uint16_t p : ports)
    h = (h ^ p) * 0xFF51AFD7ED558CCDULL;
  return h;
}
}  // namespace

FaultRoutes::FaultRoutes(const NetworkGraph& graph, const Routes& base,
                         std::vector<std::vector<std::uint32_t>> down_ports,
                         std::uint32_t installing_switches)
    : graph_(graph),
      edges_(base.edge_count()),
      edge_switches_(base.edge_switches),
      distance_(base.distance),
      group_of_edge_(base.group_of_edge),
      switch_groups_(graph.switch_count),
      down_(graph.port_count(), 0),
      down_ports_(std::move(down_ports)),
      dirty_(graph.switch_count, 0),
      installing_(installing_switches) {
  if (down_ports_.empty()) down_ports_.emplace_back();
  if (!down_ports_.front().empty()) {
    throw std::invalid_argument("FaultRoutes: step 0 is the fault-free routing");
  }
  for (const auto& step : down_ports_) {
    for (const std::uint32_t p : step) {
      if (p >= graph_.port_count()) throw std::out_of_range("FaultRoutes: no such port");
    }
  }
  for (std::uint32_t s = 0; s < graph_.switch_count; ++s)
    switch_groups_[s].groups = base.switch_groups(s);
}

std::uint16_t FaultRoutes::intern(std::uint32_t sw, const std::vector<std::uint16_t>& ports) {
  SwitchGroups& g = switch_groups_[sw];
  if (!g.indexed) {
    g.indexed = true;
    for (std::size_t k = 0; k < g.groups.size(); ++k)
      g.by_hash.emplace(hash_ports(g.groups[k]), static_cast<std::uint16_t>(k));
  }
  const std::uint64_t h = hash_ports(ports);
  const auto range = g.by_hash.equal_range(h);
  for (auto it = range.first; it != range.second; ++it) {
    if (g.groups[it->second] == ports) return it->second;
  }
  if (g.groups.size() >= Routes::kNoGroup) {
    throw std::length_error(
        fmt::format("switch {}: more than 65,534 distinct ECMP groups under faults", sw));
  }
  const auto id = static_cast<std::uint16_t>(g.groups.size());
  g.groups.push_back(ports);
  g.by_hash.emplace(h, id);
  return id;
}

// Switch sw's group towards edge index `edge` from the current distances and link states.
void FaultRoutes::regroup(std::uint32_t sw, std::uint32_t edge) {
  const std::uint8_t d = dist(sw, edge);
  std::uint16_t& slot = group_of_edge_[std::size_t{sw} * edges_ + edge];
  std::uint16_t group = Routes::kNoGroup;
  if (d != 0 && d != Routes::kUnreachable) {
    std::vector<std::uint16_t> ports;
    const std::uint32_t base = graph_.port_begin[sw];
    for (std::uint32_t p = base; p < graph_.port_begin[sw + 1]; ++p) {
      if (!usable(p)) continue;
      const std::uint32_t w = graph_.port_node[graph_.peer_port[p]];
      if (dist(w, edge) + 1 == d) ports.push_back(static_cast<std::uint16_t>(p - base));
    }
    if (!ports.empty()) group = intern(sw, ports);
  }
  if (group != slot) {
    slot = group;
    if (dirty_[sw] == 0) dirty_list_.push_back(sw);
    dirty_[sw] = 1;
  }
}

// Hop distances to edge index `edge` over the links up now, then every switch's group.
void FaultRoutes::bfs_column(std::uint32_t edge) {
  ++recomputed_columns_;
  const std::uint32_t n = graph_.switch_count;
  for (std::uint32_t s = 0; s < n; ++s)
    dist(s, edge) = Routes::kUnreachable;
  std::vector<std::uint32_t> queue{edge_switches_[edge]};
  dist(edge_switches_[edge], edge) = 0;
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const std::uint32_t s = queue[head];
    for (std::uint32_t p = graph_.port_begin[s]; p < graph_.port_begin[s + 1]; ++p) {
      if (!usable(p)) continue;
      const std::uint32_t w = graph_.port_node[graph_.peer_port[p]];
      if (dist(w, edge) != Routes::kUnreachable) continue;
      dist(w, edge) = static_cast<std::uint8_t>(dist(s, edge) + 1);
      queue.push_back(w);
    }
  }
  for (std::uint32_t s = 0; s < n; ++s)
    regroup(s, edge);
}

void FaultRoutes::change_link(std::uint32_t port, bool down) {
  const std::uint32_t peer = graph_.peer_port[port];
  const std::uint32_t a = graph_.port_node[port];
  const std::uint32_t b = graph_.port_node[peer];
  const std::uint8_t state = down ? 1 : 0;
  if (down_[port] == state && down_[peer] == state) return;
  down_[port] = state;
  down_[peer] = state;
  if (!graph_.is_switch(a) || !graph_.is_switch(b)) return;  // a NIC's link: no switch route
  for (std::uint32_t e = 0; e < edges_; ++e) {
    const std::uint8_t da = dist(a, e);
    const std::uint8_t db = dist(b, e);
    if (da == db) continue;  // never on a shortest path to e, before or after
    const bool a_far = da > db;
    const std::uint32_t far = a_far ? a : b;
    const std::uint8_t lo = std::min(da, db);
    const std::uint8_t hi = std::max(da, db);
    if (down) {
      if (hi != lo + 1) continue;  // was not on a shortest path to e
      // Does the farther end keep another way one hop closer? Then no distance changes.
      bool kept = false;
      for (std::uint32_t p = graph_.port_begin[far]; p < graph_.port_begin[far + 1] && !kept; ++p) {
        if (!usable(p)) continue;
        kept = dist(graph_.port_node[graph_.peer_port[p]], e) + 1 == hi;
      }
      if (kept) {
        regroup(far, e);
      } else {
        bfs_column(e);
      }
    } else if (hi == lo + 1) {
      regroup(far, e);  // the farther end gains a way closer; distances stay
    } else {
      bfs_column(e);  // a shortcut (or a part reconnected): distances change
    }
  }
}

// The links of a step as their lower ports, sorted.
std::vector<std::uint32_t> FaultRoutes::links_of_step(std::uint32_t step) const {
  std::vector<std::uint32_t> links;
  for (const std::uint32_t p : down_ports_.at(step))
    links.push_back(std::min(p, graph_.peer_port[p]));
  std::sort(links.begin(), links.end());
  links.erase(std::unique(links.begin(), links.end()), links.end());
  return links;
}

void FaultRoutes::advance() {
  const std::uint32_t step = computed_ + 1;
  const std::vector<std::uint32_t> before = links_of_step(computed_);
  const std::vector<std::uint32_t> after = links_of_step(step);
  std::vector<std::uint32_t> back;
  std::vector<std::uint32_t> failed;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(back));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(failed));
  // Links that come back first, then those that fail, each in port order: a fixed order, so
  // the groups (and their ids) are the same in every process.
  for (const std::uint32_t p : back)
    change_link(p, false);
  for (const std::uint32_t p : failed)
    change_link(p, true);
  Step& out = steps_[step];
  for (const std::uint32_t s : dirty_list_) {
    auto table = std::make_shared<models::RouteTable>();
    const auto first =
        group_of_edge_.begin() + static_cast<std::ptrdiff_t>(std::size_t{s} * edges_);
    table->set(std::vector<std::uint16_t>(first, first + edges_), switch_groups_[s].groups);
    out.tables.emplace(s, std::move(table));
    dirty_[s] = 0;
  }
  dirty_list_.clear();
  computed_ = step;
}

void FaultRoutes::compute_through(std::uint32_t step) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (step >= down_ports_.size()) throw std::out_of_range("FaultRoutes: no such step");
  while (computed_ < step)
    advance();
}

void FaultRoutes::install(models::Fabric& fabric, std::uint32_t switch_index, std::uint32_t step) {
  std::shared_ptr<const models::RouteTable> table;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (step == 0 || step >= down_ports_.size()) {
      throw std::out_of_range(fmt::format("FaultRoutes: no convergence step {}", step));
    }
    while (computed_ < step)
      advance();
    const auto it = steps_.find(step);
    if (it == steps_.end()) {
      throw std::logic_error(fmt::format("FaultRoutes: step {} was installed already", step));
    }
    const auto t = it->second.tables.find(switch_index);
    if (t != it->second.tables.end()) table = t->second;
    if (++it->second.installs == installing_) steps_.erase(it);
  }
  if (table != nullptr) fabric.install_routes(switch_index, *table);
}

std::vector<std::uint16_t> FaultRoutes::next_hops(std::uint32_t sw, std::uint32_t edge) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const std::uint16_t g = group_of_edge_.at(std::size_t{sw} * edges_ + edge);
  if (g == Routes::kNoGroup) return {};
  return switch_groups_[sw].groups.at(g);
}

}  // namespace fabricsim::topologies
