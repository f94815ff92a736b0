// `fabricsim regress SUITE.json --baseline BASELINE.json [--tolerance 0.02] [--update]
// [--junit FILE] [--jobs N]`: the CI gate for collective algorithms (scenario/regress.hpp).
// Exit 0 when no point regressed, 1 when one did (or the suite is bad), 2 for bad usage.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "apps/fabricsim/cli.hpp"
#include "scenario/regress.hpp"
#include "sim/output_file.hpp"

namespace fabricsim::cli {

int regress_command(const std::vector<std::string>& args) {
  po::options_description options("regress options");
  options.add_options()("suite", po::value<std::string>()->required(), "suite JSON file")(
      "baseline", po::value<std::string>()->required(), "baseline JSON file")(
      "tolerance", po::value<double>()->default_value(0.02),
      "relative change of a completion time that still passes (0.02 = 2%)")(
      "update", "rewrite the baseline from this run (never with wrong data)")(
      "junit", po::value<std::string>(), "also write JUnit XML to this file")(
      "jobs,j",
      po::value<std::string>()->default_value(
          std::to_string(std::max(1U, std::thread::hardware_concurrency()))),
      "cases run in parallel (1 to 1024)")("quiet,q", "print only failures");
  po::positional_options_description positional;
  positional.add("suite", 1);
  po::variables_map vm;
  if (!parse_command_line("regress",
                          "SUITE.json --baseline BASELINE.json [--tolerance 0.02] [--update] "
                          "[--junit FILE] [--jobs N]",
                          args, options, positional, vm)) {
    return kExitOk;
  }
  scenario::RegressOptions opts;
  opts.suite_path = vm["suite"].as<std::string>();
  opts.baseline_path = vm["baseline"].as<std::string>();
  opts.tolerance = vm["tolerance"].as<double>();
  if (!(opts.tolerance >= 0 && opts.tolerance < 1)) {
    throw UsageError(fmt::format("--tolerance {}: expected a fraction in [0, 1)", opts.tolerance));
  }
  opts.update = vm.count("update") != 0U;
  opts.jobs = static_cast<unsigned>(parse_count("--jobs", vm["jobs"].as<std::string>(), 1, 1024));
  // The report's file is opened before the suite runs, so an unwritable path costs no run.
  std::optional<sim::OutputFile> junit;
  if (vm.count("junit") != 0U) junit.emplace(vm["junit"].as<std::string>());
  const auto report = scenario::run_regression(opts);
  if (vm.count("quiet") == 0U || report.exit_code() != 0) {
    std::cout << scenario::report_table(report);
  }
  if (junit) {
    junit->stream() << scenario::junit_xml(report);
    junit->close();
  }
  return report.exit_code();
}

}  // namespace fabricsim::cli
