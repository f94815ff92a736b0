// verbs_driver: runs every collective algorithm of the registry over the verbs transport with
// N ranks as threads of this process (a ThreadBootstrap), each rank with its own device
// context, queue pairs and registered buffers, driving its Executor through progress(); then
// checks every rank's output byte for byte (local/check.hpp). Exit 0: every case right;
// 1: a case wrong or a transport error; 2: bad usage. Used by the soft-RoCE VM test
// (tests/hw/softroce_vm.sh, ctest verbs_vm).
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/hw/thread_bootstrap.hpp"
#include "workloads/algorithms/registry.hpp"
#include "workloads/executor.hpp"
#include "workloads/transports/hw/verbs_transport.hpp"
#include "workloads/transports/local/check.hpp"

namespace po = boost::program_options;
using namespace fabricsim;
using namespace fabricsim::workloads;

namespace {

struct SteadyClock final : Clock {
  std::int64_t now_ps() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count() *
           1000;
  }
};

struct Case {
  Schedule schedule;
  std::vector<std::vector<std::byte>> inputs;   // per rank
  std::vector<std::vector<std::byte>> outputs;  // per rank, filled by the ranks
  std::int64_t time_ps = 0;                     // rank 0's last iteration
};

constexpr std::uint64_t kAlign = 64;
std::uint64_t aligned(std::uint64_t bytes) {
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

std::int32_t ranks_per_node(std::int32_t n) {
  for (std::int32_t d = 2; d < n; ++d) {
    if (n % d == 0) return d;
  }
  return n;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

struct Settings {
  hw::VerbsOptions verbs;
  std::vector<CollectiveOp> ops;
  std::vector<std::string> algorithms;  // empty: all
  std::vector<std::uint64_t> counts;
  std::uint32_t channels = 2;
  std::uint64_t slice_bytes = 0;
  DataType dtype = DataType::kFloat32;
  int iters = 2;
  bool verbose = false;
};

std::vector<Case> make_cases(const Settings& s, std::int32_t n) {
  std::vector<Case> cases;
  for (CollectiveOp op : s.ops) {
    for (const std::string& algorithm : list_algorithms(op)) {
      if (!s.algorithms.empty() &&
          std::find(s.algorithms.begin(), s.algorithms.end(), algorithm) == s.algorithms.end()) {
        continue;
      }
      for (std::uint64_t count : s.counts) {
        CollectiveRequest r;
        r.op = op;
        r.algorithm = algorithm;
        r.nranks = n;
        r.count = count;
        r.dtype = s.dtype;
        r.channels = s.channels;
        r.slice_bytes = s.slice_bytes;
        r.root = n - 1;
        if (algorithm.rfind("hierarchical", 0) == 0) r.ranks_per_node = ranks_per_node(n);
        Case c;
        c.schedule = generate(r);
        // Group reduces (nvls) need in-network reduction, which verbs does not have.
        if (!c.schedule.groups.empty()) continue;
        c.inputs.resize(static_cast<std::size_t>(n));
        c.outputs.resize(static_cast<std::size_t>(n));
        for (std::int32_t rank = 0; rank < n; ++rank) {
          auto& input = c.inputs[static_cast<std::size_t>(rank)];
          input.resize(c.schedule.ranks[static_cast<std::size_t>(rank)].input_count *
                       c.schedule.element_size());
          local::fill_input(c.schedule, rank, input);
        }
        cases.push_back(std::move(c));
      }
    }
  }
  return cases;
}

// One rank: connects, registers one arena for every case's buffers, runs each case `iters`
// times and hands its output back; rank 0 checks each case after the others are done.
void run_rank(std::int32_t rank, const Settings& s, tests::Rendezvous& rendezvous,
              std::vector<Case>& cases, std::uint64_t arena_bytes) {
  tests::ThreadBootstrap bootstrap(rendezvous, rank);
  const auto transport = hw::make_verbs_transport(s.verbs, bootstrap);
  std::vector<std::byte> arena(std::max<std::uint64_t>(arena_bytes, 1));
  transport->register_memory(arena.data(), arena.size());
  const SteadyClock clock;
  const auto r = static_cast<std::size_t>(rank);
  for (Case& c : cases) {
    const RankProgram& program = c.schedule.ranks[r];
    const std::uint64_t esize = dtype_size(c.schedule.dtype);
    std::byte* input = arena.data();
    std::byte* output = input + aligned(program.input_count * esize);
    std::byte* scratch = output + aligned(program.output_count * esize);
    std::copy(c.inputs[r].begin(), c.inputs[r].end(), input);
    std::fill_n(output, program.output_count * esize, local::kOutputSentinel);
    std::fill_n(scratch, program.scratch_count * esize, std::byte{0});
    Executor executor(rank, c.schedule, *transport, Buffers{input, output, scratch}, clock);
    bootstrap.barrier();
    for (int iter = 0; iter < s.iters; ++iter) {
      if (iter > 0) executor.reset();
      executor.start();
      while (!executor.done()) {
        if (transport->progress() == 0) {
          if (rendezvous.aborted()) throw hw::TransportError("another rank failed");
          std::this_thread::yield();
        }
      }
    }
    if (rank == 0) c.time_ps = executor.end_ps() - executor.start_ps();
    c.outputs[r].assign(output, output + program.output_count * esize);
  }
  bootstrap.barrier();
}

int run_group(const Settings& s, std::int32_t n, std::size_t& total, std::size_t& wrong) {
  std::vector<Case> cases = make_cases(s, n);
  std::uint64_t arena = 0;
  for (const Case& c : cases) {
    const std::uint64_t esize = dtype_size(c.schedule.dtype);
    for (const RankProgram& p : c.schedule.ranks) {
      arena = std::max(arena, aligned(p.input_count * esize) + aligned(p.output_count * esize) +
                                  aligned(p.scratch_count * esize));
    }
  }
  tests::Rendezvous rendezvous(n, std::chrono::milliseconds(s.verbs.timeout.count() * 2));
  std::vector<std::string> errors(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  for (std::int32_t rank = 0; rank < n; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        run_rank(rank, s, rendezvous, cases, arena);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(rank)] = e.what();
        rendezvous.abort("rank " + std::to_string(rank) + ": " + e.what());
      }
    });
  }
  for (auto& t : threads)
    t.join();
  bool failed = false;
  for (std::int32_t rank = 0; rank < n; ++rank) {
    const std::string& e = errors[static_cast<std::size_t>(rank)];
    if (!e.empty()) {
      std::fprintf(stderr, "verbs_driver: %d ranks: rank %d: %s\n", n, rank, e.c_str());
      failed = true;
    }
  }
  if (failed) return 1;
  for (const Case& c : cases) {
    const local::CheckResult check = local::check_result(c.schedule, c.inputs, c.outputs);
    ++total;
    if (!check.ok) ++wrong;
    if (s.verbose || !check.ok) {
      const std::uint64_t bytes = c.schedule.count * dtype_size(c.schedule.dtype);
      std::printf("%-14s %-18s ranks %d count %8llu bytes %9llu time %9.1f us %s%s\n",
                  std::string(to_string(c.schedule.op)).c_str(), c.schedule.algorithm.c_str(), n,
                  static_cast<unsigned long long>(c.schedule.count),
                  static_cast<unsigned long long>(bytes), static_cast<double>(c.time_ps) * 1e-6,
                  check.ok ? "ok" : "WRONG: ", check.message.c_str());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  std::string ranks_text = "2";
  std::string ops_text;
  std::string algorithms_text;
  std::string counts_text = "1,1001,65539";
  std::string dtype_text = "float32";
  long long timeout_ms = 30000;
  po::options_description desc(
      "verbs_driver: every collective algorithm over the verbs transport, ranks as threads, "
      "checked byte for byte\nOptions");
  desc.add_options()("help", "this help")(
      "ranks", po::value(&ranks_text)->default_value(ranks_text), "rank counts, e.g. 2,3,4")(
      "ops", po::value(&ops_text), "collectives (default: all)")(
      "algorithms", po::value(&algorithms_text), "algorithms (default: all)")(
      "counts", po::value(&counts_text)->default_value(counts_text), "element counts")(
      "dtype", po::value(&dtype_text)->default_value(dtype_text), "float32 | int32")(
      "channels", po::value(&s.channels)->default_value(s.channels), "channels per collective")(
      "slice-bytes", po::value(&s.slice_bytes)->default_value(0), "pipelining slice (0: none)")(
      "iters", po::value(&s.iters)->default_value(s.iters), "runs of each case")(
      "device", po::value(&s.verbs.device), "verbs device (default: the first)")(
      "port", po::value<unsigned>()->default_value(1), "device port")(
      "gid-index", po::value(&s.verbs.gid_index)->default_value(-1), "GID index (-1: auto)")(
      "timeout-ms", po::value(&timeout_ms)->default_value(timeout_ms), "transport timeout")(
      "max-message-bytes", po::value(&s.verbs.max_message_bytes)->default_value(0),
      "largest RDMA write (0: the port's); smaller splits messages")(
      "max-outstanding-recvs",
      po::value(&s.verbs.max_outstanding_recvs)->default_value(s.verbs.max_outstanding_recvs),
      "clear-to-sends in flight per peer")("verbose,v", "one line per case");
  std::vector<std::int32_t> rank_counts;
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    s.verbose = vm.count("verbose") != 0;
    s.verbs.port = static_cast<std::uint8_t>(vm["port"].as<unsigned>());
    s.verbs.timeout = std::chrono::milliseconds(timeout_ms);
    s.dtype = parse_dtype(dtype_text);
    for (const auto& r : split(ranks_text))
      rank_counts.push_back(std::stoi(r));
    for (const auto& c : split(counts_text))
      s.counts.push_back(std::stoull(c));
    if (ops_text.empty()) {
      s.ops.assign(std::begin(kAllCollectiveOps), std::end(kAllCollectiveOps));
    } else {
      for (const auto& o : split(ops_text))
        s.ops.push_back(parse_collective_op(o));
    }
    s.algorithms = split(algorithms_text);
    if (rank_counts.empty() || s.counts.empty() || s.iters < 1) {
      throw std::invalid_argument("need --ranks, --counts and --iters >= 1");
    }
    for (std::int32_t n : rank_counts) {
      if (n < 1) throw std::invalid_argument("rank counts must be >= 1");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "verbs_driver: %s\n", e.what());
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  std::size_t total = 0;
  std::size_t wrong = 0;
  int rc = 0;
  for (std::int32_t n : rank_counts) {
    if (run_group(s, n, total, wrong) != 0) rc = 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("verbs_driver: %zu cases, %zu wrong, %s, %.1f s\n", total, wrong,
              rc == 0 ? "no transport errors" : "TRANSPORT ERRORS", seconds);
  return rc != 0 || wrong != 0 ? 1 : 0;
}
