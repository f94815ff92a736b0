// Parsing and checking of the fabricsim-hw command line (see options.hpp).
#include "apps/fabricsim-hw/options.hpp"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>

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
  try {
    const std::uint64_t bytes = sim::parse_bytes(text);
    if (bytes == 0) throw UsageError(fmt::format("--sizes \"{}\": sizes must be positive", whole));
    return bytes;
  } catch (const sim::UnitError& e) {
    throw UsageError(fmt::format("--sizes \"{}\": {}", whole, e.what()));
  }
}

std::chrono::milliseconds parse_duration(const std::string& option, const std::string& text,
                                         bool allow_zero) {
  std::int64_t ps = 0;
  try {
    ps = sim::parse_time(text).picoseconds();
  } catch (const sim::UnitError& e) {
    throw UsageError(fmt::format("--{} \"{}\": {}", option, text, e.what()));
  }
  const std::int64_t ms = (ps + 999'999'999) / 1'000'000'000;
  if (ms <= 0 && !allow_zero) {
    throw UsageError(fmt::format("--{} \"{}\": expected a positive duration", option, text));
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

std::optional<HwOptions> parse_options(const std::vector<std::string>& words) {
  HwOptions o;
  o.words = words;
  std::string op = "allreduce";
  std::string dtype = "float32";
  std::string sizes = "1KiB:1MiB";
  std::string timeout = "30s";
  std::string slice = "1MiB";
  std::string die_after = "0s";
  po::options_description job("job");
  job.add_options()("rank", po::value(&o.rank), "this process's rank, 0..N-1")(
      "nranks", po::value(&o.nranks), "number of ranks N")(
      "coordinator", po::value(&o.coordinator),
      "HOST:PORT rank 0 listens on and the others connect to")(
      "launch-local", po::value(&o.launch_local),
      "fork N ranks on this host (free local port), wait for all, exit 1 if any fails")(
      "timeout", po::value(&timeout)->default_value(timeout),
      "give up on a missing, dead or stalled peer after this long");
  po::options_description transport("transport");
  transport.add_options()("transport", po::value(&o.transport)->default_value(o.transport),
                          "tcp | verbs")("device", po::value(&o.device),
                                         "verbs device (default: the first)")(
      "ib-port", po::value(&o.ib_port)->default_value(o.ib_port), "verbs port number")(
      "gid-index", po::value(&o.gid_index)->default_value(o.gid_index),
      "verbs GID index (RoCE; -1: the backend's default)");
  po::options_description collective("collective");
  collective.add_options()("op", po::value(&op)->default_value(op),
                           "allreduce | reduce_scatter | allgather | alltoall | broadcast | "
                           "reduce | sendrecv")("algorithm",
                                                po::value(&o.algorithm)->default_value(o.algorithm),
                                                "see fabricsim schedule --list")(
      "sizes", po::value(&sizes)->default_value(sizes),
      "MIN:MAX doubling, or a list A,B,C (nccl-tests sizes: the larger per-rank buffer)")(
      "dtype", po::value(&dtype)->default_value(dtype), "float32 | int32")(
      "channels", po::value(&o.channels)->default_value(o.channels), "parallel channels")(
      "slice", po::value(&slice)->default_value(slice),
      "largest message before pipelining in slices (0: none)")(
      "ranks-per-node", po::value(&o.ranks_per_node)->default_value(o.ranks_per_node),
      "ranks sharing a node (hierarchical algorithms)")(
      "root", po::value(&o.root)->default_value(o.root), "root of broadcast / reduce");
  po::options_description measure("measurement");
  measure.add_options()("iters", po::value(&o.iters)->default_value(o.iters),
                        "timed iterations per size")(
      "warmup", po::value(&o.warmup)->default_value(o.warmup), "untimed iterations first")(
      "check", po::bool_switch(&o.check), "compare every rank's output, count wrong elements")(
      "json", po::value(&o.json_path), "also write the table as JSON (rank 0)");
  po::options_description predict("prediction (rank 0 simulates N hosts behind one switch)");
  predict.add_options()("predict-rate", po::value(&o.predict_rate),
                        "each host's link rate, e.g. 10Gbps; turns the prediction on")(
      "predict-latency", po::value(&o.predict_latency)->default_value("2us"),
      "one-way host-to-host latency, split over the two links of a path")(
      "predict-set", po::value(&o.predict_set)->composing(),
      "scenario override a.b=VALUE, e.g. models.gpu.launch_latency=0us (repeatable)");
  po::options_description hidden;
  hidden.add_options()("test-die-rank", po::value(&o.die_rank))("test-die-after",
                                                                po::value(&die_after));
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
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }

  if (o.launch_local != 0) {
    if (o.launch_local < 1) throw UsageError("--launch-local: expected at least 1 rank");
    if (vm.count("rank") + vm.count("nranks") + vm.count("coordinator") != 0U) {
      throw UsageError(
          "--launch-local picks ranks and a coordinator itself: drop --rank, "
          "--nranks and --coordinator");
    }
  } else {
    if (vm.count("rank") == 0U || vm.count("nranks") == 0U || vm.count("coordinator") == 0U) {
      throw UsageError("expected --rank, --nranks and --coordinator (or --launch-local N)");
    }
    if (o.nranks < 1) throw UsageError("--nranks: expected at least 1");
    if (o.rank < 0 || o.rank >= o.nranks) {
      throw UsageError(fmt::format("--rank {}: expected 0..{}", o.rank, o.nranks - 1));
    }
    try {
      workloads::hw::parse_host_port(o.coordinator);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--coordinator ") + e.what());
    }
  }
  if (o.transport != "tcp" && o.transport != "verbs") {
    throw UsageError(fmt::format("--transport \"{}\": expected tcp or verbs", o.transport));
  }
  try {
    o.op = workloads::parse_collective_op(op);
    o.dtype = workloads::parse_dtype(dtype);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  o.sizes = parse_sizes(sizes, o.sizes_exact);
  try {
    o.slice_bytes = sim::parse_bytes(slice);
  } catch (const sim::UnitError& e) {
    throw UsageError(fmt::format("--slice \"{}\": {}", slice, e.what()));
  }
  o.timeout = parse_duration("timeout", timeout, false);
  o.die_after = parse_duration("test-die-after", die_after, true);
  if (o.iters < 1) throw UsageError("--iters: expected at least 1");
  if (o.channels < 1) throw UsageError("--channels: expected at least 1");
  if (!o.predict_rate.empty()) {
    try {
      sim::parse_rate_bps(o.predict_rate);
    } catch (const sim::UnitError& e) {
      throw UsageError(fmt::format("--predict-rate \"{}\": {}", o.predict_rate, e.what()));
    }
    try {
      sim::parse_time(o.predict_latency);
    } catch (const sim::UnitError& e) {
      throw UsageError(fmt::format("--predict-latency \"{}\": {}", o.predict_latency, e.what()));
    }
  }
  for (const auto& a : o.predict_set) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(fmt::format("--predict-set \"{}\": expected PATH=VALUE", a));
    }
  }
  return o;
}

}  // namespace fabricsim::hw_app
