// The local launcher: fork one child per rank, wait for all (see launch.hpp).
#include "apps/fabricsim-hw/launch.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "apps/fabricsim-hw/rank_run.hpp"
#include "workloads/transports/hw/socket.hpp"

namespace fabricsim::hw_app {

namespace {

// A loopback port nobody listens on now (the kernel's choice for an ephemeral bind). Another
// process could take it before rank 0 binds; rank 0 then fails with a clear bind() error.
std::uint16_t free_loopback_port() {
  workloads::hw::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (!fd.valid() ||
      ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    throw std::runtime_error("cannot find a free loopback port: " +
                             workloads::hw::errno_text(errno));
  }
  return ntohs(
      reinterpret_cast<sockaddr_in*>(workloads::hw::local_address(fd.get()).get())->sin_port);
}

// How one rank ended.
struct Ending {
  bool ended = false;
  int status = 0;
  bool killed_by_us = false;  // still running --timeout after another rank had exited
  int order = -1;             // the order of its exit among the ranks, 0 first
};

bool failed(const Ending& e) {
  return e.killed_by_us || !WIFEXITED(e.status) || WEXITSTATUS(e.status) != 0;
}

// The rank most likely to have failed first: one killed by a signal (not by the launcher), then
// one that did not exit (a hung rank makes the others fail when they give up on it), then the
// first to exit with a failure. -1 when none failed.
std::int32_t first_failure(const std::vector<Ending>& endings) {
  std::int32_t best = -1;
  const auto priority = [](const Ending& e) {
    if (!e.killed_by_us && WIFSIGNALED(e.status)) return 0;
    if (e.killed_by_us) return 1;
    return 2;
  };
  for (std::size_t r = 0; r < endings.size(); ++r) {
    const Ending& e = endings[r];
    if (!failed(e)) continue;
    if (best < 0) {
      best = static_cast<std::int32_t>(r);
      continue;
    }
    const Ending& b = endings[static_cast<std::size_t>(best)];
    if (priority(e) < priority(b) || (priority(e) == priority(b) && e.order < b.order)) {
      best = static_cast<std::int32_t>(r);
    }
  }
  return best;
}

std::string describe(const Ending& e, std::chrono::milliseconds timeout) {
  if (e.killed_by_us) {
    return fmt::format("did not exit within {} of the others and was killed",
                       workloads::hw::duration_text(timeout));
  }
  if (WIFSIGNALED(e.status)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(e.status),
                       ::strsignal(WTERMSIG(e.status)));
  }
  return fmt::format("exited with status {}", WEXITSTATUS(e.status));
}

// Blocks SIGCHLD for the launcher's lifetime (so that sigtimedwait() can wait for a child with
// a deadline); restores the mask when done. Children restore it at once.
class BlockChildSignal {
 public:
  BlockChildSignal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockChildSignal() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  BlockChildSignal(const BlockChildSignal&) = delete;
  BlockChildSignal& operator=(const BlockChildSignal&) = delete;
  const sigset_t& old() const { return old_; }

 private:
  sigset_t old_{};
};

}  // namespace

int launch_local(const HwOptions& options) {
  const std::int32_t n = options.launch_local;
  check_collective(options, n);  // a usage error once, not from every rank
  std::vector<std::int32_t> all_ranks(static_cast<std::size_t>(n));
  for (std::int32_t r = 0; r < n; ++r)
    all_ranks[static_cast<std::size_t>(r)] = r;
  check_memory(options, n, all_ranks);  // before any rank allocates
  check_prediction(options, n);         // before the measurement, not after it
  const std::string coordinator = fmt::format("127.0.0.1:{}", free_loopback_port());
  std::fflush(stdout);
  std::fflush(stderr);
  const BlockChildSignal blocked;
  std::vector<pid_t> children;
  for (std::int32_t r = 0; r < n; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      fmt::print(stderr, "fabricsim-hw: fork(): {}\n", workloads::hw::errno_text(errno));
      for (const pid_t child : children)
        ::kill(child, SIGKILL);
      for (const pid_t child : children)
        ::waitpid(child, nullptr, 0);
      return kExitFailure;
    }
    if (pid == 0) {
      ::sigprocmask(SIG_SETMASK, &blocked.old(), nullptr);
      HwOptions mine = options;
      mine.launch_local = 0;
      mine.rank = r;
      mine.nranks = n;
      mine.coordinator = coordinator;
      const int code = run_rank_reporting(mine);
      std::fflush(stdout);
      std::fflush(stderr);
      ::_exit(code);
    }
    children.push_back(pid);
  }

  // Wait for every rank; once one has exited, the others get a grace of twice options.timeout
  // plus a second to follow (each one's own stall detection fires within options.timeout of
  // its last progress, which may come after the first exit when ranks wait on each other in a
  // chain; the verbs VM test needs that), then are killed. A rank exits 0
  // only after the last barrier, so all are past it then; rank 0 may still simulate the
  // prediction, which has no deadline while no rank failed.
  std::vector<Ending> endings(children.size());
  const auto bounded = [&](std::size_t r) {
    if (r != 0 || options.predict_rate.empty()) return true;
    return std::any_of(endings.begin(), endings.end(),
                       [](const Ending& e) { return e.ended && !e.killed_by_us && failed(e); });
  };
  std::int32_t left = n;
  int exits = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  const std::chrono::milliseconds grace = 2 * options.timeout + std::chrono::seconds(1);
  while (left > 0) {
    // Reap whatever has ended.
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      const auto at = std::find(children.begin(), children.end(), pid);
      if (at == children.end()) continue;
      Ending& e = endings[static_cast<std::size_t>(at - children.begin())];
      if (e.ended) continue;
      e.ended = true;
      e.status = status;
      e.order = exits++;
      --left;
      if (!deadline) deadline = std::chrono::steady_clock::now() + grace;
    }
    if (left == 0) break;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    bool waiting_on_bounded = false;
    for (std::size_t r = 0; r < endings.size(); ++r)
      waiting_on_bounded = waiting_on_bounded || (!endings[r].ended && bounded(r));
    if (!deadline || !waiting_on_bounded) {
      int signal = 0;
      ::sigwait(&set, &signal);
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= *deadline) {
      for (std::size_t r = 0; r < children.size(); ++r) {
        if (endings[r].ended || !bounded(r)) continue;
        ::kill(children[r], SIGKILL);
        int status = 0;
        while (::waitpid(children[r], &status, 0) < 0 && errno == EINTR) {
        }
        endings[r] = {true, status, true, exits++};
        --left;
      }
      continue;
    }
    const auto wait_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(*deadline - now).count();
    timespec wait{};
    wait.tv_sec = static_cast<time_t>(wait_ns / 1'000'000'000);
    wait.tv_nsec = static_cast<long>(wait_ns % 1'000'000'000);
    ::sigtimedwait(&set, nullptr, &wait);  // a child, the deadline, or EINTR: look again
  }

  int failures = 0;
  for (std::size_t r = 0; r < endings.size(); ++r) {
    if (!failed(endings[r])) continue;
    ++failures;
    fmt::print(stderr, "fabricsim-hw: rank {} {}\n", r, describe(endings[r], grace));
  }
  if (failures > 0) {
    const std::int32_t first = first_failure(endings);
    fmt::print(stderr, "fabricsim-hw: {} of {} ranks failed; the first to fail: rank {} ({})\n",
               failures, n, first, describe(endings[static_cast<std::size_t>(first)], grace));
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace fabricsim::hw_app
