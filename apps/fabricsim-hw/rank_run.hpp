// One rank of a fabricsim-hw job: rendezvous, transport, then per size the Schedule the
// simulator would run, executed over the real transport and timed; rank 0 prints the table.
#pragma once

#include <cstdint>
#include <vector>

#include "apps/fabricsim-hw/options.hpp"

namespace fabricsim::hw_app {

// Runs rank options.rank of options.nranks; returns the exit code (0, or 1 when --check found
// wrong elements). Throws UsageError for a bad algorithm or size, TransportError when a peer
// fails, topologies::ConfigError for a bad prediction setting.
int run_rank(const HwOptions& options);

// Throws UsageError when the collective cannot be built for `nranks` ranks (unknown algorithm,
// a size not a multiple of its unit, a bad root): what the launcher checks before it forks.
void check_collective(const HwOptions& options, std::int32_t nranks);

// Throws ResourceError when the buffers of `local_ranks` (of a job of `nranks`), which share
// this host, need more than options.max_memory_bytes: checked before anything is allocated.
void check_memory(const HwOptions& options, std::int32_t nranks,
                  const std::vector<std::int32_t>& local_ranks);

// Throws ResourceError when the prediction's scenario (--predict-*) is not valid: checked before
// the measurement rather than after it.
void check_prediction(const HwOptions& options, std::int32_t nranks);

// run_rank() with every error printed on stderr as "fabricsim-hw: rank R: ..." and turned into
// an exit code (2 bad usage, 1 anything else).
int run_rank_reporting(const HwOptions& options);

}  // namespace fabricsim::hw_app
