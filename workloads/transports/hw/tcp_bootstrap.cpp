// Bootstrap over TCP through a star at rank 0 (see tcp_bootstrap.hpp). Frames carry a fixed
// header (magic, kind, step, rank, payload bytes) in native byte order: the ranks of one job
// run the same binary on one kind of host.
#include "workloads/transports/hw/tcp_bootstrap.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace fabricsim::workloads::hw {

namespace {

constexpr std::uint32_t kMagic = 0x46534857;  // "FSHW"

enum class Kind : std::uint32_t { kHello = 1, kWelcome = 2, kData = 3, kError = 4 };

struct Header {
  std::uint32_t magic = kMagic;
  Kind kind = Kind::kData;
  std::uint32_t step = 0;
  std::int32_t rank = 0;
  std::uint64_t bytes = 0;
};

// Errors rank 0 reports to the others are short texts; anything longer is a corrupt frame.
constexpr std::uint64_t kMaxErrorBytes = 4096;

std::string rank_text(std::int32_t rank) {
  return rank == 0 ? std::string("rank 0 (the coordinator)") : "rank " + std::to_string(rank);
}

}  // namespace

struct TcpBootstrap::Frame {
  Header header;
  std::vector<std::byte> payload;
};

TcpBootstrap::TcpBootstrap(const TcpBootstrapOptions& options) : options_(options) {
  if (options.nranks < 1) throw std::invalid_argument("nranks must be at least 1");
  if (options.rank < 0 || options.rank >= options.nranks) {
    throw std::invalid_argument("rank " + std::to_string(options.rank) + " is not in 0.." +
                                std::to_string(options.nranks - 1));
  }
  if (options.timeout.count() <= 0) throw std::invalid_argument("the timeout must be positive");
  if (options.rank == 0) {
    accept_all();
  } else {
    connect_to_coordinator();
  }
}

TcpBootstrap::~TcpBootstrap() = default;

void TcpBootstrap::accept_all() {
  const SocketAddress where = resolve(options_.coordinator);
  Fd listener = make_tcp_socket(where.storage.ss_family);
  const int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listener.get(), where.get(), where.length) < 0) {
    throw TransportError("rank 0 cannot listen on " + options_.coordinator.text() +
                         ": bind(): " + errno_text(errno));
  }
  if (::listen(listener.get(), options_.nranks) < 0) {
    throw TransportError("rank 0: listen() on " + options_.coordinator.text() + ": " +
                         errno_text(errno));
  }
  reachable_ = local_address(listener.get());
  reachable_.set_port(0);
  peers_.resize(static_cast<std::size_t>(options_.nranks));
  std::int32_t connected = 1;
  const auto deadline = SteadyClock::now() + options_.timeout;
  while (connected < options_.nranks) {
    pollfd p{listener.get(), POLLIN, 0};
    const int rc = ::poll(&p, 1, ms_until(deadline));
    if (rc < 0 && errno != EINTR) throw TransportError("rank 0: poll(): " + errno_text(errno));
    if (rc <= 0) {
      if (SteadyClock::now() < deadline) continue;
      std::string missing;
      std::int32_t count = 0;
      for (std::int32_t r = 1; r < options_.nranks; ++r) {
        if (peers_[static_cast<std::size_t>(r)].valid()) continue;
        missing += (count++ == 0 ? "" : ", ") + std::to_string(r);
      }
      fail_root((count == 1 ? "rank " : "ranks ") + missing + " did not connect to " +
                options_.coordinator.text() + " within " + duration_text(options_.timeout));
    }
    Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!conn.valid()) {
      if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) continue;
      fail_root("rank 0: accept() on " + options_.coordinator.text() + ": " + errno_text(errno));
    }
    Header hello;
    int error = 0;
    const IoStatus status = recv_all(conn.get(), &hello, sizeof hello, deadline, error);
    if (status != IoStatus::kOk || hello.magic != kMagic || hello.kind != Kind::kHello) {
      // Not one of ours (a port scanner, another job): ignore it and keep waiting.
      continue;
    }
    const std::int32_t r = hello.rank;
    if (hello.bytes != static_cast<std::uint64_t>(options_.nranks)) {
      fail_root("rank " + std::to_string(r) + " was started with --nranks " +
                std::to_string(hello.bytes) + ", rank 0 with " + std::to_string(options_.nranks));
    }
    if (r <= 0 || r >= options_.nranks) {
      fail_root("a process connected as rank " + std::to_string(r) + ", expected 1.." +
                std::to_string(options_.nranks - 1));
    }
    if (peers_[static_cast<std::size_t>(r)].valid()) {
      fail_root("two processes connected as rank " + std::to_string(r));
    }
    set_nodelay(conn.get());  // small frames: no Nagle delay
    peers_[static_cast<std::size_t>(r)] = std::move(conn);
    ++connected;
  }
  // Everyone is here: the welcome releases the other ranks from start-up.
  for (std::int32_t r = 1; r < options_.nranks; ++r) {
    Header welcome;
    welcome.kind = Kind::kWelcome;
    int error = 0;
    const auto fd = peers_[static_cast<std::size_t>(r)].get();
    if (send_all(fd, &welcome, sizeof welcome, deadline, error) != IoStatus::kOk) {
      fail_root("rank " + std::to_string(r) + " closed the connection during start-up");
    }
  }
}

void TcpBootstrap::connect_to_coordinator() {
  const SocketAddress where = resolve(options_.coordinator);
  const auto deadline = SteadyClock::now() + options_.timeout;
  const std::string me = "rank " + std::to_string(options_.rank);
  std::string last_error = "no attempt";
  Fd conn;
  while (!conn.valid()) {
    Fd attempt = make_tcp_socket(where.storage.ss_family);
    int error = 0;
    if (::connect(attempt.get(), where.get(), where.length) == 0) {
      conn = std::move(attempt);
      break;
    }
    error = errno;
    if (error == EINPROGRESS) {
      pollfd p{attempt.get(), POLLOUT, 0};
      if (::poll(&p, 1, ms_until(deadline)) > 0) {
        socklen_t length = sizeof error;
        ::getsockopt(attempt.get(), SOL_SOCKET, SO_ERROR, &error, &length);
        if (error == 0) {
          conn = std::move(attempt);
          break;
        }
      } else {
        error = ETIMEDOUT;
      }
    }
    last_error = errno_text(error);
    if (SteadyClock::now() >= deadline) {
      throw TransportError(me + " could not connect to the coordinator " +
                           options_.coordinator.text() + " within " +
                           duration_text(options_.timeout) + " (last error: " + last_error + ")");
    }
    // The coordinator may not be listening yet: try again shortly.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  reachable_ = local_address(conn.get());
  reachable_.set_port(0);
  Header hello;
  hello.kind = Kind::kHello;
  hello.rank = options_.rank;
  hello.bytes = static_cast<std::uint64_t>(options_.nranks);
  int error = 0;
  if (send_all(conn.get(), &hello, sizeof hello, deadline, error) != IoStatus::kOk) {
    throw TransportError(me + ": the coordinator " + options_.coordinator.text() +
                         " closed the connection during start-up");
  }
  set_nodelay(conn.get());
  peers_.push_back(std::move(conn));
  // Rank 0 waits for every rank for up to the timeout, so wait a little longer than that for
  // its welcome (or its report of who is missing).
  Frame welcome;
  const auto wait_until = SteadyClock::now() + options_.timeout + std::chrono::seconds(2);
  const IoStatus status =
      recv_all(peers_[0].get(), &welcome.header, sizeof welcome.header, wait_until, error);
  if (status == IoStatus::kTimeout) {
    throw TransportError(me + ": rank 0 (the coordinator) did not confirm the start within " +
                         duration_text(options_.timeout));
  }
  if (status != IoStatus::kOk) {
    throw TransportError(me + ": rank 0 (the coordinator) closed the connection during start-up");
  }
  if (welcome.header.kind == Kind::kError && welcome.header.bytes <= kMaxErrorBytes) {
    std::string text(welcome.header.bytes, '\0');
    recv_all(peers_[0].get(), text.data(), text.size(), wait_until, error);
    throw TransportError(text + " (reported by rank 0)");
  }
  if (welcome.header.magic != kMagic || welcome.header.kind != Kind::kWelcome) {
    throw TransportError(me + ": unexpected answer from the coordinator during start-up");
  }
}

void TcpBootstrap::fail_root(const std::string& message) {
  // Best effort, briefly: tell every connected rank why the job stops.
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(500);
  for (std::size_t r = 1; r < peers_.size(); ++r) {
    if (!peers_[r].valid()) continue;
    Header header;
    header.kind = Kind::kError;
    header.step = step_;
    header.bytes = message.size();
    int error = 0;
    if (send_all(peers_[r].get(), &header, sizeof header, deadline, error) == IoStatus::kOk) {
      send_all(peers_[r].get(), message.data(), message.size(), deadline, error);
    }
    peers_[r].reset();
  }
  throw TransportError(message);
}

std::vector<std::byte> TcpBootstrap::allgather(std::span<const std::byte> mine) {
  ++step_;
  if (options_.nranks == 1) return {mine.begin(), mine.end()};
  return options_.rank == 0 ? gather_at_root(mine, "allgather") : gather_at_leaf(mine, "allgather");
}

void TcpBootstrap::barrier() {
  ++step_;
  if (options_.nranks == 1) return;
  options_.rank == 0 ? void(gather_at_root({}, "barrier")) : void(gather_at_leaf({}, "barrier"));
}

std::vector<std::byte> TcpBootstrap::gather_at_root(std::span<const std::byte> mine,
                                                    const char* step) {
  const auto n = static_cast<std::size_t>(options_.nranks);
  std::vector<std::byte> all(mine.size() * n);
  std::copy(mine.begin(), mine.end(), all.begin());
  const auto deadline = SteadyClock::now() + options_.timeout;
  const std::string during = std::string(" during ") + step;
  // Collect from whichever rank is ready first, so a closed connection is reported as soon as
  // it is seen rather than after a slower rank.
  std::vector<bool> have(n, false);
  std::size_t pending = n - 1;
  std::vector<pollfd> fds;
  while (pending > 0) {
    fds.clear();
    for (std::size_t r = 1; r < n; ++r) {
      if (!have[r]) fds.push_back({peers_[r].get(), POLLIN, 0});
    }
    const int rc = ::poll(fds.data(), fds.size(), ms_until(deadline));
    if (rc < 0 && errno != EINTR) fail_root("rank 0: poll(): " + errno_text(errno));
    if (rc <= 0) {
      if (SteadyClock::now() < deadline) continue;
      for (std::size_t r = 1; r < n; ++r) {
        if (!have[r]) {
          fail_root("rank " + std::to_string(r) + " did not answer within " +
                    duration_text(options_.timeout) + during);
        }
      }
    }
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      std::size_t r = 1;
      while (peers_[r].get() != p.fd)
        ++r;
      Header header;
      int error = 0;
      IoStatus status = recv_all(p.fd, &header, sizeof header, deadline, error);
      if (status == IoStatus::kOk && header.magic == kMagic && header.kind == Kind::kData &&
          header.step == step_ && header.bytes == mine.size()) {
        status = recv_all(p.fd, all.data() + r * mine.size(), mine.size(), deadline, error);
      } else if (status == IoStatus::kOk) {
        fail_root("rank " + std::to_string(r) + " is out of step" + during + " (sent " +
                  std::to_string(header.bytes) + " bytes for step " + std::to_string(header.step) +
                  ", expected " + std::to_string(mine.size()) + " for step " +
                  std::to_string(step_) + ")");
      }
      if (status == IoStatus::kClosed) {
        peers_[r].reset();
        fail_root("rank " + std::to_string(r) + " closed the connection" + during);
      }
      if (status == IoStatus::kTimeout) {
        fail_root("rank " + std::to_string(r) + " did not answer within " +
                  duration_text(options_.timeout) + during);
      }
      if (status == IoStatus::kError) {
        fail_root("rank 0: receiving from rank " + std::to_string(r) + during + ": " +
                  errno_text(error));
      }
      have[r] = true;
      --pending;
    }
  }
  for (std::size_t r = 1; r < n; ++r) {
    Header header;
    header.step = step_;
    header.bytes = all.size();
    int error = 0;
    IoStatus status = send_all(peers_[r].get(), &header, sizeof header, deadline, error);
    if (status == IoStatus::kOk) {
      status = send_all(peers_[r].get(), all.data(), all.size(), deadline, error);
    }
    if (status != IoStatus::kOk) {
      peers_[r].reset();
      fail_root("rank " + std::to_string(r) + " closed the connection" + during);
    }
  }
  return all;
}

std::vector<std::byte> TcpBootstrap::gather_at_leaf(std::span<const std::byte> mine,
                                                    const char* step) {
  const int fd = peers_[0].get();
  const std::string me = "rank " + std::to_string(options_.rank);
  const std::string during = std::string(" during ") + step;
  if (fd < 0) throw TransportError(me + ": the connection to rank 0 is closed");
  Header header;
  header.step = step_;
  header.rank = options_.rank;
  header.bytes = mine.size();
  int error = 0;
  auto deadline = SteadyClock::now() + options_.timeout;
  IoStatus status = send_all(fd, &header, sizeof header, deadline, error);
  if (status == IoStatus::kOk) status = send_all(fd, mine.data(), mine.size(), deadline, error);
  // Rank 0 answers when the slowest rank has contributed (it gives up after its timeout and
  // then says why): wait a little longer than that.
  deadline = SteadyClock::now() + options_.timeout + std::chrono::seconds(2);
  if (status == IoStatus::kOk) status = recv_all(fd, &header, sizeof header, deadline, error);
  if (status == IoStatus::kOk && header.magic == kMagic && header.kind == Kind::kError &&
      header.bytes <= kMaxErrorBytes) {
    std::string text(header.bytes, '\0');
    recv_all(fd, text.data(), text.size(), deadline, error);
    peers_[0].reset();
    throw TransportError(text + " (reported by rank 0)");
  }
  const auto n = static_cast<std::size_t>(options_.nranks);
  std::vector<std::byte> all;
  if (status == IoStatus::kOk) {
    if (header.magic != kMagic || header.kind != Kind::kData || header.step != step_ ||
        header.bytes != mine.size() * n) {
      throw TransportError(me + ": rank 0 (the coordinator) answered out of step" + during);
    }
    all.resize(mine.size() * n);
    status = recv_all(fd, all.data(), all.size(), deadline, error);
  }
  switch (status) {
    case IoStatus::kOk:
      return all;
    case IoStatus::kClosed:
      peers_[0].reset();
      throw TransportError(me + ": " + rank_text(0) + " closed the connection" + during);
    case IoStatus::kTimeout:
      throw TransportError(me + ": " + rank_text(0) + " did not answer within " +
                           duration_text(options_.timeout) + during);
    case IoStatus::kError:
      break;
  }
  throw TransportError(me + ": talking to rank 0" + during + ": " + errno_text(error));
}

}  // namespace fabricsim::workloads::hw
