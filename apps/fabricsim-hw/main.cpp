// fabricsim-hw: runs the fabricsim collective library on real networks (tcp, verbs) and
// prints an nccl-tests-style table; maps errors to exit codes (1 failure, 2 bad usage).
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "apps/fabricsim-hw/launch.hpp"
#include "apps/fabricsim-hw/options.hpp"
#include "apps/fabricsim-hw/rank_run.hpp"

namespace {

// --json is written by rank 0 at the very end: a path that cannot be written is refused first
// (exit 1), not after the whole measurement.
void check_json_path(const std::string& path) {
  using fabricsim::hw_app::ResourceError;
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) {
      throw ResourceError(fmt::format("--json \"{}\": is a directory, not a file", path));
    }
    if (::access(path.c_str(), W_OK) != 0) {
      throw ResourceError(fmt::format("--json \"{}\": cannot write the file", path));
    }
    return;
  }
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw ResourceError(
        fmt::format("--json \"{}\": the directory \"{}\" does not exist", path, dir));
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    throw ResourceError(fmt::format("--json \"{}\": cannot create files in \"{}\"", path, dir));
  }
}

}  // namespace

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
  try {
    if (!options->json_path.empty() && (options->launch_local > 0 || options->rank == 0)) {
      check_json_path(options->json_path);
    }
  } catch (const ResourceError& e) {
    fmt::print(stderr, "fabricsim-hw: {}\n", e.what());
    return kExitFailure;
  }
  if (options->launch_local > 0) {
    try {
      return launch_local(*options);
    } catch (const UsageError& e) {
      fmt::print(stderr, "fabricsim-hw: {}\n(see fabricsim-hw --help)\n", e.what());
      return kExitUsage;
    } catch (const ResourceError& e) {
      fmt::print(stderr, "fabricsim-hw: {}\n", e.what());
      return kExitFailure;
    } catch (const std::exception& e) {
      fmt::print(stderr, "fabricsim-hw: error: {}\n", e.what());
      return kExitFailure;
    }
  }
  return run_rank_reporting(*options);
}
