// Small POSIX socket helpers shared by the tcp bootstrap and the tcp transport: an owning file
// descriptor, "host:port" parsing and resolution, non-blocking set-up and errno text. Every
// failure is a TransportError naming the call and the address.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace fabricsim::workloads::hw {

using SteadyClock = std::chrono::steady_clock;

// Owns one file descriptor; closes it on destruction. Movable, not copyable.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset();

 private:
  int fd_ = -1;
};

// A socket address of any family (IPv4 or IPv6) with its length.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  // "127.0.0.1:29500" or "[::1]:29500".
  std::string text() const;
  void set_port(std::uint16_t port);
};

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string text() const;
};

// Parses "HOST:PORT" ("[v6]:PORT" for IPv6 literals); throws std::invalid_argument naming the
// text and the expected form.
HostPort parse_host_port(const std::string& text);

// Resolves a host name or literal (getaddrinfo); the first address found. Throws
// TransportError naming the host when it cannot be resolved.
SocketAddress resolve(const HostPort& where);

// "strerror(errno) (errno N)" for messages.
std::string errno_text(int error);

// A non-blocking, close-on-exec socket of the address's family, TCP.
Fd make_tcp_socket(int family);
void set_nonblocking(int fd);
void set_nodelay(int fd);

// Local address of a bound or connected socket (getsockname).
SocketAddress local_address(int fd);

// Milliseconds left until `deadline` (0 when past), capped for poll().
int ms_until(SteadyClock::time_point deadline);

// Blocking-with-deadline transfers on a non-blocking socket (poll between partial
// transfers), for set-up steps. kError leaves the errno value in `error`.
enum class IoStatus { kOk, kClosed, kTimeout, kError };
IoStatus send_all(int fd, const void* data, std::size_t bytes, SteadyClock::time_point deadline,
                  int& error);
IoStatus recv_all(int fd, void* data, std::size_t bytes, SteadyClock::time_point deadline,
                  int& error);

// "10 s", "250 ms": a timeout for messages.
std::string duration_text(std::chrono::milliseconds timeout);

}  // namespace fabricsim::workloads::hw
