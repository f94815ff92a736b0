// Command-line parsing shared by the subcommands (see cli.hpp).
#include "apps/fabricsim/cli.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "apps/common/program_options_message.hpp"
#include "sim/memory_limit.hpp"
#include "sim/units.hpp"

namespace fabricsim::cli {

bool parse_command_line(const std::string& command, const std::string& synopsis,
                        const std::vector<std::string>& args, po::options_description& options,
                        const po::positional_options_description& positional,
                        po::variables_map& vm) {
  options.add_options()("max-memory", po::value<std::string>()->value_name("SIZE"),
                        "refuse inputs whose estimated memory exceeds SIZE (e.g. 16GiB; default "
                        "3/4 of this machine's RAM)")("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << "usage: fabricsim " << command << " " << synopsis << "\n\n" << options << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error&) {
    throw UsageError(apps::program_options_message(args, options, &positional));
  }
  if (vm.count("max-memory") != 0U) {
    sim::set_memory_limit_bytes(parse_max_memory(vm["max-memory"].as<std::string>()));
  }
  return true;
}

void check_assignments(const std::vector<std::string>& assignments, const char* option) {
  for (const auto& a : assignments) {
    const auto eq = a.find('=');
    const std::string path = a.substr(0, eq);
    if (eq == std::string::npos || path.empty() || path.front() == '.' || path.back() == '.' ||
        path.find("..") != std::string::npos) {
      throw UsageError(fmt::format(
          "{} \"{}\": expected PATH=VALUE with PATH as dotted keys, e.g. models.link.rate=400Gbps",
          option, a));
    }
  }
}

void prepare_out_dir(const char* option, const std::string& dir) {
  if (dir.empty() || dir.find_first_not_of(" \t") == std::string::npos) {
    throw UsageError(
        fmt::format("{} \"{}\": expected a directory to write the outputs in", option, dir));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("{} \"{}\": cannot create the directory: {}", option, dir, ec.message()));
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    throw std::runtime_error(fmt::format("{} \"{}\": not a directory", option, dir));
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw std::runtime_error(fmt::format("{} \"{}\": cannot write in the directory: {}", option,
                                         dir, std::strerror(errno)));
  }
}

std::uint64_t parse_max_memory(const std::string& text) {
  std::uint64_t bytes = 0;
  try {
    bytes = sim::parse_bytes(text);
  } catch (const std::exception&) {
    bytes = 0;
  }
  if (bytes < (1ULL << 20)) {
    throw UsageError(fmt::format(
        "--max-memory \"{}\": expected a size of at least 1MiB, such as 16GiB or 512MiB", text));
  }
  return bytes;
}

std::uint64_t parse_seed(const std::string& text) {
  const bool digits = !text.empty() && text.size() <= 20 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || (text.size() == 20 && text > "18446744073709551615")) {
    throw UsageError(
        fmt::format("--seed \"{}\": expected a whole number from 0 to 18446744073709551615", text));
  }
  return std::stoull(text);
}

std::uint64_t parse_count(const char* option, const std::string& text, std::uint64_t min,
                          std::uint64_t max) {
  const bool digits = !text.empty() && text.size() <= 19 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  const std::uint64_t n = digits ? std::stoull(text) : 0;
  if (!digits || n < min || n > max) {
    throw UsageError(
        fmt::format("{} \"{}\": expected a whole number from {} to {}", option, text, min, max));
  }
  return n;
}

unsigned parse_threads(const std::string& text) {
  const bool digits = !text.empty() && text.size() <= 4 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  const unsigned long n = digits ? std::stoul(text) : 0;
  if (n < 1 || n > kMaxThreads) {
    throw UsageError(
        fmt::format("--threads \"{}\": expected a whole number from 1 to {}", text, kMaxThreads));
  }
  return static_cast<unsigned>(n);
}

}  // namespace fabricsim::cli
