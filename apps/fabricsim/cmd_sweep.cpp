// `fabricsim sweep SCENARIO.json --vary a.b=v1,v2 [--vary c=...] [--out DIR]`: runs the cross
// product of the varied fields and writes one results row per point (sweep.csv, sweep.json).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/fabricsim/cli.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

namespace fabricsim::cli {
namespace {

struct Axis {
  std::string path;
  std::vector<std::string> values;
};

struct CollectiveMean {
  std::uint64_t bytes = 0;
  std::int64_t time_ps = 0;
  double algbw_GBps = 0;
  double busbw_GBps = 0;
};

CollectiveMean mean_of(const std::vector<scenario::CollectiveResult>& iterations) {
  CollectiveMean m;
  if (iterations.empty()) return m;
  for (const auto& c : iterations) {
    m.time_ps += c.time_ps;
    m.algbw_GBps += c.algbw_GBps;
    m.busbw_GBps += c.busbw_GBps;
  }
  const auto n = static_cast<std::int64_t>(iterations.size());
  m.bytes = iterations.front().bytes;
  m.time_ps /= n;
  m.algbw_GBps /= static_cast<double>(n);
  m.busbw_GBps /= static_cast<double>(n);
  return m;
}

Axis parse_axis(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw UsageError(fmt::format("--vary \"{}\": expected PATH=V1,V2,...", text));
  }
  Axis axis{text.substr(0, eq), {}};
  std::size_t begin = eq + 1;
  for (;;) {
    const auto comma = text.find(',', begin);
    axis.values.push_back(text.substr(begin, comma == std::string::npos ? comma : comma - begin));
    if (axis.values.back().empty())
      throw UsageError(fmt::format("--vary \"{}\": an empty value in the list", text));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return axis;
}

}  // namespace

int sweep_command(const std::vector<std::string>& args) {
  po::options_description options("sweep options");
  options.add_options()("scenario", po::value<std::string>()->required(), "scenario JSON file")(
      "vary", po::value<std::vector<std::string>>()->composing()->required(),
      "a field and its values: a.b.c=V1,V2,... (repeatable; the cross product is run)")(
      "set", po::value<std::vector<std::string>>()->composing(), "fixed override a.b=V")(
      "out", po::value<std::string>()->default_value("out/sweep"), "output directory")(
      "quiet,q", "print nothing but errors");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  if (!parse_command_line("sweep", "SCENARIO.json --vary a.b=v1,v2 [--vary ...] [--out DIR]", args,
                          options, positional, vm)) {
    return kExitOk;
  }
  std::vector<Axis> axes;
  for (const auto& v : vm["vary"].as<std::vector<std::string>>())
    axes.push_back(parse_axis(v));
  std::vector<std::string> fixed;
  if (vm.count("set") != 0U) fixed = vm["set"].as<std::vector<std::string>>();
  check_assignments(fixed, "--set");
  const auto path = vm["scenario"].as<std::string>();
  const auto out = std::filesystem::path(vm["out"].as<std::string>());
  std::filesystem::create_directories(out);

  nlohmann::json rows = nlohmann::json::array();
  std::ofstream csv(out / "sweep.csv");
  for (const auto& a : axes)
    csv << a.path << ',';
  csv << "sim_time_ps,completed,fct_p50_ps,fct_p99_ps,fct_max_ps,collective_bytes,"
         "collective_time_ps,algbw_GBps,busbw_GBps,packet_hops,drops,"
         "ecn_marks,pfc_pause_frames,max_queue_bytes\n";
  std::vector<std::size_t> index(axes.size(), 0);
  for (std::size_t point = 0;; ++point) {
    std::vector<std::string> overrides = fixed;
    nlohmann::json row;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      overrides.push_back(axes[a].path + "=" + axes[a].values[index[a]]);
      row[axes[a].path] = axes[a].values[index[a]];
    }
    const auto scenario = scenario::load_scenario(path, overrides);
    scenario::RunOptions run_options;
    run_options.out_dir = (out / fmt::format("point_{}", point)).string();
    const auto r = scenario::run_scenario(scenario, run_options);
    // A collective's figures are the mean over its iterations (nccl-tests' timed loop).
    const CollectiveMean coll = mean_of(r.collectives);
    row["results"] = scenario::to_json(r);
    rows.push_back(row);
    for (std::size_t a = 0; a < axes.size(); ++a)
      csv << axes[a].values[index[a]] << ',';
    csv << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.sim_time_ps, r.completed,
                       r.flows.fct_p50_ps, r.flows.fct_p99_ps, r.flows.fct_max_ps, coll.bytes,
                       coll.time_ps, coll.algbw_GBps, coll.busbw_GBps, r.fabric.packet_hops,
                       r.fabric.drops, r.fabric.ecn_marks, r.fabric.pfc_pause_frames,
                       r.fabric.max_queue_bytes);
    if (vm.count("quiet") == 0U) {
      std::string label;
      for (std::size_t a = 0; a < axes.size(); ++a) {
        label += fmt::format("{}{}={}", a == 0 ? "" : " ", axes[a].path, axes[a].values[index[a]]);
      }
      if (r.collectives.empty()) {
        std::cout << fmt::format("{}: {:.3f} us, FCT p99 {:.3f} us, {} drops, {} pauses\n", label,
                                 static_cast<double>(r.sim_time_ps) * 1e-6,
                                 static_cast<double>(r.flows.fct_p99_ps) * 1e-6, r.fabric.drops,
                                 r.fabric.pfc_pause_frames);
      } else {
        std::cout << fmt::format(
            "{}: {:>10} B {:>12.2f} us  algbw {:8.2f} GB/s  busbw {:8.2f} GB/s\n", label,
            coll.bytes, static_cast<double>(coll.time_ps) * 1e-6, coll.algbw_GBps, coll.busbw_GBps);
      }
    }
    // Next point of the cross product (the last axis varies fastest).
    bool wrapped_all = true;
    for (std::size_t a = axes.size(); a-- > 0;) {
      if (++index[a] < axes[a].values.size()) {
        wrapped_all = false;
        break;
      }
      index[a] = 0;
    }
    if (wrapped_all) break;
  }
  std::ofstream(out / "sweep.json") << rows.dump(2) << "\n";
  if (vm.count("quiet") == 0U) std::cout << "rows       " << (out / "sweep.csv").string() << "\n";
  return kExitOk;
}

}  // namespace fabricsim::cli
