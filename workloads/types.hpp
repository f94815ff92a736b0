// Vocabulary of the collective library: which collective, element type, reduction, buffers.
// Pure enums and small helpers; shared by the Schedule IR, the algorithms and the transports.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fabricsim::workloads {

enum class CollectiveOp : std::uint8_t {
  kAllReduce,
  kReduceScatter,
  kAllGather,
  kAllToAll,
  kBroadcast,
  kReduce,
  kSendRecv,
};
inline constexpr CollectiveOp kAllCollectiveOps[] = {
    CollectiveOp::kAllReduce, CollectiveOp::kReduceScatter, CollectiveOp::kAllGather,
    CollectiveOp::kAllToAll,  CollectiveOp::kBroadcast,     CollectiveOp::kReduce,
    CollectiveOp::kSendRecv};

enum class DataType : std::uint8_t { kInt32, kFloat32 };
enum class ReduceOp : std::uint8_t { kSum };

// The three memory areas an op can address. Sizes per rank are in RankProgram.
enum class BufferId : std::uint8_t { kInput, kOutput, kScratch };

std::uint32_t dtype_size(DataType dtype);

// Names as written in JSON and on the command line ("allreduce", "float32", "sum").
std::string_view to_string(CollectiveOp op);
std::string_view to_string(DataType dtype);
std::string_view to_string(ReduceOp op);
std::string_view to_string(BufferId buffer);
// Parsers throw std::invalid_argument naming the bad value and the valid ones.
CollectiveOp parse_collective_op(std::string_view name);
DataType parse_dtype(std::string_view name);

// A contiguous element range [offset, offset + count).
struct Range {
  std::uint64_t offset = 0;
  std::uint64_t count = 0;
  std::uint64_t end() const { return offset + count; }
};

// Splits `total` elements into `parts` near-equal contiguous parts (the first total % parts
// get one more) and returns part `index`. Parts may be empty.
inline Range split_range(std::uint64_t total, std::uint64_t parts, std::uint64_t index) {
  const std::uint64_t base = total / parts;
  const std::uint64_t extra = total % parts;
  const std::uint64_t offset = index * base + (index < extra ? index : extra);
  return Range{offset, base + (index < extra ? 1 : 0)};
}

}  // namespace fabricsim::workloads
