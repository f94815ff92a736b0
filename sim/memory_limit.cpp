// The process's memory budget (see memory_limit.hpp).
#include "sim/memory_limit.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

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
  std::uint64_t available = physical_memory_bytes();
  if (available == 0) available = 8ULL << 30;
  // A process limited below the machine (ulimit -v, -d) can take only that much.
  for (const int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    rlimit limit{};
    if (::getrlimit(resource, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
      available = std::min<std::uint64_t>(available, limit.rlim_cur);
    }
  }
  return static_cast<std::uint64_t>(static_cast<double>(available) * kDefaultMemoryShare);
}

void set_memory_limit_bytes(std::uint64_t bytes) {
  g_limit.store(bytes, std::memory_order_relaxed);
}

bool memory_limit_is_default() {
  return g_limit.load(std::memory_order_relaxed) == 0;
}

}  // namespace fabricsim::sim
