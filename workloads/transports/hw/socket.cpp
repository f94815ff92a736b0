// POSIX socket helpers for the tcp bootstrap and transport (see socket.hpp).
#include "workloads/transports/hw/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "workloads/transports/hw/hw_transport.hpp"

namespace fabricsim::workloads::hw {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

int Fd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string SocketAddress::text() const {
  char host[NI_MAXHOST] = {};
  char port[NI_MAXSERV] = {};
  if (::getnameinfo(get(), length, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "(unknown address)";
  }
  if (storage.ss_family == AF_INET6) return std::string("[") + host + "]:" + port;
  return std::string(host) + ":" + port;
}

void SocketAddress::set_port(std::uint16_t port) {
  if (storage.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
  }
}

std::string HostPort::text() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

HostPort parse_host_port(const std::string& text) {
  const auto bad = [&](const char* why) {
    return std::invalid_argument("\"" + text + "\": " + why +
                                 "; expected HOST:PORT (e.g. 127.0.0.1:29500 or [::1]:29500)");
  };
  HostPort result;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw bad("unterminated IPv6 literal");
    }
    result.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) throw bad("no port");
    result.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (result.host.find(':') != std::string::npos) throw bad("IPv6 literals need brackets");
  }
  if (result.host.empty()) throw bad("empty host");
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    throw bad("the port is not a number");
  }
  const unsigned long value = std::stoul(port);
  if (value == 0 || value > 65535) throw bad("the port is not in 1..65535");
  result.port = static_cast<std::uint16_t>(value);
  return result;
}

SocketAddress resolve(const HostPort& where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(where.port);
  const int rc = ::getaddrinfo(where.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    throw TransportError("cannot resolve host \"" + where.host + "\": " + ::gai_strerror(rc));
  }
  SocketAddress address;
  std::memcpy(&address.storage, found->ai_addr, found->ai_addrlen);
  address.length = found->ai_addrlen;
  ::freeaddrinfo(found);
  return address;
}

std::string errno_text(int error) {
  return std::string(std::strerror(error)) + " (errno " + std::to_string(error) + ")";
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    throw TransportError("fcntl(O_NONBLOCK): " + errno_text(errno));
  }
}

void set_nodelay(int fd) {
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) {
    throw TransportError("setsockopt(TCP_NODELAY): " + errno_text(errno));
  }
}

Fd make_tcp_socket(int family) {
  Fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw TransportError("socket(): " + errno_text(errno));
  return fd;
}

SocketAddress local_address(int fd) {
  SocketAddress address;
  address.length = sizeof address.storage;
  if (::getsockname(fd, address.get(), &address.length) < 0) {
    throw TransportError("getsockname(): " + errno_text(errno));
  }
  return address;
}

int ms_until(SteadyClock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, 60'000));
}

namespace {

IoStatus transfer(int fd, std::byte* data, std::size_t bytes, bool sending,
                  SteadyClock::time_point deadline, int& error) {
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = sending ? ::send(fd, data + done, bytes - done, MSG_NOSIGNAL)
                              : ::recv(fd, data + done, bytes - done, 0);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0 && !sending) return IoStatus::kClosed;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      error = errno;
      return (errno == ECONNRESET || errno == EPIPE) ? IoStatus::kClosed : IoStatus::kError;
    }
    pollfd p{fd, static_cast<short>(sending ? POLLOUT : POLLIN), 0};
    const int wait = ms_until(deadline);
    if (wait == 0 && SteadyClock::now() >= deadline) return IoStatus::kTimeout;
    const int rc = ::poll(&p, 1, wait);
    if (rc < 0 && errno != EINTR) {
      error = errno;
      return IoStatus::kError;
    }
  }
  return IoStatus::kOk;
}

}  // namespace

IoStatus send_all(int fd, const void* data, std::size_t bytes, SteadyClock::time_point deadline,
                  int& error) {
  // The buffer is only read; transfer() takes one pointer type for both directions.
  return transfer(fd, const_cast<std::byte*>(static_cast<const std::byte*>(data)), bytes, true,
                  deadline, error);
}

IoStatus recv_all(int fd, void* data, std::size_t bytes, SteadyClock::time_point deadline,
                  int& error) {
  return transfer(fd, static_cast<std::byte*>(data), bytes, false, deadline, error);
}

std::string duration_text(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

}  // namespace fabricsim::workloads::hw
