// fabricsim-hw: runs the fabricsim collective library on real networks (tcp, verbs) and
// prints an nccl-tests-style table; maps errors to exit codes (1 failure, 2 bad usage).
#include <fmt/format.h>

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "apps/fabricsim-hw/launch.hpp"
#include "apps/fabricsim-hw/options.hpp"
#include "apps/fabricsim-hw/rank_run.hpp"

int main(int argc, char** argv) {
  using namespace fabricsim::hw_app;
  const std::vector<std::string> words(argv + 1, argv + argc);
  std::optional<HwOptions> options;
  try {
    options = parse_options(words);
  } catch (const UsageError& e) {
    fmt::print(stderr, "fabricsim-hw: {}\n(see fabricsim-hw --help)\n", e.what());
    return kExitUsage;
  }
  if (!options) return kExitOk;
  if (options->launch_local > 0) {
    try {
      return launch_local(*options);
    } catch (const UsageError& e) {
      fmt::print(stderr, "fabricsim-hw: {}\n(see fabricsim-hw --help)\n", e.what());
      return kExitUsage;
    } catch (const std::exception& e) {
      fmt::print(stderr, "fabricsim-hw: error: {}\n", e.what());
      return kExitFailure;
    }
  }
  return run_rank_reporting(*options);
}
