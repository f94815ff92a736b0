// The regression gate (see regress.hpp).
#include "scenario/regress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "scenario/collective_workload.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "sim/memory_limit.hpp"
#include "sim/output_file.hpp"
#include "sim/units.hpp"
#include "topologies/config_error.hpp"
#include "topologies/json_file.hpp"
#include "topologies/params_json.hpp"
#include "workloads/transports/local/check.hpp"
#include "workloads/transports/local/local_fabric.hpp"

namespace fabricsim::scenario {
namespace {

using Json = nlohmann::json;
using topologies::JsonLocation;
using topologies::throw_config_error;

// One point of the suite: a scenario document to simulate, and whether to check its
// collective on the local transport.
struct Point {
  std::string id;
  Json scenario;
  std::string source;    // for messages: "SUITE: /cases/3"
  std::string base_dir;  // relative paths in the scenario
  std::vector<std::string> overrides;
  bool check_data = false;
  // A topology + collective case: where its values are in the suite, for messages.
  JsonLocation in_suite;       // {suite file, "/cases/N"}; empty file for scenario cases
  std::size_t size_index = 0;  // the point's entry of "sizes"
};

// Buffers of one rank in a data check, in units of the collective's size: the input, output
// and scratch of workloads/transports/local/local_fabric.cpp and the expected output of
// check.cpp (scratch can be larger for some algorithms; an estimate, not a bound).
constexpr std::uint64_t kCheckBuffersPerRank = 4;

// A ConfigError of a point's generated scenario, reported at the suite's /cases/N/... key the
// value came from (the generated /workload/size is /cases/N/sizes/K, /workload/x is
// /cases/N/collective/x, /models and /topology keep their names).
[[noreturn]] void throw_in_suite(const Point& p, const topologies::ConfigError& e) {
  const std::string inline_topology = p.source + " (inline topology at /topology)";
  if (p.in_suite.file.empty() || (e.file() != p.source && e.file() != inline_topology)) throw e;
  const std::string base = p.in_suite.path;
  std::string path = e.path();
  if (e.file() == inline_topology) {
    path = base + "/topology" + path;
  } else if (path == "/workload/size") {
    path = base + "/sizes/" + std::to_string(p.size_index);
  } else if (path.rfind("/workload", 0) == 0) {
    path = base + "/collective" + path.substr(9);
  } else {
    path = base + path;
  }
  throw topologies::ConfigError(p.in_suite.file, path, e.detail());
}

std::vector<Point> read_suite(const std::string& path, std::string& name) {
  const Json suite = topologies::read_json_file(path);
  const JsonLocation root{path, ""};
  topologies::require_object(suite, root);
  topologies::check_known_keys(suite, root, {"schema", "name", "description", "cases"});
  if (suite.contains("schema") && suite["schema"] != "fabricsim.regress-suite/1") {
    throw_config_error(root.child("schema"), suite["schema"], "\"fabricsim.regress-suite/1\"");
  }
  name = suite.contains("name") ? topologies::read_string(suite["name"], root.child("name"))
                                : std::filesystem::path(path).stem().string();
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  if (!suite.contains("cases") || !suite["cases"].is_array() || suite["cases"].empty()) {
    throw_config_error(root.child("cases"), suite.value("cases", Json()),
                       "a non-empty list of cases");
  }
  std::vector<Point> points;
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < suite["cases"].size(); ++i) {
    const Json& c = suite["cases"][i];
    const JsonLocation at = root.child("cases").index(i);
    topologies::require_object(c, at);
    topologies::check_known_keys(c, at,
                                 {"name", "description", "topology", "models", "collective",
                                  "sizes", "check_data", "scenario", "set"});
    if (!c.contains("name")) throw_config_error(at.child("name"), "missing; expected a case name");
    const std::string case_name = topologies::read_string(c["name"], at.child("name"));
    if (case_name.empty() || case_name.find('/') != std::string::npos) {
      throw_config_error(at.child("name"), c["name"], "a non-empty name without '/'");
    }
    if (!seen.emplace(case_name, i).second) {
      throw_config_error(at.child("name"), c["name"], "a name no other case has");
    }
    const std::string source = at.where();
    if (c.contains("scenario")) {
      if (c.contains("collective") || c.contains("topology") || c.contains("sizes")) {
        throw_config_error(at, c, "either \"scenario\" or \"topology\" + \"collective\"");
      }
      const std::string file = topologies::read_string(c["scenario"], at.child("scenario"));
      const auto resolved = (std::filesystem::path(base_dir) / file).string();
      Point p{case_name, topologies::read_json_file(resolved),
              resolved,  std::filesystem::path(resolved).parent_path().string(),
              {},        false,
              {},        0};
      if (c.contains("set")) {
        if (!c["set"].is_array())
          throw_config_error(at.child("set"), c["set"], "a list of \"a.b=v\"");
        for (std::size_t k = 0; k < c["set"].size(); ++k)
          p.overrides.push_back(topologies::read_string(c["set"][k], at.child("set").index(k)));
      }
      points.push_back(std::move(p));
      continue;
    }
    if (!c.contains("topology") || !c.contains("collective")) {
      throw_config_error(at, c, "\"scenario\", or \"topology\" and \"collective\"");
    }
    if (!c.contains("sizes") || !c["sizes"].is_array() || c["sizes"].empty()) {
      throw_config_error(at.child("sizes"), c.value("sizes", Json()),
                         "a non-empty list of sizes (\"64KiB\")");
    }
    topologies::require_object(c["collective"], at.child("collective"));
    const bool check = c.contains("check_data")
                           ? topologies::read_flag(c["check_data"], at.child("check_data"))
                           : true;
    for (std::size_t k = 0; k < c["sizes"].size(); ++k) {
      const Json& size = c["sizes"][k];
      // Validated by the scenario reader; the id uses the text as written.
      const std::string label = size.is_string() ? size.get<std::string>() : size.dump();
      Json doc = {{"name", case_name + "/" + label}, {"topology", c["topology"]}};
      if (c.contains("models")) doc["models"] = c["models"];
      Json workload = c["collective"];
      workload["kind"] = "collective";
      workload["size"] = size;
      doc["workload"] = std::move(workload);
      points.push_back(
          Point{case_name + "/" + label, std::move(doc), source, base_dir, {}, check, at, k});
    }
  }
  return points;
}

// Simulates one point and, for collectives, checks its data on the local transport.
PointResult run_point(const Point& p) {
  const auto started = std::chrono::steady_clock::now();
  PointResult out;
  out.id = p.id;
  try {
    Json doc = p.scenario;
    for (const auto& o : p.overrides)
      apply_override(doc, o, p.source);
    const Scenario s = parse_scenario(std::move(doc), p.source, p.base_dir);
    if (p.check_data && s.workload.kind == WorkloadKind::kCollective) {
      // The byte-for-byte check holds every rank's input, output, scratch and expected result
      // in memory: refused before the (then pointless) simulation when that cannot fit.
      const auto& c = s.workload.collective;
      const std::uint64_t ranks = c.ranks.empty() ? s.topology.gpu_count() : c.ranks.size();
      std::uint64_t need = 0;
      const bool overflow = __builtin_mul_overflow(kCheckBuffersPerRank * ranks, c.bytes, &need);
      if (overflow || need > sim::memory_limit_bytes()) {
        throw topologies::ConfigError(
            p.in_suite.file.empty() ? p.source : p.in_suite.file,
            p.in_suite.path + "/sizes/" + std::to_string(p.size_index),
            fmt::format("{}: checking the data on {} ranks needs about {} of buffers, more than "
                        "the memory limit of {}: expected a smaller size or \"check_data\": false",
                        sim::format_bytes(c.bytes), ranks,
                        overflow ? std::string("more than 16 EiB") : sim::format_bytes(need),
                        sim::format_bytes(sim::memory_limit_bytes())));
      }
    }
    const Results r = run_scenario(s);
    if (!r.completed) {
      out.verdict = Verdict::kError;
      out.detail = "did not complete (stopped before the workload finished)";
    } else if (!r.collectives.empty()) {
      out.now_ps = r.collectives.front().time_ps;
      out.busbw_GBps = r.collectives.front().busbw_GBps;
    } else {
      out.now_ps = r.flows.fct_max_ps;  // traffic: the slowest flow's completion time
    }
    if (p.check_data && s.workload.kind == WorkloadKind::kCollective &&
        out.verdict == Verdict::kOk) {
      const JsonLocation at{p.source, "/collective"};
      const auto gpus = collective_gpus(s.workload.collective, s.topology.gpu_count(), at);
      const auto schedule = collective_schedule(
          s.workload.collective, static_cast<std::int32_t>(gpus.size()), s.topology, at);
      workloads::local::LocalFabric local(schedule, 1);
      local.run();
      const auto check = workloads::local::check_result(schedule, local.inputs(), local.outputs());
      out.data_checked = true;
      if (!check.ok) {
        out.verdict = Verdict::kWrongData;
        out.detail = check.message;
      }
    }
  } catch (const topologies::ConfigError& e) {
    throw_in_suite(p, e);  // a bad suite is bad input, not a failed case
  } catch (const std::exception& e) {
    out.verdict = Verdict::kError;
    out.detail = e.what();
  }
  out.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

struct BaselinePoint {
  std::int64_t time_ps = 0;
  double busbw_GBps = 0;
};

std::map<std::string, BaselinePoint> read_baseline(const std::string& path) {
  std::map<std::string, BaselinePoint> points;
  const Json doc = topologies::read_json_file(path);
  const JsonLocation root{path, ""};
  topologies::require_object(doc, root);
  topologies::check_known_keys(doc, root, {"schema", "suite", "tolerance_hint", "points"});
  if (!doc.contains("points") || !doc["points"].is_object()) {
    throw_config_error(root.child("points"), doc.value("points", Json()),
                       "an object of point id -> {\"time_ps\": N}");
  }
  for (const auto& [id, v] : doc["points"].items()) {
    const JsonLocation at = root.child("points").child(id);
    topologies::require_object(v, at);
    topologies::check_known_keys(v, at, {"time_ps", "busbw_GBps"});
    if (!v.contains("time_ps") || !v["time_ps"].is_number_integer() ||
        v["time_ps"].get<std::int64_t>() <= 0) {
      throw_config_error(at.child("time_ps"), v.value("time_ps", Json()),
                         "a positive number of picoseconds");
    }
    BaselinePoint b;
    b.time_ps = v["time_ps"].get<std::int64_t>();
    if (v.contains("busbw_GBps"))
      b.busbw_GBps = topologies::read_real(v["busbw_GBps"], at.child("busbw_GBps"));
    points.emplace(id, b);
  }
  return points;
}

void write_baseline(const std::string& path, const RegressReport& report) {
  Json points = Json::object();
  for (const auto& p : report.points) {
    if (p.verdict == Verdict::kMissing) continue;
    Json entry = {{"time_ps", p.now_ps}};
    if (p.busbw_GBps > 0) entry["busbw_GBps"] = p.busbw_GBps;
    points[p.id] = entry;
  }
  const Json doc = {
      {"schema", "fabricsim.regress-baseline/1"}, {"suite", report.suite_name}, {"points", points}};
  sim::write_file(path, doc.dump(2) + "\n");
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kSlower:
      return "slower";
    case Verdict::kFaster:
      return "faster";
    case Verdict::kWrongData:
      return "wrong data";
    case Verdict::kMissing:
      return "missing";
    case Verdict::kNew:
      return "new";
    case Verdict::kError:
      return "error";
  }
  return "?";
}

bool fails(Verdict verdict) {
  return verdict != Verdict::kOk && verdict != Verdict::kFaster;
}

int RegressReport::exit_code() const {
  for (const auto& p : points) {
    if (fails(p.verdict)) return 1;
  }
  return 0;
}

RegressReport run_regression(const RegressOptions& options) {
  RegressReport report;
  report.tolerance = options.tolerance;
  const std::vector<Point> points = read_suite(options.suite_path, report.suite_name);
  std::map<std::string, BaselinePoint> baseline;
  const bool have_baseline = std::filesystem::exists(options.baseline_path);
  if (have_baseline || !options.update) baseline = read_baseline(options.baseline_path);

  report.points.resize(points.size());
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (std::size_t i = next++; i < points.size(); i = next++) {
      try {
        report.points[i] = run_point(points[i]);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  const unsigned jobs =
      std::max(1U, std::min<unsigned>(options.jobs, static_cast<unsigned>(points.size())));
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t)
    threads.emplace_back(worker);
  worker();
  for (auto& t : threads)
    t.join();
  if (failure) std::rethrow_exception(failure);

  for (auto& p : report.points) {
    const auto it = baseline.find(p.id);
    if (it == baseline.end()) {
      if (p.verdict == Verdict::kOk) p.verdict = Verdict::kNew;
      continue;
    }
    p.has_baseline = true;
    p.baseline_ps = it->second.time_ps;
    if (p.verdict != Verdict::kOk) continue;
    p.change = static_cast<double>(p.now_ps - p.baseline_ps) / static_cast<double>(p.baseline_ps);
    if (p.change > options.tolerance) {
      p.verdict = Verdict::kSlower;
    } else if (p.change < -options.tolerance) {
      p.verdict = Verdict::kFaster;
    }
  }
  for (const auto& entry : baseline) {
    const std::string& id = entry.first;  // (clang 14 cannot capture a structured binding)
    const BaselinePoint& b = entry.second;
    const bool run = std::any_of(report.points.begin(), report.points.end(),
                                 [&id](const PointResult& p) { return p.id == id; });
    if (run) continue;
    PointResult missing;
    missing.id = id;
    missing.verdict = Verdict::kMissing;
    missing.has_baseline = true;
    missing.baseline_ps = b.time_ps;
    missing.detail = "in the baseline but not in the suite";
    report.points.push_back(missing);
  }
  if (options.update) {
    const bool wrong =
        std::any_of(report.points.begin(), report.points.end(), [](const PointResult& p) {
          return p.verdict == Verdict::kWrongData || p.verdict == Verdict::kError;
        });
    if (!wrong) {
      write_baseline(options.baseline_path, report);
      report.baseline_written = true;
      // The new baseline holds exactly this run: every remaining point is ok now.
      std::erase_if(report.points,
                    [](const PointResult& p) { return p.verdict == Verdict::kMissing; });
      for (auto& p : report.points) {
        if (p.verdict == Verdict::kSlower || p.verdict == Verdict::kFaster ||
            p.verdict == Verdict::kNew) {
          p.detail = fmt::format("recorded (was {})", verdict_name(p.verdict));
          p.verdict = Verdict::kOk;
        }
      }
    }
  }
  return report;
}

std::string report_table(const RegressReport& report) {
  std::size_t width = 4;
  for (const auto& p : report.points)
    width = std::max(width, p.id.size());
  std::string out = fmt::format("{:<{}}  {:>14}  {:>14}  {:>8}  {:>10}  {}\n", "case", width,
                                "baseline", "now", "change", "busbw GB/s", "verdict");
  auto us = [](std::int64_t ps) {
    return fmt::format("{:.3f} us", static_cast<double>(ps) * 1e-6);
  };
  for (const auto& p : report.points) {
    out += fmt::format("{:<{}}  {:>14}  {:>14}  {:>8}  {:>10}  {}{}\n", p.id, width,
                       p.has_baseline ? us(p.baseline_ps) : "-",
                       p.verdict == Verdict::kMissing ? "-" : us(p.now_ps),
                       p.has_baseline && p.verdict != Verdict::kMissing
                           ? fmt::format("{:+.2f}%", 100 * p.change)
                           : "-",
                       p.busbw_GBps > 0 ? fmt::format("{:.2f}", p.busbw_GBps) : "-",
                       verdict_name(p.verdict), p.detail.empty() ? "" : ": " + p.detail);
  }
  std::size_t failing = 0;
  for (const auto& p : report.points)
    failing += fails(p.verdict) ? 1U : 0U;
  out += fmt::format("{} points, {} failing (tolerance {:.1f}%){}\n", report.points.size(), failing,
                     100 * report.tolerance, report.baseline_written ? "; baseline written" : "");
  return out;
}

std::string junit_xml(const RegressReport& report) {
  std::size_t failures = 0;
  double total = 0;
  for (const auto& p : report.points) {
    failures += fails(p.verdict) ? 1U : 0U;
    total += p.wall_seconds;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites>\n  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n",
      xml_escape(report.suite_name), report.points.size(), failures, total);
  for (const auto& p : report.points) {
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"",
                       xml_escape(report.suite_name), xml_escape(p.id), p.wall_seconds);
    if (!fails(p.verdict)) {
      out += "/>\n";
      continue;
    }
    const std::string message =
        p.verdict == Verdict::kSlower
            ? fmt::format("slower by {:.2f}% ({} ps, baseline {} ps)", 100 * p.change, p.now_ps,
                          p.baseline_ps)
            : fmt::format("{}{}", verdict_name(p.verdict), p.detail.empty() ? "" : ": " + p.detail);
    out += fmt::format(">\n      <failure type=\"{}\" message=\"{}\"/>\n    </testcase>\n",
                       verdict_name(p.verdict), xml_escape(message));
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace fabricsim::scenario
