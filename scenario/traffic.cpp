// Traffic pattern generators (see traffic.hpp).
#include "scenario/traffic.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "topologies/config_error.hpp"

namespace fabricsim::scenario {

std::uint64_t flow_count(const TrafficSpec& t, std::uint32_t n) {
  switch (t.pattern) {
    case TrafficPattern::kPermutation:
      return n;
    case TrafficPattern::kIncast:
      return t.incast_senders;
    case TrafficPattern::kAllToAll:
      return static_cast<std::uint64_t>(n) * (n - 1);
    case TrafficPattern::kUniform:
      return static_cast<std::uint64_t>(n) * t.flows_per_host;
  }
  return 0;
}

std::vector<FlowSpec> generate_flows(const TrafficSpec& t, std::uint32_t n,
                                     std::uint64_t host_rate_bps, sim::Rng& rng,
                                     const std::string& source) {
  auto size = [&] { return t.cdf.points.empty() ? t.flow_size : draw_size(t.cdf, rng); };
  std::vector<FlowSpec> flows;
  if (n < 2) {
    throw topologies::ConfigError(fmt::format(
        "{}: /workload: traffic needs at least two endpoints, the topology has {}", source, n));
  }
  // Flows are held in memory (24 bytes each): refuse patterns that would not fit.
  const std::uint64_t count = flow_count(t, n);
  if (count > kMaxFlows) {
    const bool per_host = t.pattern == TrafficPattern::kUniform;
    throw topologies::ConfigError(fmt::format(
        "{}: /workload/{}: {} on {} endpoints makes {} flows, expected at most {}", source,
        per_host ? "flows_per_host" : "pattern",
        per_host ? fmt::format("{} flows per host", t.flows_per_host) : pattern_name(t.pattern), n,
        count, kMaxFlows));
  }
  flows.reserve(count);
  switch (t.pattern) {
    case TrafficPattern::kPermutation: {
      // A random derangement: every host sends to one other host and receives from one.
      std::vector<std::uint32_t> dst(n);
      std::iota(dst.begin(), dst.end(), 0U);
      for (std::uint32_t i = n - 1; i > 0; --i) {  // Sattolo's algorithm: one n-cycle
        const auto j = static_cast<std::uint32_t>(rng.below(i));
        std::swap(dst[i], dst[j]);
      }
      for (std::uint32_t i = 0; i < n; ++i)
        flows.push_back({i, dst[i], size(), t.start});
      break;
    }
    case TrafficPattern::kIncast: {
      if (t.incast_receiver >= n) {
        throw topologies::ConfigError(
            fmt::format("{}: /workload/receiver: {}: expected an endpoint id below {}", source,
                        t.incast_receiver, n));
      }
      if (t.incast_senders == 0 || t.incast_senders > n - 1) {
        throw topologies::ConfigError(
            fmt::format("{}: /workload/senders: {}: expected 1 to {} senders", source,
                        t.incast_senders, n - 1));
      }
      std::uint32_t added = 0;
      for (std::uint32_t i = 0; added < t.incast_senders; ++i) {
        if (i == t.incast_receiver) continue;
        flows.push_back({i, t.incast_receiver, size(), t.start});
        ++added;
      }
      break;
    }
    case TrafficPattern::kAllToAll:
      for (std::uint32_t i = 0; i < n; ++i) {
        for (std::uint32_t j = 0; j < n; ++j) {
          if (i != j) flows.push_back({i, j, size(), t.start});
        }
      }
      break;
    case TrafficPattern::kUniform:
      // Poisson arrivals per host at the offered load; destinations uniform among the others.
      // The mean gap is size / (load x host link rate).
      for (std::uint32_t i = 0; i < n; ++i) {
        sim::Time at = t.start;
        for (std::uint32_t k = 0; k < t.flows_per_host; ++k) {
          const std::uint64_t bytes = size();
          const double gap_ps = static_cast<double>(bytes) * 8.0 /
                                (t.load * static_cast<double>(host_rate_bps)) * 1e12;
          at += sim::Time::ps(static_cast<std::int64_t>(rng.exponential(gap_ps)));
          auto j = static_cast<std::uint32_t>(rng.below(n - 1));
          if (j >= i) ++j;
          flows.push_back({i, j, bytes, at});
        }
      }
      break;
  }
  return flows;
}

}  // namespace fabricsim::scenario
