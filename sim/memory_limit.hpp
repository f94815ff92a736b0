// The process's memory budget: how much a run may plan to allocate before it is refused (the
// topology, schedule and output estimates are checked against it before anything is built).
#pragma once

#include <cstdint>

namespace fabricsim::sim {

// Physical memory of the machine (sysconf), 0 when unknown.
std::uint64_t physical_memory_bytes();

// The budget: set_memory_limit_bytes() if called, else kDefaultMemoryShare of the physical
// memory (8 GiB when that is unknown) or of the process's address-space or data limit
// (RLIMIT_AS, RLIMIT_DATA) when that is lower. One value per process: the CLI's --max-memory and
// the Python module's fabricsim.set_max_memory() set it; nothing else does.
inline constexpr double kDefaultMemoryShare = 0.75;
std::uint64_t memory_limit_bytes();
// 0 restores the default.
void set_memory_limit_bytes(std::uint64_t bytes);
// Whether the budget is the default (messages say where the limit came from).
bool memory_limit_is_default();

}  // namespace fabricsim::sim
