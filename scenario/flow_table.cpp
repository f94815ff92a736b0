// Ideal FCTs by replaying the packet model's timing on one idle path, slowdowns, size bins and
// flows.csv.
#include "scenario/flow_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "models/port.hpp"
#include "sim/output_file.hpp"

namespace fabricsim::scenario {
IdealFct::IdealFct(const topologies::NetworkGraph& graph, const topologies::Routes& routes)
    : graph_(graph), routes_(routes) {}

bool IdealFct::path(models::EndpointId from, models::EndpointId to, std::uint32_t plane,
                    std::vector<Hop>& hops) const {
  hops.clear();
  const topologies::Attachment target = graph_.attachment(to, plane);
  const std::uint32_t edge = routes_.edge_index_of_switch[target.switch_id];
  if (edge == topologies::Routes::kNotEdge) return false;
  auto add = [&](std::uint32_t global_port) {
    const std::uint32_t next = graph_.port_node[graph_.peer_port[global_port]];
    const bool is_switch = graph_.is_switch(next);
    const models::LinkParams& link = graph_.link_of_port(global_port);
    hops.push_back(
        Hop{models::Port::ps_per_byte_fixed_point(link.rate_bps),
            link.delay + (is_switch ? graph_.switch_params.latency : sim::Time::zero()),
            is_switch && graph_.switch_params.forwarding == models::Forwarding::kCutThrough});
    return next;
  };
  std::uint32_t node = add(graph_.port_begin[graph_.endpoint_node(from)] + plane);
  // A shortest path has at most one hop per switch; more means a routing loop.
  for (std::uint32_t steps = 0; node != target.switch_id; ++steps) {
    if (steps > graph_.switch_count || !graph_.is_switch(node)) return false;
    const auto next = routes_.next_hops(node, edge);
    if (next.empty()) return false;
    node = add(graph_.port_begin[node] + next.front());
  }
  add(graph_.port_begin[node] + target.local_port);
  return true;
}

sim::Time IdealFct::of(models::EndpointId src, models::EndpointId dst, std::uint64_t bytes) const {
  const std::uint32_t planes = std::min(graph_.nic_port_count(src), graph_.nic_port_count(dst));
  std::vector<std::vector<Hop>> forward(planes);
  std::vector<Hop> back;
  for (std::uint32_t q = 0; q < planes; ++q) {
    if (!path(src, dst, q, forward[q])) return sim::Time::max();
  }
  const models::NicParams& nic = graph_.nic_params;
  const models::LinkParams& first =
      graph_.link_of_port(graph_.port_begin[graph_.endpoint_node(src)]);
  const std::uint64_t mtu = first.mtu_bytes;
  const std::uint64_t packets = std::max<std::uint64_t>(1, (bytes + mtu - 1) / mtu);

  // One packet of `wire` bytes through `hops` from `at`, each egress free from free[i] on;
  // returns its arrival at the last node.
  auto pass = [](const std::vector<Hop>& hops, std::vector<sim::Time>& free, sim::Time at,
                 std::uint32_t wire) {
    for (std::size_t i = 0; i < hops.size(); ++i) {
      const Hop& h = hops[i];
      const sim::Time begin = std::max(at, free[i]);
      const sim::Time ser = models::Port::serialization(h.ps_per_byte_fp, wire);
      free[i] = begin + ser;
      const sim::Time lead = h.cut_through
                                 ? models::Port::serialization(
                                       h.ps_per_byte_fp, std::min(wire, models::kCutThroughBytes))
                                 : ser;
      at = begin + lead + h.delay;
    }
    return at;
  };

  std::vector<std::vector<sim::Time>> free(planes);
  for (std::uint32_t q = 0; q < planes; ++q)
    free[q].assign(forward[q].size(), sim::Time::zero());
  sim::Time arrival = sim::Time::zero();
  std::uint32_t last_plane = 0;
  for (std::uint64_t k = 0; k < packets; ++k) {
    const std::uint64_t payload = std::min(mtu, bytes - std::min(bytes, k * mtu));
    const auto wire = static_cast<std::uint32_t>(payload + nic.header_bytes);
    const auto q = static_cast<std::uint32_t>(k % planes);
    // The NIC's port q sends back to back at its line rate (free[q][0] is when it is idle).
    const sim::Time at = pass(forward[q], free[q], free[q][0], wire);
    if (at >= arrival) {
      arrival = at;
      last_plane = q;
    }
  }
  if (!path(dst, src, last_plane, back)) return sim::Time::max();
  std::vector<sim::Time> back_free(back.size(), sim::Time::zero());
  return pass(back, back_free, arrival, nic.ack_bytes);
}

std::vector<FlowRow> flow_rows(const std::vector<models::FlowRecord>& log, const IdealFct& ideal) {
  std::vector<FlowRow> rows;
  rows.reserve(log.size());
  for (const models::FlowRecord& rec : log) {
    const sim::Time best = ideal.of(rec.src, rec.dst, rec.bytes);
    rows.push_back(FlowRow{
        rec.cookie, rec.src, rec.dst, rec.bytes, rec.start.picoseconds(), rec.end.picoseconds(),
        best == sim::Time::max() ? -1 : best.picoseconds(), rec.retransmitted_bytes});
  }
  std::sort(rows.begin(), rows.end(),
            [](const FlowRow& a, const FlowRow& b) { return a.id < b.id; });
  return rows;
}

std::vector<SlowdownBin> slowdown_by_size(const std::vector<FlowRow>& rows) {
  constexpr std::uint64_t kEdges[] = {0, 10'000, 100'000, 1'000'000, 10'000'000};
  std::vector<SlowdownBin> bins;
  std::vector<double> values;
  for (std::size_t b = 0; b < std::size(kEdges); ++b) {
    SlowdownBin bin;
    bin.min_bytes = kEdges[b];
    bin.max_bytes = b + 1 < std::size(kEdges) ? kEdges[b + 1] : 0;
    bins.push_back(bin);
  }
  bins.push_back(SlowdownBin{});  // every flow
  for (SlowdownBin& bin : bins) {
    values.clear();
    for (const FlowRow& r : rows) {
      if (r.bytes < bin.min_bytes || (bin.max_bytes != 0 && r.bytes >= bin.max_bytes)) continue;
      if (r.ideal_ps <= 0) continue;  // no path: never completed in practice
      values.push_back(r.slowdown());
    }
    bin.count = values.size();
    if (values.empty()) continue;
    std::sort(values.begin(), values.end());
    auto at = [&](double p) {
      const auto n = static_cast<double>(values.size());
      auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
      return values[std::max<std::size_t>(rank, 1) - 1];
    };
    bin.p50 = at(50);
    bin.p95 = at(95);
    bin.p99 = at(99);
    bin.max = values.back();
    double sum = 0.0;
    for (double v : values)
      sum += v;
    bin.mean = sum / static_cast<double>(values.size());
  }
  return bins;
}

void write_flows_csv(const std::filesystem::path& path, const std::vector<FlowRow>& rows) {
  sim::OutputFile file(path);
  std::ostream& out = file.stream();
  out << "id,src,dst,size_bytes,start_ps,finish_ps,fct_ps,ideal_fct_ps,slowdown,"
         "retransmitted_bytes\n";
  for (const FlowRow& r : rows) {
    out << fmt::format("{},{},{},{},{},{},{},{},{:.6f},{}\n", r.id, r.src, r.dst, r.bytes,
                       r.start_ps, r.finish_ps, r.finish_ps - r.start_ps, r.ideal_ps, r.slowdown(),
                       r.retransmitted_bytes);
  }
  out.flush();
  if (!out) {
    throw std::runtime_error(
        fmt::format("{}: write failed: {}", path.string(), std::strerror(errno)));
  }
  file.close();
}

}  // namespace fabricsim::scenario
