// One rank of a fabricsim-hw job (see rank_run.hpp).
#include "apps/fabricsim-hw/rank_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/fabricsim-hw/predict.hpp"
#include "apps/fabricsim-hw/report.hpp"
#include "scenario/scenario.hpp"
#include "sim/memory_limit.hpp"
#include "topologies/config_error.hpp"
#include "workloads/algorithms/registry.hpp"
#include "workloads/executor.hpp"
#include "workloads/metrics.hpp"
#include "workloads/transports/hw/factory.hpp"
#include "workloads/transports/hw/tcp_bootstrap.hpp"
#include "workloads/transports/local/check.hpp"

namespace fabricsim::hw_app {

namespace {

namespace hw = workloads::hw;
using Steady = std::chrono::steady_clock;

class WallClock final : public workloads::Clock {
 public:
  std::int64_t now_ps() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
               .count() *
           1000;
  }
};

// Kills (SIGKILL) or stops (SIGSTOP) this process at a set time (the hidden --test-die-* and
// --test-stop-* options), to test that the other ranks and the launcher notice a dead or hung
// peer.
class FaultTimer {
 public:
  FaultTimer(bool armed, std::chrono::milliseconds after, int signal)
      : armed_(armed), at_(Steady::now() + after), signal_(signal) {}
  void poll() {
    if (!armed_ || Steady::now() < at_) return;
    armed_ = false;  // a stopped rank that is continued goes on
    std::raise(signal_);
  }

 private:
  bool armed_;
  Steady::time_point at_;
  int signal_;
};

constexpr std::uint64_t kCheckBlockElements = 1 << 20;

// The buffers run_rank allocates for `schedules` (one allocation each, for the largest size).
struct BufferNeeds {
  std::uint64_t input = 0;
  std::uint64_t output = 0;
  std::uint64_t scratch = 0;
  std::uint64_t check = 0;      // the expected values of one block, with --check
  std::uint64_t schedules = 0;  // an estimate (check_memory); not allocated by run_rank
  std::uint64_t total() const;
};

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

std::uint64_t BufferNeeds::total() const {
  return saturating_add(
      saturating_add(saturating_add(input, output), saturating_add(scratch, check)), schedules);
}

BufferNeeds buffer_needs(const std::vector<workloads::Schedule>& schedules, std::int32_t rank,
                         bool check) {
  BufferNeeds needs;
  for (const auto& s : schedules) {
    const auto& program = s.ranks[static_cast<std::size_t>(rank)];
    needs.input = std::max(needs.input, program.input_count * s.element_size());
    needs.output = std::max(needs.output, program.output_count * s.element_size());
    needs.scratch = std::max(needs.scratch, program.scratch_count * s.element_size());
    if (check) {
      needs.check = std::max(
          needs.check, std::min(kCheckBlockElements, program.output_count) * s.element_size());
    }
  }
  return needs;
}

// The schedules of every size for this rank: the same request path as `fabricsim schedule`
// and the scenario layer (size -> element count by workloads::size_unit_bytes).
// Schedules are held for every size at once, each instance (channel x slice) with O(nranks)
// operations per rank: `--channels 64 --slice 1B` on 32 ranks took 3.4 GB and 44 s to build.
// Their sum over the sizes, times the ranks, is bounded (about 0.5 GB and 1 s to build), and
// counted at kScheduleBytesPerInstanceRank (measured: ~400 B) in the memory estimate.
constexpr std::uint64_t kMaxInstanceRanks = 1 << 20;
constexpr std::uint64_t kScheduleBytesPerInstanceRank = 512;

// The requests of every size (the same request path as `fabricsim schedule` and the scenario
// layer: size -> element count by workloads::size_unit_bytes) and their instances x ranks.
std::vector<workloads::CollectiveRequest> make_requests(const HwOptions& o, std::int32_t nranks,
                                                        std::uint64_t& instance_ranks) {
  std::vector<workloads::CollectiveRequest> requests;
  const std::uint64_t unit = workloads::size_unit_bytes(o.op, o.dtype, nranks);
  std::uint64_t last = 0;
  std::uint64_t instances = 0;
  for (const std::uint64_t size : o.sizes) {
    if (o.sizes_exact && size % unit != 0) {
      throw UsageError(
          fmt::format("--sizes: {} is not a multiple of {} bytes ({} of {} on {} ranks)", size,
                      unit, workloads::to_string(o.op), workloads::to_string(o.dtype), nranks));
    }
    const std::uint64_t count = size / unit;
    if (count == 0 || count * unit == last) continue;  // below one unit, or a repeat
    last = count * unit;
    workloads::CollectiveRequest request;
    request.memory_limit_bytes = sim::memory_limit_bytes();
    request.op = o.op;
    request.algorithm = o.algorithm;
    request.nranks = nranks;
    request.count = count;
    request.dtype = o.dtype;
    request.channels = o.channels;
    request.slice_bytes = o.slice_bytes;
    request.ranks_per_node = o.ranks_per_node;
    request.root = o.root;
    instances += workloads::count_instances(request);
    requests.push_back(request);
  }
  if (requests.empty()) {
    throw UsageError(fmt::format("--sizes: every size is below one unit ({} bytes)", unit));
  }
  instance_ranks = instances * static_cast<std::uint64_t>(nranks);
  if (instance_ranks > kMaxInstanceRanks) {
    throw UsageError(fmt::format(
        "--sizes {} --channels {} --slice {} B: {} pieces (channel x slice, over all sizes) on {} "
        "ranks, more than the {} pieces x ranks fabricsim-hw builds; use fewer channels or "
        "sizes, or a larger --slice",
        o.sizes_text, o.channels, o.slice_bytes, instances, nranks, kMaxInstanceRanks));
  }
  return requests;
}

// The schedules of every size for this rank.
std::vector<workloads::Schedule> make_schedules(const HwOptions& o, std::int32_t rank,
                                                std::int32_t nranks) {
  std::uint64_t instance_ranks = 0;
  std::vector<workloads::Schedule> schedules;
  for (const workloads::CollectiveRequest& request : make_requests(o, nranks, instance_ranks)) {
    try {
      schedules.push_back(workloads::generate_rank(request, rank));
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    if (!schedules.back().groups.empty()) {
      throw UsageError(fmt::format(
          "--algorithm {}: needs in-network reduction (the in-switch all-reduce of an NVLink "
          "domain); the {} transport has none",
          o.algorithm, o.transport));
    }
  }
  return schedules;
}

struct RankResult {
  double seconds = 0;  // per iteration
  std::uint64_t wrong = 0;
};

// Elements of `output` that differ from what this rank must hold, compared in blocks so the
// expected values need little memory at any size.
std::uint64_t count_wrong(const workloads::Schedule& schedule, std::int32_t rank,
                          const std::byte* output, std::vector<std::byte>& expected) {
  constexpr std::uint64_t kBlockElements = kCheckBlockElements;
  const std::uint64_t esize = schedule.element_size();
  const std::uint64_t elements = schedule.ranks[static_cast<std::size_t>(rank)].output_count;
  std::uint64_t wrong = 0;
  for (std::uint64_t first = 0; first < elements; first += kBlockElements) {
    const std::uint64_t block = std::min(kBlockElements, elements - first);
    expected.resize(block * esize);
    workloads::local::expected_output(schedule, rank, expected, first);
    const std::byte* got = output + first * esize;
    for (std::uint64_t i = 0; i < block; ++i) {
      if (std::memcmp(got + i * esize, expected.data() + i * esize, esize) != 0) ++wrong;
    }
  }
  return wrong;
}

}  // namespace

void check_collective(const HwOptions& options, std::int32_t nranks) {
  make_schedules(options, 0, nranks);
}

void check_memory(const HwOptions& options, std::int32_t nranks,
                  const std::vector<std::int32_t>& local_ranks) {
  // Every local rank when there are few, else a sample (the first, the root, the middle, the
  // last: where the algorithms differ), the largest of it counted for each local rank.
  std::vector<std::int32_t> measured = local_ranks;
  if (measured.size() > 16) {
    measured = {local_ranks.front(), local_ranks[local_ranks.size() / 2], local_ranks.back()};
    if (std::find(local_ranks.begin(), local_ranks.end(), options.root) != local_ranks.end()) {
      measured.push_back(options.root);
    }
  }
  std::uint64_t measured_total = 0;
  BufferNeeds largest;
  bool differ = false;
  for (const std::int32_t r : measured) {
    const BufferNeeds needs = buffer_needs(make_schedules(options, r, nranks), r, options.check);
    if (r != measured.front() && needs.total() != largest.total()) differ = true;
    if (needs.total() > largest.total()) largest = needs;
    measured_total = saturating_add(measured_total, needs.total());
  }
  // The schedules, estimated: every rank of the job builds its own.
  std::uint64_t instance_ranks = 0;
  make_requests(options, nranks, instance_ranks);
  largest.schedules = instance_ranks * kScheduleBytesPerInstanceRank;
  measured_total = saturating_add(measured_total, largest.schedules * measured.size());
  std::uint64_t total = measured_total;
  if (measured.size() < local_ranks.size()) {
    total = largest.total() > UINT64_MAX / local_ranks.size()
                ? UINT64_MAX
                : largest.total() * local_ranks.size();
  }
  if (total <= options.max_memory_bytes) return;
  const std::string parts =
      fmt::format("input {}, output {}, scratch {}{}, schedules {}", format_bytes_1(largest.input),
                  format_bytes_1(largest.output), format_bytes_1(largest.scratch),
                  options.check ? ", check " + format_bytes_1(largest.check) : std::string(),
                  format_bytes_1(largest.schedules));
  std::string who;
  if (local_ranks.size() == 1) {
    who = fmt::format("rank {}: {}", local_ranks.front(), parts);
  } else {
    who = fmt::format("{} ranks x {}{}: {}", local_ranks.size(), differ ? "up to " : "",
                      format_bytes_1(largest.total()), parts);
  }
  throw ResourceError(fmt::format(
      "--sizes {}: needs {} of memory on this host ({}), more than --max-memory {}",
      options.sizes_text, format_bytes_1(total), who, format_bytes_1(options.max_memory_bytes)));
}

void check_prediction(const HwOptions& options, std::int32_t nranks) {
  if (options.predict_rate.empty()) return;
  const std::uint64_t largest = *std::max_element(options.sizes.begin(), options.sizes.end());
  try {
    scenario::parse_scenario(prediction_scenario(options, nranks, largest),
                             "fabricsim-hw --predict-rate", ".");
  } catch (const topologies::ConfigError& e) {
    throw ResourceError(fmt::format("error in the prediction: {}", e.what()));
  }
}

int run_rank(const HwOptions& o) {
  const std::int32_t rank = o.rank;
  const std::int32_t nranks = o.nranks;
  const std::vector<workloads::Schedule> schedules = make_schedules(o, rank, nranks);
  check_memory(o, nranks, {rank});
  if (rank == 0) check_prediction(o, nranks);

  hw::TcpBootstrapOptions bootstrap_options;
  bootstrap_options.rank = rank;
  bootstrap_options.nranks = nranks;
  bootstrap_options.coordinator = hw::parse_host_port(o.coordinator);
  bootstrap_options.timeout = o.timeout;
  hw::TcpBootstrap bootstrap(bootstrap_options);

  hw::TransportOptions transport_options;
  transport_options.backend = o.transport;
  transport_options.timeout = o.timeout;
  transport_options.bind_address = bootstrap.reachable_address();
  transport_options.device = o.device;
  transport_options.port = o.ib_port;
  transport_options.gid_index = o.gid_index;
  std::unique_ptr<hw::HwTransport> transport = hw::make_transport(transport_options, bootstrap);

  // One allocation for every size, registered once (verbs keeps registrations until the
  // transport is destroyed).
  // (check_memory() above counted these.)
  const BufferNeeds needs = buffer_needs(schedules, rank, false);
  std::vector<std::byte> input(std::max<std::uint64_t>(needs.input, 1));
  std::vector<std::byte> output(std::max<std::uint64_t>(needs.output, 1));
  std::vector<std::byte> scratch(std::max<std::uint64_t>(needs.scratch, 1));
  transport->register_memory(input.data(), input.size());
  transport->register_memory(output.data(), output.size());
  transport->register_memory(scratch.data(), scratch.size());
  const workloads::Buffers buffers{input.data(), output.data(), scratch.data()};

  const WallClock clock;
  FaultTimer death(o.die_rank == rank, o.die_after, SIGKILL);
  FaultTimer stop(o.stop_rank == rank, o.stop_after, SIGSTOP);
  std::vector<std::byte> expected;
  std::vector<Row> rows;
  const bool predicting = !o.predict_rate.empty();
  if (rank == 0 && !predicting) {
    std::cout << table_header(o, nranks, transport->name(), false) << std::flush;
  }

  for (const auto& schedule : schedules) {
    const auto& program = schedule.ranks[static_cast<std::size_t>(rank)];
    const std::uint64_t esize = schedule.element_size();
    workloads::local::fill_input(schedule, rank,
                                 std::span<std::byte>(input.data(), program.input_count * esize));
    std::fill(output.begin(), output.end(), workloads::local::kOutputSentinel);
    workloads::Executor executor(rank, schedule, *transport, buffers, clock);
    const auto run_once = [&] {
      if (executor.started()) executor.reset();
      executor.start();
      while (!executor.done()) {
        transport->progress();
        death.poll();
        stop.poll();
      }
    };
    for (std::uint32_t i = 0; i < o.warmup; ++i)
      run_once();
    bootstrap.barrier();
    const auto begin = Steady::now();
    for (std::uint32_t i = 0; i < o.iters; ++i)
      run_once();
    const std::chrono::duration<double> elapsed = Steady::now() - begin;
    RankResult mine;
    mine.seconds = elapsed.count() / o.iters;
    if (o.check) mine.wrong = count_wrong(schedule, rank, output.data(), expected);

    const auto* raw = reinterpret_cast<const std::byte*>(&mine);
    const std::vector<std::byte> all = bootstrap.allgather({raw, sizeof mine});
    if (rank != 0) continue;
    Row row;
    row.bytes = workloads::collective_bytes(schedule);
    row.count = row.bytes / esize;
    for (std::int32_t q = 0; q < nranks; ++q) {
      RankResult theirs;
      std::memcpy(&theirs, all.data() + static_cast<std::size_t>(q) * sizeof theirs, sizeof theirs);
      row.time_us = std::max(row.time_us, theirs.seconds * 1e6);
      if (o.check) row.wrong = row.wrong.value_or(0) + theirs.wrong;
    }
    const double seconds = row.time_us / 1e6;
    row.algbw_GBps = workloads::algbw_GBps(row.bytes, seconds);
    row.busbw_GBps = workloads::busbw_GBps(o.op, nranks, row.bytes, seconds);
    if (!predicting) std::cout << table_row(o, row, false) << std::flush;
    rows.push_back(row);
  }
  // Nothing more crosses the network: the others may leave while rank 0 predicts.
  bootstrap.barrier();
  const std::string transport_name = transport->name();
  transport.reset();
  if (rank != 0) return kExitOk;

  if (predicting) {
    std::cout << table_header(o, nranks, transport_name, true);
    for (Row& row : rows) {
      const Prediction p = predict(o, nranks, row.bytes);
      row.predicted_time_us = p.time_us;
      row.predicted_algbw_GBps = p.algbw_GBps;
      row.predicted_busbw_GBps = p.busbw_GBps;
      std::cout << table_row(o, row, true) << std::flush;
    }
  }
  std::uint64_t wrong = 0;
  for (const Row& row : rows)
    wrong += row.wrong.value_or(0);
  if (o.check) {
    std::cout << fmt::format("# {} wrong element(s){}\n", wrong, wrong == 0 ? "" : ": FAILED");
  }
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << table_json(o, nranks, transport_name, rows).dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write \"" + o.json_path + "\"");
  }
  return wrong == 0 ? kExitOk : kExitFailure;
}

// One rank with its errors turned into messages and exit codes ("fabricsim-hw: rank R: ...").
int run_rank_reporting(const HwOptions& options) {
  const std::string who = fmt::format("fabricsim-hw: rank {}", options.rank);
  try {
    return run_rank(options);
  } catch (const UsageError& e) {
    fmt::print(stderr, "{}: {}\n", who, e.what());
    return kExitUsage;
  } catch (const ResourceError& e) {
    fmt::print(stderr, "{}: {}\n", who, e.what());
  } catch (const workloads::hw::TransportError& e) {
    fmt::print(stderr, "{}: error: {}\n", who, e.what());
  } catch (const topologies::ConfigError& e) {
    fmt::print(stderr, "{}: error in the prediction: {}\n", who, e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", who, e.what());
  }
  return kExitFailure;
}

}  // namespace fabricsim::hw_app
