// nccl-tests bandwidth definitions: algbw = bytes / time; busbw = algbw x a factor that makes
// it comparable with the link bandwidth: 2(n-1)/n for all-reduce, (n-1)/n for all-gather,
// reduce-scatter and all-to-all, 1 for broadcast, reduce and send/recv. GB/s = 1e9 B/s.
#pragma once

#include <cstdint>

#include "workloads/types.hpp"

namespace fabricsim::workloads {

inline double busbw_factor(CollectiveOp op, std::int32_t nranks) {
  const double n = nranks;
  switch (op) {
    case CollectiveOp::kAllReduce:
      return 2.0 * (n - 1.0) / n;
    case CollectiveOp::kReduceScatter:
    case CollectiveOp::kAllGather:
    case CollectiveOp::kAllToAll:
      return (n - 1.0) / n;
    case CollectiveOp::kBroadcast:
    case CollectiveOp::kReduce:
    case CollectiveOp::kSendRecv:
      return 1.0;
  }
  return 1.0;
}

// bytes: the collective's size as nccl-tests counts it (collective_bytes()).
inline double algbw_GBps(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e9 : 0.0;
}

inline double busbw_GBps(CollectiveOp op, std::int32_t nranks, std::uint64_t bytes,
                         double seconds) {
  return algbw_GBps(bytes, seconds) * busbw_factor(op, nranks);
}

}  // namespace fabricsim::workloads
