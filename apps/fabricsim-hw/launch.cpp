// The local launcher: fork one child per rank, wait for all (see launch.hpp).
#include "apps/fabricsim-hw/launch.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
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

}  // namespace

int launch_local(const HwOptions& options) {
  const std::int32_t n = options.launch_local;
  check_collective(options, n);  // a usage error once, not from every rank
  const std::string coordinator = fmt::format("127.0.0.1:{}", free_loopback_port());
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<pid_t> children;
  for (std::int32_t r = 0; r < n; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      fmt::print(stderr, "fabricsim-hw: fork(): {}\n", workloads::hw::errno_text(errno));
      for (const pid_t child : children)
        ::kill(child, SIGTERM);
      return kExitFailure;
    }
    if (pid == 0) {
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
  int failed = 0;
  std::vector<int> statuses(children.size(), 0);
  for (std::size_t r = 0; r < children.size(); ++r) {
    while (::waitpid(children[r], &statuses[r], 0) < 0 && errno == EINTR) {
    }
  }
  for (std::size_t r = 0; r < children.size(); ++r) {
    const int status = statuses[r];
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
    ++failed;
    if (WIFSIGNALED(status)) {
      fmt::print(stderr, "fabricsim-hw: rank {} was killed by signal {} ({})\n", r,
                 WTERMSIG(status), ::strsignal(WTERMSIG(status)));
    } else {
      fmt::print(stderr, "fabricsim-hw: rank {} exited with status {}\n", r, WEXITSTATUS(status));
    }
  }
  if (failed > 0) {
    fmt::print(stderr, "fabricsim-hw: {} of {} ranks failed\n", failed, n);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace fabricsim::hw_app
