// Bootstrap over TCP: rank 0 listens on the coordinator address, every other rank connects to
// it (retrying until the timeout) and says which rank it is; allgather and barrier go through
// rank 0 (a star). Every blocking step has a deadline and fails with a TransportError naming
// the peer and the step, never a hang. When rank 0 fails a step it first tells every
// connected rank why, so their errors name the real cause (the dead or missing rank).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "workloads/transports/hw/hw_transport.hpp"
#include "workloads/transports/hw/socket.hpp"

namespace fabricsim::workloads::hw {

struct TcpBootstrapOptions {
  std::int32_t rank = 0;
  std::int32_t nranks = 1;
  HostPort coordinator;                       // rank 0 listens here; others connect
  std::chrono::milliseconds timeout{30'000};  // per blocking step
};

class TcpBootstrap final : public Bootstrap {
 public:
  // Connects every rank (rank 0: accepts nranks-1 connections). Throws TransportError (a rank
  // that did not connect in time, a bad greeting, a coordinator that cannot be reached) and
  // std::invalid_argument for a bad rank/nranks.
  explicit TcpBootstrap(const TcpBootstrapOptions& options);
  ~TcpBootstrap() override;
  TcpBootstrap(const TcpBootstrap&) = delete;
  TcpBootstrap& operator=(const TcpBootstrap&) = delete;

  std::int32_t rank() const override { return options_.rank; }
  std::int32_t nranks() const override { return options_.nranks; }
  std::vector<std::byte> allgather(std::span<const std::byte> mine) override;
  void barrier() override;

  // The address peers can reach this process at (port 0): rank 0 the coordinator's listening
  // address, any other rank the local end of its connection to rank 0 (the interface that
  // routes to the coordinator). What the tcp transport binds its listener to.
  SocketAddress reachable_address() const { return reachable_; }
  std::chrono::milliseconds timeout() const { return options_.timeout; }

 private:
  struct Frame;
  void accept_all();
  void connect_to_coordinator();
  std::vector<std::byte> gather_at_root(std::span<const std::byte> mine, const char* step);
  std::vector<std::byte> gather_at_leaf(std::span<const std::byte> mine, const char* step);
  [[noreturn]] void fail_root(const std::string& message);

  TcpBootstrapOptions options_;
  SocketAddress reachable_;
  std::vector<Fd> peers_;  // rank 0: index r is rank r (0 unused); others: [0] is rank 0
  std::uint32_t step_ = 0;
};

}  // namespace fabricsim::workloads::hw
