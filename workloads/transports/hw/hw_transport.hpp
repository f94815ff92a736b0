// The seam between the hardware runner and a real network: a rendezvous among processes
// (Bootstrap) and a Transport whose completions come from polling (HwTransport). The verbs
// and tcp backends implement HwTransport; both are driven by the same Executor as the
// simulator's transport.
//
// Ownership: the runner owns the Bootstrap and the transport; the transport borrows the
// Bootstrap only during construction (to exchange addresses) and never after.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "workloads/transport.hpp"

namespace fabricsim::workloads::hw {

// A failure of the network or of a peer (a dead rank, a timeout, a verbs or socket call
// that failed). The message names the call or the peer and the cause.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Collective set-up among `nranks()` processes before any data moves. Every call is
// collective: each rank must call it, in the same order. Throws TransportError when a peer
// is missing, dead or too slow (the implementation's timeout), never hangs.
class Bootstrap {
 public:
  virtual ~Bootstrap() = default;
  virtual std::int32_t rank() const = 0;
  virtual std::int32_t nranks() const = 0;
  // Every rank contributes `mine` (the same size on every rank); returns all contributions
  // concatenated in rank order.
  virtual std::vector<std::byte> allgather(std::span<const std::byte> mine) = 0;
  virtual void barrier() = 0;
};

// A Transport between processes. Completions are delivered only from progress(), never
// from a post call.
class HwTransport : public Transport {
 public:
  // Makes [data, data + bytes) usable as a source or destination of later posts (verbs
  // registers it with the NIC). Every region posted must lie inside a registered range.
  // The memory must stay valid until the transport is destroyed.
  virtual void register_memory(std::byte* data, std::uint64_t bytes) = 0;
  // Moves data and delivers due completions; returns how many it delivered. Throws
  // TransportError when a peer fails or nothing moved for longer than the timeout while
  // work is outstanding.
  virtual std::size_t progress() = 0;
  // A short name for tables ("verbs", "tcp").
  virtual std::string name() const = 0;
};

}  // namespace fabricsim::workloads::hw
