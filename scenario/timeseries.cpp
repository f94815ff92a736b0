// Time-series probes (see timeseries.hpp).
#include "scenario/timeseries.hpp"

#include <algorithm>
#include <memory>
#include <vector>

namespace fabricsim::scenario {

void add_probes(sim::Sampler& sampler, models::Fabric& fabric, const OutputSpec& outputs,
                sim::Time interval) {
  auto for_each_switch_port = [&fabric](auto&& fn) {
    for (std::uint32_t s = 0; s < fabric.switch_count(); ++s) {
      auto& sw = fabric.switch_at(s);
      for (std::uint16_t p = 0; p < sw.port_count(); ++p)
        fn(sw.port(p));
    }
  };
  for (const auto& metric : outputs.metrics) {
    if (metric == "queue_bytes") {
      sampler.add_probe("queue_bytes_max", [for_each_switch_port] {
        std::uint64_t m = 0;
        for_each_switch_port([&m](const models::Port& p) { m = std::max(m, p.queue_bytes()); });
        return static_cast<double>(m);
      });
      sampler.add_probe("queue_bytes_total", [for_each_switch_port] {
        std::uint64_t sum = 0;
        for_each_switch_port([&sum](const models::Port& p) { sum += p.queue_bytes(); });
        return static_cast<double>(sum);
      });
    } else if (metric == "link_utilization") {
      // Mean over switch egress ports of (bytes sent in the interval) / (rate x interval).
      auto last = std::make_shared<std::vector<std::uint64_t>>();
      sampler.add_probe("link_utilization_mean", [for_each_switch_port, last, interval] {
        std::size_t i = 0;
        double sum = 0;
        const bool first = last->empty();
        for_each_switch_port([&](const models::Port& p) {
          if (first) last->push_back(0);
          const std::uint64_t sent = p.tx_bytes() - (*last)[i];
          (*last)[i] = p.tx_bytes();
          const double capacity = static_cast<double>(p.rate_bps()) / 8.0 * interval.seconds();
          if (capacity > 0) sum += static_cast<double>(sent) / capacity;
          ++i;
        });
        return i == 0 ? 0.0 : sum / static_cast<double>(i);
      });
    } else if (metric == "pfc_paused") {
      sampler.add_probe("pfc_paused_ports", [for_each_switch_port] {
        double n = 0;
        for_each_switch_port([&n](const models::Port& p) { n += p.paused(0) || p.paused(1); });
        return n;
      });
    } else if (metric == "qp_rate") {
      sampler.add_probe("qp_rate_mean_bps", [&fabric] {
        double sum = 0;
        std::uint64_t qps = 0;
        for (std::uint32_t e = 0; e < fabric.nic_count(); ++e) {
          auto& nic = fabric.nic(e);
          for (std::uint32_t q = 0; q < nic.qp_count(); ++q, ++qps) {
            sum += static_cast<double>(nic.qp_rate_bps(q));
          }
        }
        return qps == 0 ? 0.0 : sum / static_cast<double>(qps);
      });
    }
  }
}

}  // namespace fabricsim::scenario
