// The process's memory budget (see memory_limit.hpp).
#include "sim/memory_limit.hpp"

#include <unistd.h>

#include <atomic>

namespace fabricsim::sim {
namespace {

std::atomic<std::uint64_t> g_limit{0};  // 0: the default

}  // namespace

std::uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

std::uint64_t memory_limit_bytes() {
  const std::uint64_t set = g_limit.load(std::memory_order_relaxed);
  if (set != 0) return set;
  const std::uint64_t physical = physical_memory_bytes();
  if (physical == 0) return 8ULL << 30;
  return static_cast<std::uint64_t>(static_cast<double>(physical) * kDefaultMemoryShare);
}

void set_memory_limit_bytes(std::uint64_t bytes) {
  g_limit.store(bytes, std::memory_order_relaxed);
}

bool memory_limit_is_default() {
  return g_limit.load(std::memory_order_relaxed) == 0;
}

}  // namespace fabricsim::sim
