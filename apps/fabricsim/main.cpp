// fabricsim: the command line. Dispatches to one subcommand; maps errors to exit codes
// (1 bad input, 2 bad usage) with a message on stderr.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "apps/fabricsim/cli.hpp"
#include "scenario/version.hpp"
#include "topologies/config_error.hpp"

namespace {

constexpr const char* kUsage = R"(usage: fabricsim <command> [options]

commands:
  run SCENARIO.json       simulate a scenario, write DIR/results.json (+ CSV, trace)
  topo TOPOLOGY.json      print a topology's counts, bisection, diameter (--json, --dot)
  sweep SCENARIO.json     run the cross product of --vary a.b=v1,v2 ... (CSV + JSON)
  check FILE.json         validate a scenario or topology file
  schedule --op OP ...    print a collective's Schedule IR as JSON (--list: algorithms)
  regress SUITE.json      the CI gate: compare a suite's times with --baseline, check data

fabricsim <command> --help shows the command's options; fabricsim --version the version.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace fabricsim;
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) {
    std::fputs(kUsage, stderr);
    return cli::kExitUsage;
  }
  const std::string command = words.front();
  const std::vector<std::string> args(words.begin() + 1, words.end());
  // Standard output is checked once the command is done (a full disk, a closed pipe): what was
  // printed there may be all the user gets.
  const auto with_stdout_checked = [](int code) {
    std::fflush(stdout);
    std::cout.flush();
    if (std::ferror(stdout) != 0 || !std::cout) {
      fmt::print(stderr, "fabricsim: error: cannot write to standard output\n");
      return code == cli::kExitOk ? cli::kExitBadInput : code;
    }
    return code;
  };
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(kUsage, stdout);
      return cli::kExitOk;
    }
    if (command == "--version") {
      fmt::print("fabricsim {}\n", scenario::kVersion);
      return cli::kExitOk;
    }
    if (command == "run") return with_stdout_checked(cli::run_command(args));
    if (command == "topo") return with_stdout_checked(cli::topo_command(args));
    if (command == "check") return with_stdout_checked(cli::check_command(args));
    if (command == "sweep") return with_stdout_checked(cli::sweep_command(args));
    if (command == "schedule") return with_stdout_checked(cli::schedule_command(args));
    if (command == "regress") return with_stdout_checked(cli::regress_command(args));
    throw cli::UsageError(fmt::format("unknown command \"{}\"", command));
  } catch (const cli::UsageError& e) {
    fmt::print(stderr, "fabricsim: {}\n(see fabricsim {}--help)\n", e.what(),
               command.starts_with("-") ? std::string("") : command + " ");
    return cli::kExitUsage;
  } catch (const topologies::ConfigError& e) {
    fmt::print(stderr, "fabricsim: error: {}\n", e.what());
    return cli::kExitBadInput;
  } catch (const std::filesystem::filesystem_error& e) {
    fmt::print(stderr, "fabricsim: error: \"{}\": {}\n", e.path1().string(), e.code().message());
    return cli::kExitBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "fabricsim: error: {}\n", e.what());
    return cli::kExitBadInput;
  }
}
