// Text and JSON forms of the fabricsim-hw table (see report.hpp).
#include "apps/fabricsim-hw/report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "scenario/version.hpp"

namespace fabricsim::hw_app {

std::string table_header(const HwOptions& options, std::int32_t nranks,
                         const std::string& transport, bool predicted) {
  std::string text = fmt::format(
      "# fabricsim-hw {}: {} {}, {} ranks, transport {}, {}, {} iterations ({} warm-up), "
      "{} channel(s), slice {} B\n",
      scenario::kVersion, workloads::to_string(options.op), options.algorithm, nranks, transport,
      workloads::to_string(options.dtype), options.iters, options.warmup, options.channels,
      options.slice_bytes);
  text +=
      "# time: per iteration, the slowest rank's average; GB/s = 1e9 B/s; busbw as nccl-tests\n";
  if (predicted) {
    text += fmt::format(
        "# predicted: fabricsim, {} hosts behind one switch, links {}, host-to-host latency {}\n",
        nranks, options.predict_rate, options.predict_latency);
    if (options.ranks_per_node > 1) {
      text += "# note: the predicted star has no nodes: there every rank is its own node\n";
    }
  }
  text += fmt::format("#{:>12} {:>12} {:>8} {:>11} {:>11} {:>11} {:>8}", "size(B)", "count", "type",
                      "time(us)", "algbw(GB/s)", "busbw(GB/s)", "#wrong");
  if (predicted) text += fmt::format(" {:>14} {:>16}", "pred.time(us)", "pred.busbw(GB/s)");
  return text + "\n";
}

std::string table_row(const HwOptions& options, const Row& row, bool predicted) {
  std::string text =
      fmt::format(" {:>12} {:>12} {:>8} {:>11.1f} {:>11.3f} {:>11.3f} {:>8}", row.bytes, row.count,
                  workloads::to_string(options.dtype), row.time_us, row.algbw_GBps, row.busbw_GBps,
                  row.wrong ? std::to_string(*row.wrong) : std::string("N/A"));
  if (predicted) {
    text += fmt::format(" {:>14.1f} {:>16.3f}", row.predicted_time_us.value_or(0.0),
                        row.predicted_busbw_GBps.value_or(0.0));
  }
  return text + "\n";
}

nlohmann::json table_json(const HwOptions& options, std::int32_t nranks,
                          const std::string& transport, const std::vector<Row>& rows) {
  nlohmann::json doc = {{"schema", "fabricsim.hw/1"},
                        {"version", scenario::kVersion},
                        {"transport", transport},
                        {"op", workloads::to_string(options.op)},
                        {"algorithm", options.algorithm},
                        {"dtype", workloads::to_string(options.dtype)},
                        {"nranks", nranks},
                        {"channels", options.channels},
                        {"slice_bytes", options.slice_bytes},
                        {"iterations", options.iters},
                        {"warmup", options.warmup},
                        {"check", options.check}};
  if (!options.predict_rate.empty()) {
    doc["prediction"] = {{"link_rate", options.predict_rate},
                         {"latency", options.predict_latency},
                         {"overrides", options.predict_set}};
  }
  nlohmann::json list = nlohmann::json::array();
  for (const Row& row : rows) {
    nlohmann::json r = {{"bytes", row.bytes},
                        {"count", row.count},
                        {"time_us", row.time_us},
                        {"algbw_GBps", row.algbw_GBps},
                        {"busbw_GBps", row.busbw_GBps}};
    r["wrong"] = row.wrong ? nlohmann::json(*row.wrong) : nlohmann::json(nullptr);
    if (row.predicted_time_us) {
      r["predicted_time_us"] = *row.predicted_time_us;
      r["predicted_algbw_GBps"] = row.predicted_algbw_GBps.value_or(0.0);
      r["predicted_busbw_GBps"] = row.predicted_busbw_GBps.value_or(0.0);
    }
    list.push_back(std::move(r));
  }
  doc["rows"] = std::move(list);
  return doc;
}

}  // namespace fabricsim::hw_app
