// NCCL's three wire protocols (LL, LL128, Simple) and the ideal model, and what each costs a
// collective: payload efficiency, per-hop and base latencies, step sizes. The numbers are
// NCCL's own (its tuning model, src/graph/tuning.cc, and protocol definitions,
// src/include/device.h); validation/nccl_model_facts.md gives file, line and commit for each.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "workloads/types.hpp"

namespace fabricsim::workloads::nccl {

enum class Protocol : std::uint8_t { kIdeal, kLL, kLL128, kSimple };

// "ideal", "LL", "LL128", "Simple" (case as NCCL_PROTO spells them; lower case accepted).
// Throws std::invalid_argument naming the valid ones.
Protocol parse_protocol(std::string_view text);
const char* to_string(Protocol p);

// NCCL's algorithms as its tuner names them.
enum class NcclAlgorithm : std::uint8_t { kTree, kRing, kNvls, kNvlsTree, kP2p };
const char* to_string(NcclAlgorithm a);

// Where a hop runs: NVLink inside a node, or the network between nodes.
enum class HopKind : std::uint8_t { kNvlink, kNet };

// NCCL's base latency of an algorithm with a protocol (us): paid once per collective.
double base_latency_us(NcclAlgorithm a, Protocol p);
// NCCL's latency of one hop of an algorithm with a protocol over NVLink or the network (us).
double hop_latency_us(HopKind hop, NcclAlgorithm a, Protocol p);

// Link time per payload byte, relative to the line rate: LL moves 8 bytes of data in each
// 16-byte line (data + flag), LL128 120 of every 128; NCCL's tuning model gives LL a further
// half of the channel bandwidth (its flag polling), so LL's factor is 4.
double bandwidth_factor(Protocol p);

// The largest message of one pipelined step of the protocol (bytes of payload): NCCL's
// per-step buffer (NCCL_BUFFSIZE / NCCL_STEPS for Simple, the LL and LL128 buffers).
std::uint64_t step_payload_bytes(Protocol p);

}  // namespace fabricsim::workloads::nccl
