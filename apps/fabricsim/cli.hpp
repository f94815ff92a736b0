// Shared plumbing of the fabricsim subcommands: exit codes, usage errors, option parsing.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace fabricsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;   // a config, file or value is wrong
inline constexpr int kExitUsage = 2;      // the command line itself is wrong
inline constexpr int kExitRunFailed = 3;  // the simulated workload failed (a QP error)

// A malformed command line; main() prints it with a hint and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace po = boost::program_options;

// Parses `args` (the words after the subcommand) against `options` and positionals; turns
// Boost's exceptions into UsageError. Returns false (after printing help) for --help. Adds
// --max-memory SIZE to every subcommand and applies it (sim::set_memory_limit_bytes).
bool parse_command_line(const std::string& command, const std::string& synopsis,
                        const std::vector<std::string>& args, po::options_description& options,
                        const po::positional_options_description& positional,
                        po::variables_map& vm);

// Checks that each of `assignments` (given with `option`, e.g. "--set") reads PATH=VALUE with a
// non-empty PATH; throws UsageError otherwise.
void check_assignments(const std::vector<std::string>& assignments, const char* option);

// A count given with `option`: decimal digits only, from min to max; else UsageError naming
// the option, the text and the range (Boost would wrap "-1" to 2^32-1 or accept "4.5" as 4).
std::uint64_t parse_count(const char* option, const std::string& text, std::uint64_t min,
                          std::uint64_t max);

// The value of --threads: 1 to kMaxThreads, decimal digits only; else UsageError.
inline constexpr unsigned kMaxThreads = 1024;
unsigned parse_threads(const std::string& text);
// An output directory named by `option` (--out): UsageError when empty; created (with its
// parents) and checked to be writable before the run, else std::runtime_error naming the path
// and the OS reason (exit 1), so that no run ends unable to write its results.
void prepare_out_dir(const char* option, const std::string& dir);

// The value of --max-memory: a size of at least 1 MiB; else UsageError.
std::uint64_t parse_max_memory(const std::string& text);
// The value of --seed: decimal digits only (Boost would wrap "-1" to 2^64-1); else UsageError.
std::uint64_t parse_seed(const std::string& text);

// Every subcommand: takes the words after its name, returns the exit code.
int run_command(const std::vector<std::string>& args);
int topo_command(const std::vector<std::string>& args);
int check_command(const std::vector<std::string>& args);

int sweep_command(const std::vector<std::string>& args);
int schedule_command(const std::vector<std::string>& args);
int regress_command(const std::vector<std::string>& args);

}  // namespace fabricsim::cli
