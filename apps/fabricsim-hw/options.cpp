// Parsing and checking of the fabricsim-hw command line (see options.hpp).
#include "apps/fabricsim-hw/options.hpp"

#include <fmt/format.h>

#include <unistd.h>
#include <boost/program_options.hpp>

#include <iostream>
#include <iterator>
#include <string_view>

#include "apps/common/program_options_message.hpp"
#include "sim/units.hpp"
#include "workloads/transports/hw/socket.hpp"

namespace fabricsim::hw_app {

namespace po = boost::program_options;

namespace {

constexpr const char* kSynopsis =
    "usage: fabricsim-hw --rank R --nranks N --coordinator HOST:PORT [options]\n"
    "       fabricsim-hw --launch-local N [options]\n\n"
    "Runs a collective of the fabricsim library on real hardware (one process per rank) and\n"
    "prints an nccl-tests-style table on rank 0.\n";

std::uint64_t parse_one_size(const std::string& text, const std::string& whole) {
  if (text.empty()) {
    throw UsageError(
        fmt::format("--sizes \"{}\": an empty size; expected e.g. 1KiB:1MiB, "
                    "64MiB or 1KiB,4KiB",
                    whole));
  }
  try {
    const std::uint64_t bytes = sim::parse_bytes(text);
    if (bytes == 0) throw UsageError(fmt::format("--sizes \"{}\": sizes must be positive", whole));
    return bytes;
  } catch (const sim::UnitError& e) {
    throw UsageError(fmt::format("--sizes \"{}\": {}", whole, e.what()));
  }
}

// A whole number from `min` to `max`, written in decimal digits (a leading '-' only for a
// negative `min`): program_options would wrap "-1" into an unsigned 4294967295 and truncate
// nothing, so counts are read as text.
std::int64_t parse_count(const std::string& option, const std::string& text, std::int64_t min,
                         std::int64_t max) {
  const auto bad = [&] {
    return UsageError(
        fmt::format("--{} \"{}\": expected a whole number from {} to {}", option, text, min, max));
  };
  const bool negative = !text.empty() && text.front() == '-';
  const std::string digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string::npos || (negative && min >= 0)) {
    throw bad();
  }
  const std::int64_t value = (negative ? -1 : 1) * std::stoll(digits);
  if (value < min || value > max) throw bad();
  return value;
}

std::chrono::milliseconds parse_duration(const std::string& option, const std::string& text,
                                         bool allow_zero) {
  std::int64_t ps = 0;
  try {
    ps = sim::parse_time(text).picoseconds();
  } catch (const sim::UnitError& e) {
    throw UsageError(fmt::format("--{} \"{}\": {}", option, text, e.what()));
  }
  if (ps < 0 || (ps == 0 && !allow_zero)) {
    throw UsageError(fmt::format("--{} \"{}\": expected a {} duration", option, text,
                                 allow_zero ? "non-negative" : "positive"));
  }
  const std::int64_t ms = ps / 1'000'000'000 + (ps % 1'000'000'000 != 0 ? 1 : 0);
  if (ms > kMaxDuration.count()) {
    throw UsageError(fmt::format("--{} \"{}\": expected at most 24 h", option, text));
  }
  return std::chrono::milliseconds(ms);
}

}  // namespace

std::vector<std::uint64_t> parse_sizes(const std::string& text, bool& exact) {
  std::vector<std::uint64_t> sizes;
  const auto colon = text.find(':');
  if (colon != std::string::npos) {
    exact = false;
    const std::uint64_t from = parse_one_size(text.substr(0, colon), text);
    const std::uint64_t to = parse_one_size(text.substr(colon + 1), text);
    if (to < from)
      throw UsageError(fmt::format("--sizes \"{}\": the end is below the start", text));
    for (std::uint64_t s = from; s <= to; s *= 2) {
      sizes.push_back(s);
      if (s > to / 2) break;
    }
    return sizes;
  }
  exact = true;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const auto comma = text.find(',', begin);
    const auto end = comma == std::string::npos ? text.size() : comma;
    sizes.push_back(parse_one_size(text.substr(begin, end - begin), text));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return sizes;
}

std::uint64_t default_max_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 1ULL << 30;  // unknown: 1 GiB
  return static_cast<std::uint64_t>(pages) / 2 * static_cast<std::uint64_t>(page);
}

std::string format_bytes_1(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::optional<HwOptions> parse_options(const std::vector<std::string>& words) {
  HwOptions o;
  o.words = words;
  // Every count is read as text and range-checked (parse_count): see there.
  std::string rank, nranks, launch_local, ib_port = "1", gid_index = "-1";
  std::string channels = "1", ranks_per_node = "1", root = "0", iters = "20", warmup = "5";
  std::string die_rank = "-1", stop_rank = "-1", max_memory;
  std::string op = "allreduce";
  std::string dtype = "float32";
  std::string timeout = "30s";
  std::string slice = "1MiB";
  std::string die_after = "0s", stop_after = "0s";
  std::string predict_latency = "2us";
  po::options_description job("job");
  job.add_options()("rank", po::value(&rank), "this process's rank, 0..N-1")(
      "nranks", po::value(&nranks), "number of ranks N (at most 4096)")(
      "coordinator", po::value(&o.coordinator),
      "HOST:PORT rank 0 listens on and the others connect to")(
      "launch-local", po::value(&launch_local),
      "fork N ranks on this host (free local port, at most 256), wait for all, exit 1 if any "
      "fails; once one has exited the others get --timeout to follow, then are killed")(
      "timeout", po::value(&timeout)->default_value(timeout),
      "give up on a missing, dead or stalled peer after this long");
  po::options_description transport("transport");
  transport.add_options()("transport", po::value(&o.transport)->default_value(o.transport),
                          "tcp | verbs")("device", po::value(&o.device),
                                         "verbs device (default: the first)")(
      "ib-port", po::value(&ib_port)->default_value(ib_port), "verbs port number (1..255)")(
      "gid-index", po::value(&gid_index)->default_value(gid_index),
      "verbs GID index 0..255 (RoCE; -1: the backend's default)");
  po::options_description collective("collective");
  collective.add_options()("op", po::value(&op)->default_value(op),
                           "allreduce | reduce_scatter | allgather | alltoall | broadcast | "
                           "reduce | sendrecv")("algorithm",
                                                po::value(&o.algorithm)->default_value(o.algorithm),
                                                "see fabricsim schedule --list")(
      "sizes", po::value(&o.sizes_text)->default_value(o.sizes_text),
      "MIN:MAX doubling, or a list A,B,C (nccl-tests sizes: the larger per-rank buffer)")(
      "dtype", po::value(&dtype)->default_value(dtype), "float32 | int32")(
      "channels", po::value(&channels)->default_value(channels), "parallel channels (1..64)")(
      "slice", po::value(&slice)->default_value(slice),
      "largest message before pipelining in slices (0: none)")(
      "ranks-per-node", po::value(&ranks_per_node)->default_value(ranks_per_node),
      "ranks sharing a node (hierarchical algorithms)")(
      "root", po::value(&root)->default_value(root), "root of broadcast / reduce");
  po::options_description measure("measurement");
  measure.add_options()("iters", po::value(&iters)->default_value(iters),
                        "timed iterations per size (1..1000000)")(
      "warmup", po::value(&warmup)->default_value(warmup), "untimed iterations first (0..1000000)")(
      "check", po::bool_switch(&o.check), "compare every rank's output, count wrong elements")(
      "json", po::value(&o.json_path), "also write the table as JSON (rank 0)")(
      "max-memory", po::value(&max_memory),
      "refuse sizes whose buffers (every local rank's) need more (default: half the RAM)");
  po::options_description predict("prediction (rank 0 simulates N hosts behind one switch)");
  predict.add_options()("predict-rate", po::value(&o.predict_rate),
                        "each host's link rate, e.g. 10Gbps; turns the prediction on")(
      "predict-latency", po::value(&predict_latency)->default_value(predict_latency),
      "one-way host-to-host latency, split over the two links of a path")(
      "predict-set", po::value(&o.predict_set)->composing(),
      "scenario override a.b=VALUE, e.g. models.gpu.launch_latency=0us (repeatable)");
  po::options_description hidden;
  hidden.add_options()("test-die-rank", po::value(&die_rank))(
      "test-die-after", po::value(&die_after))("test-stop-rank", po::value(&stop_rank))(
      "test-stop-after", po::value(&stop_after));
  po::options_description visible;
  visible.add(job).add(transport).add(collective).add(measure).add(predict);
  visible.add_options()("help,h", "show this help");
  po::options_description all;
  all.add(visible).add(hidden);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(words).options(all).run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << kSynopsis << "\n" << visible << "\n";
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::error&) {
    throw UsageError(apps::program_options_message(words, all));
  }

  std::int32_t ranks_here = 0;  // the job's size where known here
  if (vm.count("launch-local") != 0U) {
    o.launch_local =
        static_cast<std::int32_t>(parse_count("launch-local", launch_local, 1, kMaxLaunchLocal));
    if (vm.count("rank") + vm.count("nranks") + vm.count("coordinator") != 0U) {
      throw UsageError(
          "--launch-local picks ranks and a coordinator itself: drop --rank, "
          "--nranks and --coordinator");
    }
    ranks_here = o.launch_local;
  } else {
    if (vm.count("rank") == 0U || vm.count("nranks") == 0U || vm.count("coordinator") == 0U) {
      throw UsageError("expected --rank, --nranks and --coordinator (or --launch-local N)");
    }
    o.nranks = static_cast<std::int32_t>(parse_count("nranks", nranks, 1, kMaxRanks));
    o.rank = static_cast<std::int32_t>(parse_count("rank", rank, 0, o.nranks - 1));
    try {
      workloads::hw::parse_host_port(o.coordinator);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--coordinator ") + e.what());
    }
    ranks_here = o.nranks;
  }
  if (o.transport != "tcp" && o.transport != "verbs") {
    throw UsageError(fmt::format("--transport \"{}\": expected tcp or verbs", o.transport));
  }
  if (vm.count("device") != 0U && o.device.empty()) {
    throw UsageError("--device \"\": expected a verbs device name (omit it for the first)");
  }
  o.ib_port = static_cast<int>(parse_count("ib-port", ib_port, 1, 255));
  o.gid_index = static_cast<int>(parse_count("gid-index", gid_index, -1, 255));
  try {
    o.op = workloads::parse_collective_op(op);
    o.dtype = workloads::parse_dtype(dtype);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (o.algorithm.empty()) throw UsageError("--algorithm \"\": expected an algorithm name");
  o.sizes = parse_sizes(o.sizes_text, o.sizes_exact);
  try {
    o.slice_bytes = sim::parse_bytes(slice);
  } catch (const sim::UnitError& e) {
    throw UsageError(fmt::format("--slice \"{}\": {}", slice, e.what()));
  }
  o.channels = static_cast<std::uint32_t>(parse_count("channels", channels, 1, kMaxChannels));
  o.ranks_per_node =
      static_cast<std::int32_t>(parse_count("ranks-per-node", ranks_per_node, 1, ranks_here));
  o.root = static_cast<std::int32_t>(parse_count("root", root, 0, ranks_here - 1));
  o.iters = static_cast<std::uint32_t>(parse_count("iters", iters, 1, kMaxIterations));
  o.warmup = static_cast<std::uint32_t>(parse_count("warmup", warmup, 0, kMaxIterations));
  o.timeout = parse_duration("timeout", timeout, false);
  o.die_rank = static_cast<std::int32_t>(parse_count("test-die-rank", die_rank, -1, kMaxRanks));
  o.die_after = parse_duration("test-die-after", die_after, true);
  o.stop_rank = static_cast<std::int32_t>(parse_count("test-stop-rank", stop_rank, -1, kMaxRanks));
  o.stop_after = parse_duration("test-stop-after", stop_after, true);
  if (vm.count("json") != 0U && o.json_path.empty()) {
    throw UsageError("--json \"\": expected a file name");
  }
  if (vm.count("max-memory") != 0U) {
    try {
      o.max_memory_bytes = sim::parse_bytes(max_memory);
    } catch (const sim::UnitError& e) {
      throw UsageError(fmt::format("--max-memory \"{}\": {}", max_memory, e.what()));
    }
    if (o.max_memory_bytes == 0) {
      throw UsageError(fmt::format("--max-memory \"{}\": expected a positive size", max_memory));
    }
  } else {
    o.max_memory_bytes = default_max_memory();
  }
  if (vm.count("predict-rate") != 0U) {
    std::uint64_t bps = 0;
    try {
      bps = sim::parse_rate_bps(o.predict_rate);
    } catch (const sim::UnitError& e) {
      throw UsageError(fmt::format("--predict-rate \"{}\": {}", o.predict_rate, e.what()));
    }
    if (bps == 0) {
      throw UsageError(
          fmt::format("--predict-rate \"{}\": expected a positive rate", o.predict_rate));
    }
  }
  try {
    if (sim::parse_time(predict_latency).picoseconds() < 0) {
      throw UsageError(fmt::format("--predict-latency \"{}\": expected a non-negative duration",
                                   predict_latency));
    }
  } catch (const sim::UnitError& e) {
    throw UsageError(fmt::format("--predict-latency \"{}\": {}", predict_latency, e.what()));
  }
  o.predict_latency = predict_latency;
  for (const auto& a : o.predict_set) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(fmt::format("--predict-set \"{}\": expected PATH=VALUE", a));
    }
    const std::string_view path = std::string_view(a).substr(0, eq);
    if (path.front() == '.' || path.back() == '.' || path.find("..") != std::string_view::npos) {
      throw UsageError(fmt::format(
          "--predict-set \"{}\": an empty key in the path; expected e.g. a.b=VALUE", a));
    }
  }
  return o;
}

}  // namespace fabricsim::hw_app
