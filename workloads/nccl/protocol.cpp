// NCCL's protocol and latency constants (see protocol.hpp). Every number is NCCL 2.30.7's
// (github NVIDIA/nccl at 5067397c); validation/nccl_model_facts.md cites each line.
#include "workloads/nccl/protocol.hpp"

#include <cstddef>
#include <stdexcept>

namespace fabricsim::workloads::nccl {

namespace {

constexpr int kLL = 0;
constexpr int kLL128 = 1;
constexpr int kSimple = 2;

int column(Protocol p) {
  switch (p) {
    case Protocol::kLL:
      return kLL;
    case Protocol::kLL128:
      return kLL128;
    default:
      return kSimple;
  }
}

// Rows: tree, ring, NVLS, NVLS tree (CollNet is not modelled). src/graph/tuning.cc:150-155.
constexpr double kBaseLatencyUs[4][3] = {
    {6.8, 14.0, 8.4},  // tree
    {6.6, 14.0, 8.4},  // ring
    {0.0, 0.0, 0.0},   // NVLS
    {0.0, 0.0, 0.0},   // NVLS tree
};
// [NVLink, network][algorithm][protocol]; src/graph/tuning.cc:158-163 (NVLink), 170-175 (NET).
constexpr double kHopLatencyUs[2][4][3] = {
    {{0.6, 1.25, 4.0}, {0.6, 1.9, 3.4}, {0.0, 0.0, 25.0}, {0.0, 0.0, 25.0}},
    {{5.0, 8.5, 14.0}, {2.7, 4.0, 14.0}, {0.0, 0.0, 18.0}, {0.0, 0.0, 20.9}},
};

int row(NcclAlgorithm a) {
  switch (a) {
    case NcclAlgorithm::kTree:
      return 0;
    case NcclAlgorithm::kNvls:
      return 2;
    case NcclAlgorithm::kNvlsTree:
      return 3;
    default:
      return 1;  // ring; p2p sends pay the ring's per-hop costs
  }
}

}  // namespace

Protocol parse_protocol(std::string_view text) {
  if (text == "ideal") return Protocol::kIdeal;
  if (text == "LL" || text == "ll") return Protocol::kLL;
  if (text == "LL128" || text == "ll128") return Protocol::kLL128;
  if (text == "Simple" || text == "simple") return Protocol::kSimple;
  throw std::invalid_argument("unknown protocol '" + std::string(text) +
                              "'; valid: auto, ideal, LL, LL128, Simple");
}

const char* to_string(Protocol p) {
  constexpr const char* kNames[] = {"ideal", "LL", "LL128", "Simple"};  // enum order
  return kNames[static_cast<std::size_t>(p)];
}

const char* to_string(NcclAlgorithm a) {
  constexpr const char* kNames[] = {"Tree", "Ring", "NVLS", "NVLSTree", "P2P"};  // enum order
  return kNames[static_cast<std::size_t>(a)];
}

double base_latency_us(NcclAlgorithm a, Protocol p) {
  if (p == Protocol::kIdeal) return 0.0;
  return kBaseLatencyUs[row(a)][column(p)];
}

double hop_latency_us(HopKind hop, NcclAlgorithm a, Protocol p) {
  if (p == Protocol::kIdeal) return 0.0;
  return kHopLatencyUs[hop == HopKind::kNvlink ? 0 : 1][row(a)][column(p)];
}

double bandwidth_factor(Protocol p) {
  switch (p) {
    case Protocol::kLL:
      // 8 data bytes per 16-byte line (device.h:75-88), and the tuning model's further x0.5
      // on ring LL (tuning.cc:327): a quarter of the channel bandwidth.
      return 4.0;
    case Protocol::kLL128:
      return 128.0 / 120.0;  // 15 of 16 u64 per 128-byte line carry data (device.h:110-112)
    default:
      return 1.0;
  }
}

std::uint64_t step_payload_bytes(Protocol p) {
  switch (p) {
    case Protocol::kLL:
      return 32 * 1024;  // DEFAULT_LL_BUFFSIZE 512 KiB / NCCL_STEPS 8, half of it data
    case Protocol::kLL128:
      return 576'000;  // DEFAULT_LL128_BUFFSIZE 4,915,200 / 8 x 120/128
    case Protocol::kSimple:
      return 1024 * 1024;  // ring all-reduce slice: 2 steps of NCCL_BUFFSIZE 4 MiB / 8
    default:
      return 1024 * 1024;
  }
}

}  // namespace fabricsim::workloads::nccl
