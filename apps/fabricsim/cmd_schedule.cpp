// `fabricsim schedule --op OP --algorithm A --ranks N --size BYTES`: prints the Schedule IR the
// collective library generates, as JSON (every rank, or one with --rank), or with --list the
// algorithms of each op. The same IR the simulator and the hardware transports execute.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "apps/fabricsim/cli.hpp"
#include "sim/memory_limit.hpp"
#include "sim/units.hpp"
#include "workloads/algorithms/registry.hpp"
#include "workloads/schedule.hpp"

namespace fabricsim::cli {
namespace {

std::uint64_t parse_size(const std::string& option, const std::string& text) {
  try {
    return sim::parse_bytes(text);
  } catch (const std::exception& e) {
    throw UsageError(fmt::format("--{} \"{}\": {}", option, text, e.what()));
  }
}

void list_algorithms() {
  for (const auto op : workloads::kAllCollectiveOps) {
    std::cout << workloads::to_string(op) << ":\n";
    for (const auto& name : workloads::list_algorithms(op)) {
      std::cout << fmt::format("  {:20} {}\n", name, workloads::describe_algorithm(op, name));
    }
  }
}

}  // namespace

int schedule_command(const std::vector<std::string>& args) {
  po::options_description options("schedule options");
  options.add_options()("op", po::value<std::string>()->default_value("allreduce"),
                        "allreduce | reduce_scatter | allgather | alltoall | broadcast | reduce | "
                        "sendrecv")("algorithm", po::value<std::string>()->default_value("ring"),
                                    "see --list")(
      "ranks", po::value<std::string>()->default_value("8"), "number of ranks")(
      "size", po::value<std::string>()->default_value("1MiB"),
      "collective size as nccl-tests counts it (the larger per-rank buffer)")(
      "dtype", po::value<std::string>()->default_value("float32"), "float32 | int32")(
      "channels", po::value<std::string>()->default_value("1"), "parallel channels")(
      "slice", po::value<std::string>()->default_value("0"),
      "largest message before pipelining in slices (0: none)")(
      "ranks-per-node", po::value<std::string>()->default_value("1"),
      "ranks sharing a node (hierarchical algorithms)")(
      "root", po::value<std::string>()->default_value("0"), "root of broadcast / reduce")(
      "rank", po::value<std::string>(), "print only this rank's program")(
      "list", "list the algorithms of every op and exit");
  po::positional_options_description positional;
  po::variables_map vm;
  if (!parse_command_line("schedule",
                          "--op allreduce --algorithm ring --ranks 8 --size 1MiB [--rank R]", args,
                          options, positional, vm)) {
    return kExitOk;
  }
  if (vm.count("list") != 0U) {
    list_algorithms();
    return kExitOk;
  }
  workloads::CollectiveRequest request;
  request.memory_limit_bytes = sim::memory_limit_bytes();
  request.extra_bytes_per_op = workloads::kJsonBytesPerOp;  // printed as JSON
  try {
    request.op = workloads::parse_collective_op(vm["op"].as<std::string>());
    request.dtype = workloads::parse_dtype(vm["dtype"].as<std::string>());
  } catch (const workloads::ScheduleTooLarge& e) {
    throw std::runtime_error(e.what());  // well formed, but more than this machine: exit 1
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  request.algorithm = vm["algorithm"].as<std::string>();
  const auto count = [&vm](const char* name, std::uint64_t min, std::uint64_t max) {
    return parse_count((std::string("--") + name).c_str(), vm[name].as<std::string>(), min, max);
  };
  request.nranks = static_cast<std::int32_t>(count("ranks", 1, 1U << 30));
  const std::uint64_t bytes = parse_size("size", vm["size"].as<std::string>());
  const std::uint64_t unit = workloads::size_unit_bytes(request.op, request.dtype, request.nranks);
  if (bytes % unit != 0) {
    throw UsageError(fmt::format("--size {}: expected a multiple of {} bytes", bytes, unit));
  }
  request.count = bytes / unit;
  request.channels = static_cast<std::uint32_t>(count("channels", 1, 4096));
  request.slice_bytes = parse_size("slice", vm["slice"].as<std::string>());
  request.ranks_per_node = static_cast<std::int32_t>(
      count("ranks-per-node", 1, static_cast<std::uint64_t>(request.nranks)));
  request.root =
      static_cast<std::int32_t>(count("root", 0, static_cast<std::uint64_t>(request.nranks) - 1));
  workloads::Schedule schedule;
  try {
    if (vm.count("rank") != 0U) {
      const auto rank = static_cast<std::int32_t>(
          count("rank", 0, static_cast<std::uint64_t>(request.nranks) - 1));
      if (rank < 0 || rank >= request.nranks) {
        throw UsageError(fmt::format("--rank {}: expected 0..{}", rank, request.nranks - 1));
      }
      schedule = workloads::generate_rank(request, rank);
      nlohmann::json doc = workloads::to_json(schedule);
      nlohmann::json only = doc["ranks"][static_cast<std::size_t>(rank)];
      only["rank"] = rank;
      doc["ranks"] = nlohmann::json::array({only});
      std::cout << doc.dump(2) << "\n";
      return kExitOk;
    }
    schedule = workloads::generate(request);
  } catch (const workloads::ScheduleTooLarge& e) {
    throw std::runtime_error(e.what());  // well formed, but more than this machine: exit 1
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  std::cout << workloads::to_json(schedule).dump(2) << "\n";
  return kExitOk;
}

}  // namespace fabricsim::cli
