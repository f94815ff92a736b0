// `fabricsim run SCENARIO.json [--out DIR] [--seed N] [--set a.b=V]... [--threads N]
// [--compare-fault-free] [--quiet]`.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <stdexcept>

#include "apps/fabricsim/cli.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "sim/mpi.hpp"

namespace fabricsim::cli {

int run_command(const std::vector<std::string>& args) {
  po::options_description options("run options");
  options.add_options()                                                         //
      ("scenario", po::value<std::string>()->required(), "scenario JSON file")  //
      ("out", po::value<std::string>()->default_value("out"),
       "directory for results.json, config.json, time series CSVs, trace.json")  //
      ("seed", po::value<std::string>(), "override the scenario's seed")         //
      ("set", po::value<std::vector<std::string>>()->composing(),
       "override a scenario field: a.b.c=VALUE (repeatable)")  //
      ("threads", po::value<std::string>(),
       "parallel run on N threads (fabric partitions; default: the scenario's \"threads\", "
       "else 1); results do not depend on N")  //
      ("compare-fault-free",
       "a scenario with faults: run it without them first and report the slowdown the faults "
       "cause (results.json faults.slowdown)")                                //
      ("quiet,q", "print nothing but errors (no summary, no progress line)")  //
      ("json", "print results.json on stdout");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  if (!parse_command_line("run", "SCENARIO.json [--out DIR] [--seed N] [--set a.b=V]...", args,
                          options, positional, vm)) {
    return kExitOk;
  }
  std::vector<std::string> overrides;
  if (vm.count("set") != 0U) overrides = vm["set"].as<std::vector<std::string>>();
  check_assignments(overrides, "--set");
  if (vm.count("seed") != 0U)
    overrides.push_back(fmt::format("seed={}", parse_seed(vm["seed"].as<std::string>())));
  const auto scenario = scenario::load_scenario(vm["scenario"].as<std::string>(), overrides);
  const bool quiet = vm.count("quiet") != 0U;
  scenario::RunOptions run_options;
  run_options.out_dir = vm["out"].as<std::string>();
  prepare_out_dir("--out", run_options.out_dir);
  if (vm.count("threads") != 0U) {
    run_options.threads = parse_threads(vm["threads"].as<std::string>());
  }
  run_options.progress = !quiet && isatty(STDERR_FILENO) != 0 && isatty(STDOUT_FILENO) != 0;
  if (vm.count("compare-fault-free") != 0U) {
    if (!scenario.faults.configured) {
      throw UsageError("--compare-fault-free: the scenario has no faults to compare against");
    }
    run_options.compare_fault_free = true;
  }
  // Started by mpirun with more than one process: a distributed run, one partition per rank.
  std::unique_ptr<sim::Exchange> exchange;
  if (sim::mpi::launched_size() > 1) {
    if (!sim::mpi::available()) {
      throw std::runtime_error(fmt::format("started as one of {} MPI processes, but {}",
                                           sim::mpi::launched_size(),
                                           sim::mpi::unavailable_reason()));
    }
    if (run_options.threads > 1) {  // the scenario's "threads" is ignored: one per process
      throw UsageError("--threads: a distributed run (mpirun) runs one partition per process");
    }
    sim::mpi::init();
    exchange = sim::mpi::world_exchange();
    run_options.distributed = exchange.get();
    run_options.progress = false;
  }
  const auto results = scenario::run_scenario(scenario, run_options);
  if (exchange && exchange->rank() != 0) return kExitOk;  // rank 0 reports
  if (!quiet) {
    for (const auto& w : results.warnings)
      std::cerr << "fabricsim: warning: " << w << "\n";
    for (const auto& note : results.run_notes)
      std::cerr << "fabricsim: note: " << note << "\n";
  }
  // Errors of the simulated workload go to stderr even with --quiet.
  for (const auto& e : results.errors)
    std::cerr << "fabricsim: error: " << e.message << "\n";
  if (results.fabric.qp_errors > results.errors.size()) {
    std::cerr << fmt::format("fabricsim: error: ... {} QP errors in all (results.json lists {})\n",
                             results.fabric.qp_errors, results.errors.size());
  }
  if (vm.count("json") != 0U) {
    std::cout << scenario::to_json(results).dump(2) << "\n";
  } else if (!quiet) {
    std::cout << scenario::summary_text(scenario, results);
    std::cout << "results    " << run_options.out_dir << "/results.json\n";
  }
  return results.fabric.qp_errors != 0 ? kExitRunFailed : kExitOk;
}

}  // namespace fabricsim::cli
