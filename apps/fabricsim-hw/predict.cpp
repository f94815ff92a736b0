// A star of N hosts and one switch, simulated for one collective (see predict.hpp).
#include "apps/fabricsim-hw/predict.hpp"

#include <fmt/format.h>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "sim/units.hpp"

namespace fabricsim::hw_app {

nlohmann::json prediction_scenario(const HwOptions& options, std::int32_t nranks,
                                   std::uint64_t bytes) {
  // A path crosses two links (host -> switch -> host): each gets half the latency.
  const sim::Time latency = sim::parse_time(options.predict_latency);
  const std::string link_delay = fmt::format("{}ps", latency.picoseconds() / 2);
  nlohmann::json hosts = nlohmann::json::array();
  nlohmann::json links = nlohmann::json::array();
  for (std::int32_t h = 0; h < nranks; ++h) {
    const std::string name = fmt::format("h{}", h);
    hosts.push_back({{"name", name}});
    links.push_back({{"a", name}, {"b", "switch"}});
  }
  nlohmann::json doc = {{"name", "fabricsim-hw prediction"},
                        {"seed", 1},
                        {"topology",
                         {{"kind", "explicit"},
                          {"name", fmt::format("star_{}", nranks)},
                          {"switches", nlohmann::json::array({{{"name", "switch"}}})},
                          {"hosts", hosts},
                          {"links", links},
                          {"link", {{"rate", options.predict_rate}, {"delay", link_delay}}}}},
                        {"workload",
                         {{"kind", "collective"},
                          {"op", workloads::to_string(options.op)},
                          {"algorithm", options.algorithm},
                          {"size", std::to_string(bytes)},
                          {"channels", options.channels},
                          {"slice", options.slice_bytes == 0 ? std::string("none")
                                                             : std::to_string(options.slice_bytes)},
                          {"iterations", 1},
                          {"dtype", workloads::to_string(options.dtype)}}}};
  for (const auto& assignment : options.predict_set) {
    scenario::apply_override(doc, assignment, "--predict-set");
  }
  return doc;
}

Prediction predict(const HwOptions& options, std::int32_t nranks, std::uint64_t bytes) {
  const scenario::Scenario s = scenario::parse_scenario(prediction_scenario(options, nranks, bytes),
                                                        "fabricsim-hw --predict-rate", ".");
  const scenario::Results results = scenario::run_scenario(s);
  Prediction p;
  if (results.collectives.empty()) return p;
  const auto& c = results.collectives.front();
  p.time_us = static_cast<double>(c.time_ps) / 1e6;
  p.algbw_GBps = c.algbw_GBps;
  p.busbw_GBps = c.busbw_GBps;
  return p;
}

}  // namespace fabricsim::hw_app
