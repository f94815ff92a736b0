// The fabricsim-hw command line: what one rank (or the local launcher) runs, parsed with
// Boost.Program_options. Malformed command lines throw UsageError (exit 2).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "workloads/types.hpp"

namespace fabricsim::hw_app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // bad input, a failed rank, wrong data
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A well-formed command line this host cannot run (buffers beyond --max-memory, an output file
// that cannot be written): exit 1, found before anything is allocated or connected.
class ResourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bounds of the counts on the command line. Ranks: every rank keeps a tcp connection to every
// other one, so N ranks hold N-1 descriptors each; --launch-local runs all of them on one host
// (N processes, N(N-1) sockets: 65,280 at 256, already past any useful loopback measurement).
inline constexpr std::int64_t kMaxRanks = 4096;
inline constexpr std::int64_t kMaxLaunchLocal = 256;
inline constexpr std::int64_t kMaxChannels = 64;  // NCCL's own maximum (MAXCHANNELS)
inline constexpr std::int64_t kMaxIterations = 1'000'000;
inline constexpr std::chrono::milliseconds kMaxDuration{24LL * 3600 * 1000};

struct HwOptions {
  // Who runs: one rank of a job, or the launcher of `launch_local` ranks on this host.
  std::int32_t rank = -1;
  std::int32_t nranks = 0;
  std::string coordinator;  // HOST:PORT
  std::int32_t launch_local = 0;

  // Transport.
  std::string transport = "tcp";
  std::string device;
  int ib_port = 1;
  int gid_index = -1;
  std::chrono::milliseconds timeout{30'000};

  // The collective, as `fabricsim schedule` takes it.
  workloads::CollectiveOp op = workloads::CollectiveOp::kAllReduce;
  std::string algorithm = "ring";
  workloads::DataType dtype = workloads::DataType::kFloat32;
  std::string sizes_text = "1KiB:1MiB";  // as given, for messages
  std::vector<std::uint64_t> sizes;      // nccl-tests sizes (bytes), before rounding to the unit
  bool sizes_exact = false;              // listed one by one: each must be a multiple of the unit
  std::uint32_t channels = 1;
  std::uint64_t slice_bytes = 1ULL << 20;  // the scenario default, so predictions match
  std::int32_t ranks_per_node = 1;
  std::int32_t root = 0;

  // Measurement.
  std::uint32_t iters = 20;
  std::uint32_t warmup = 5;
  bool check = false;
  std::string json_path;
  std::uint64_t max_memory_bytes = 0;  // buffers on this host; 0 until parsed (half the RAM)

  // Prediction by the simulator (rank 0), when predict_rate is set.
  std::string predict_rate;              // e.g. "10Gbps": each host's link
  std::string predict_latency;           // one-way host-to-host latency, split over the two links
  std::vector<std::string> predict_set;  // scenario overrides "a.b=v"

  // Hidden, for tests: rank `die_rank` kills itself with SIGKILL `die_after` into the run;
  // rank `stop_rank` stops itself with SIGSTOP `stop_after` into the run (a hung rank).
  std::int32_t die_rank = -1;
  std::chrono::milliseconds die_after{0};
  std::int32_t stop_rank = -1;
  std::chrono::milliseconds stop_after{0};

  // The original words, for the launcher to hand to its ranks.
  std::vector<std::string> words;
};

// Parses argv (without the program name). Returns nullopt after printing --help. Throws only
// UsageError for a malformed command line; touches no file and no network.
std::optional<HwOptions> parse_options(const std::vector<std::string>& words);

// "1KiB:256MiB" (doubling, as nccl-tests -b/-e -f 2), "1KiB,4100,1MiB" or "64MiB". Throws
// UsageError naming the text.
std::vector<std::uint64_t> parse_sizes(const std::string& text, bool& exact);

// Half of this host's physical memory: the default of --max-memory.
std::uint64_t default_max_memory();

// "1.5 GiB": one decimal, binary prefixes (B for less than 1 KiB).
std::string format_bytes_1(std::uint64_t bytes);

}  // namespace fabricsim::hw_app
