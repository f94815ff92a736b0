// `fabricsim sweep SCENARIO.json --vary a.b=v1,v2 [--vary c=...] [--seeds N] [--out DIR]`: runs
// the cross product of the varied fields (each point with N seeds) and writes one results row
// per run (sweep.csv, sweep.json) and, with --seeds, the spread of each figure over the seeds per
// point (sweep_seeds.csv).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "apps/fabricsim/cli.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "sim/output_file.hpp"

namespace fabricsim::cli {

namespace {

constexpr std::uint64_t kMaxSweepRuns = 100000;  // runs of one sweep (points x seeds)

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

// The figures of one run, in sweep.csv's column order.
struct Figures {
  static constexpr const char* kNames[] = {
      "sim_time_ps",      "fct_p50_ps",      "fct_p99_ps",     "fct_max_ps", "collective_time_ps",
      "algbw_GBps",       "busbw_GBps",      "packet_hops",    "drops",      "ecn_marks",
      "pfc_pause_frames", "max_queue_bytes", "retransmissions"};
  std::vector<double> values;
};

// Percentile q (0..100) of sorted values, interpolated linearly between the closest ranks: the
// value at position (n - 1) q / 100 (numpy's default "linear" method).
double percentile_of(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double pos = static_cast<double>(sorted.size() - 1) * q / 100.0;
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

}  // namespace

int sweep_command(const std::vector<std::string>& args) {
  po::options_description options("sweep options");
  options.add_options()("scenario", po::value<std::string>()->required(), "scenario JSON file")(
      "vary", po::value<std::vector<std::string>>()->composing(),
      "a field and its values: a.b.c=V1,V2,... (repeatable; the cross product is run)")(
      "seeds", po::value<std::string>(),
      "run each point with N seeds (the scenario's seed, +1, ...) and write the spread of each "
      "figure (sweep_seeds.csv)")("set", po::value<std::vector<std::string>>()->composing(),
                                  "fixed override a.b=V")(
      "out", po::value<std::string>()->default_value("out/sweep"), "output directory")(
      "quiet,q", "print nothing but errors");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  if (!parse_command_line("sweep",
                          "SCENARIO.json --vary a.b=v1,v2 [--vary ...] [--seeds N] [--out DIR]",
                          args, options, positional, vm)) {
    return kExitOk;
  }
  std::vector<Axis> axes;
  if (vm.count("vary") != 0U) {
    for (const auto& v : vm["vary"].as<std::vector<std::string>>())
      axes.push_back(parse_axis(v));
  }
  std::uint64_t seeds = 0;  // 0: no --seeds, one run per point with the scenario's seed
  if (vm.count("seeds") != 0U) {
    const auto text = vm["seeds"].as<std::string>();
    std::size_t used = 0;
    unsigned long long n = 0;
    try {
      n = std::stoull(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || text.empty() || text[0] == '-' || n < 1 || n > 10000) {
      throw UsageError(fmt::format("--seeds \"{}\": expected a count of seeds, 1 to 10000", text));
    }
    seeds = n;
  }
  if (axes.empty() && seeds == 0) {
    throw UsageError("sweep: give --vary a.b=V1,V2,... or --seeds N (or both)");
  }
  std::uint64_t points = std::max<std::uint64_t>(seeds, 1);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (axes[j].path == axes[i].path) {
        throw UsageError(
            fmt::format("--vary {}: given twice; list every value in one --vary", axes[i].path));
      }
    }
    points *= axes[i].values.size();  // each list is bounded by the command line's length
    if (points > kMaxSweepRuns) {
      throw UsageError(fmt::format(
          "sweep: {} runs or more (the product of the --vary lists{}), more than {}: split the "
          "sweep",
          points, seeds != 0 ? " and --seeds" : "", kMaxSweepRuns));
    }
  }
  for (const auto& a : axes) {
    if (seeds != 0 && a.path == "seed") {
      throw UsageError("--seeds and --vary seed=...: both set the seed; use one of them");
    }
  }
  std::vector<std::string> fixed;
  if (vm.count("set") != 0U) fixed = vm["set"].as<std::vector<std::string>>();
  check_assignments(fixed, "--set");
  const auto path = vm["scenario"].as<std::string>();
  const auto out = std::filesystem::path(vm["out"].as<std::string>());
  prepare_out_dir("--out", out.string());

  nlohmann::json rows = nlohmann::json::array();
  sim::OutputFile csv_file(out / "sweep.csv");
  std::ostream& csv = csv_file.stream();
  for (const auto& a : axes)
    csv << a.path << ',';
  if (seeds != 0) csv << "seed,";
  csv << "sim_time_ps,completed,fct_p50_ps,fct_p99_ps,fct_max_ps,collective_bytes,"
         "collective_time_ps,algbw_GBps,busbw_GBps,packet_hops,drops,"
         "ecn_marks,pfc_pause_frames,max_queue_bytes,retransmissions\n";
  std::optional<sim::OutputFile> spread_file;
  if (seeds != 0) spread_file.emplace(out / "sweep_seeds.csv");
  std::ostringstream spread_csv;
  if (seeds != 0) {
    for (const auto& a : axes)
      spread_csv << a.path << ',';
    spread_csv << "seeds";
    for (const char* name : Figures::kNames)
      spread_csv << fmt::format(",{0}_mean,{0}_p5,{0}_p50,{0}_p95", name);
    spread_csv << '\n';
  }
  const bool quiet = vm.count("quiet") != 0U;
  std::vector<std::size_t> index(axes.size(), 0);
  std::size_t run_index = 0;
  for (std::size_t point = 0;; ++point) {
    std::vector<std::string> point_overrides = fixed;
    std::string label;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      point_overrides.push_back(axes[a].path + "=" + axes[a].values[index[a]]);
      label += fmt::format("{}{}={}", a == 0 ? "" : " ", axes[a].path, axes[a].values[index[a]]);
    }
    const std::uint64_t base_seed =
        seeds != 0 ? scenario::load_scenario(path, point_overrides).seed : 0;
    std::vector<Figures> per_seed;
    for (std::uint64_t k = 0; k < std::max<std::uint64_t>(seeds, 1); ++k, ++run_index) {
      std::vector<std::string> overrides = point_overrides;
      nlohmann::json row;
      for (std::size_t a = 0; a < axes.size(); ++a)
        row[axes[a].path] = axes[a].values[index[a]];
      if (seeds != 0) {
        overrides.push_back(fmt::format("seed={}", base_seed + k));
        row["seed"] = base_seed + k;
      }
      const auto scenario = scenario::load_scenario(path, overrides);
      scenario::RunOptions run_options;
      run_options.out_dir = (out / fmt::format("point_{}", run_index)).string();
      const auto r = scenario::run_scenario(scenario, run_options);
      // A collective's figures are the mean over its iterations (nccl-tests' timed loop).
      const CollectiveMean coll = mean_of(r.collectives);
      row["results"] = scenario::to_json(r);
      rows.push_back(row);
      for (std::size_t a = 0; a < axes.size(); ++a)
        csv << axes[a].values[index[a]] << ',';
      if (seeds != 0) csv << base_seed + k << ',';
      csv << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.sim_time_ps,
                         r.completed, r.flows.fct_p50_ps, r.flows.fct_p99_ps, r.flows.fct_max_ps,
                         coll.bytes, coll.time_ps, coll.algbw_GBps, coll.busbw_GBps,
                         r.fabric.packet_hops, r.fabric.drops, r.fabric.ecn_marks,
                         r.fabric.pfc_pause_frames, r.fabric.max_queue_bytes,
                         r.fabric.retransmissions);
      per_seed.push_back(Figures{
          {static_cast<double>(r.sim_time_ps), static_cast<double>(r.flows.fct_p50_ps),
           static_cast<double>(r.flows.fct_p99_ps), static_cast<double>(r.flows.fct_max_ps),
           static_cast<double>(coll.time_ps), coll.algbw_GBps, coll.busbw_GBps,
           static_cast<double>(r.fabric.packet_hops), static_cast<double>(r.fabric.drops),
           static_cast<double>(r.fabric.ecn_marks), static_cast<double>(r.fabric.pfc_pause_frames),
           static_cast<double>(r.fabric.max_queue_bytes),
           static_cast<double>(r.fabric.retransmissions)}});
      if (quiet) continue;
      const std::string run_label =
          seeds != 0 ? fmt::format("{}{}seed={}", label, label.empty() ? "" : " ", base_seed + k)
                     : label;
      if (r.collectives.empty()) {
        std::cout << fmt::format("{}: {:.3f} us, FCT p99 {:.3f} us, {} drops, {} pauses\n",
                                 run_label, static_cast<double>(r.sim_time_ps) * 1e-6,
                                 static_cast<double>(r.flows.fct_p99_ps) * 1e-6, r.fabric.drops,
                                 r.fabric.pfc_pause_frames);
      } else {
        std::cout << fmt::format(
            "{}: {:>10} B {:>12.2f} us  algbw {:8.2f} GB/s  busbw {:8.2f} GB/s\n", run_label,
            coll.bytes, static_cast<double>(coll.time_ps) * 1e-6, coll.algbw_GBps, coll.busbw_GBps);
      }
    }
    if (seeds != 0) {
      // The spread over the seeds of each figure: mean, p5, p50, p95 (percentile_of).
      for (std::size_t a = 0; a < axes.size(); ++a)
        spread_csv << axes[a].values[index[a]] << ',';
      spread_csv << seeds;
      std::vector<std::array<double, 4>> stats;
      for (std::size_t f = 0; f < std::size(Figures::kNames); ++f) {
        std::vector<double> v;
        double sum = 0;
        for (const auto& run : per_seed) {
          v.push_back(run.values[f]);
          sum += run.values[f];
        }
        std::sort(v.begin(), v.end());
        stats.push_back({sum / static_cast<double>(v.size()), percentile_of(v, 5),
                         percentile_of(v, 50), percentile_of(v, 95)});
        spread_csv << fmt::format(",{},{},{},{}", stats.back()[0], stats.back()[1], stats.back()[2],
                                  stats.back()[3]);
      }
      spread_csv << '\n';
      if (!quiet) {
        const bool flows = per_seed.front().values[4] == 0.0;
        const std::size_t f = flows ? 2 : 4;  // FCT p99, or the collective's time
        std::cout << fmt::format(
            "{}{}{} seeds: {} mean {:.3f} us, p5 {:.3f}, p50 {:.3f}, p95 {:.3f} us\n", label,
            label.empty() ? "" : ": ", seeds, flows ? "FCT p99" : "collective time",
            stats[f][0] * 1e-6, stats[f][1] * 1e-6, stats[f][2] * 1e-6, stats[f][3] * 1e-6);
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
  csv_file.close();
  if (spread_file) {
    spread_file->stream() << spread_csv.str();
    spread_file->close();
  }
  sim::write_file(out / "sweep.json", rows.dump(2) + "\n");
  if (!quiet) {
    std::cout << "rows       " << (out / "sweep.csv").string() << "\n";
    if (seeds != 0) std::cout << "spread     " << (out / "sweep_seeds.csv").string() << "\n";
  }
  return kExitOk;
}

}  // namespace fabricsim::cli
