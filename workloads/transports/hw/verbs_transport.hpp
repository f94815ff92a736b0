// The libibverbs backend of HwTransport: one RC queue pair per peer, data moved by RDMA WRITE
// WITH IMMEDIATE into the receiver's buffer after the receiver granted it with a clear-to-send
// (CTS) message, completions polled from one CQ in progress(). See workloads/README.md
// ("The verbs transport") for the protocol.
//
// Ownership: the transport owns every verbs object it creates (device context, PD, CQ, QPs,
// memory registrations) and releases them when destroyed; the caller owns the registered
// buffers and keeps them alive until then.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "workloads/transports/hw/hw_transport.hpp"

namespace fabricsim::workloads::hw {

struct VerbsOptions {
  std::string device;  // e.g. "mlx5_0", "rxe0"; empty: the first device found
  std::uint8_t port = 1;
  // GID table index for RoCE (is_global, sgid_index). -1: automatic (choose_gid_index()).
  int gid_index = -1;
  // No completion for this long while work is outstanding -> TransportError.
  std::chrono::milliseconds timeout{30000};
  // Clear-to-send messages a rank may have outstanding towards one peer (receives it has
  // announced whose data has not arrived). Sizes the receive queues (2 x this); every rank
  // must use the same value. Further receives wait in the transport until one completes.
  std::uint32_t max_outstanding_recvs = 128;
  // Largest single RDMA write; longer messages are split. 0: the port's max_msg_sz.
  std::uint64_t max_message_bytes = 0;
};

// Opens the device, creates one RC queue pair per peer and connects them through
// bootstrap.allgather() (collective: every rank calls it with the same options).
// Throws TransportError when a verbs call fails (naming the call and errno's text), when no
// device or no usable GID is found, or when the ranks' options disagree.
std::unique_ptr<HwTransport> make_verbs_transport(const VerbsOptions& options,
                                                  Bootstrap& bootstrap);

// One entry of a port's GID table, as far as the automatic choice needs it.
struct GidEntry {
  enum class Type : std::uint8_t { kIb, kRoceV1, kRoceV2 };
  std::uint32_t index = 0;
  Type type = Type::kIb;
  std::array<std::uint8_t, 16> gid{};
};

// The automatic GID index: on InfiniBand 0; on Ethernet (RoCE) the first RoCE v2 entry that
// holds an IPv4-mapped address (::ffff:a.b.c.d, routable as UDP/IPv4), else the first RoCE v2
// entry, else the first RoCE v1 entry. Throws TransportError naming the device when an
// Ethernet port has no usable entry.
std::uint32_t choose_gid_index(std::span<const GidEntry> table, bool ethernet,
                               const std::string& device);

// The pieces a message of `bytes` is written in when one write may carry at most `max_bytes`
// (>= 1): ceil(bytes / max_bytes), and 1 for an empty message (a zero-length write with
// immediate still signals the receiver).
inline std::uint64_t message_parts(std::uint64_t bytes, std::uint64_t max_bytes) {
  return bytes == 0 ? 1 : (bytes + max_bytes - 1) / max_bytes;
}

}  // namespace fabricsim::workloads::hw
