// Names and parsing of the collective vocabulary.
#include "workloads/types.hpp"

#include <stdexcept>

namespace fabricsim::workloads {

std::uint32_t dtype_size(DataType dtype) {
  switch (dtype) {
    case DataType::kInt32:
    case DataType::kFloat32:
      return 4;
  }
  return 0;
}

std::string_view to_string(CollectiveOp op) {
  switch (op) {
    case CollectiveOp::kAllReduce:
      return "allreduce";
    case CollectiveOp::kReduceScatter:
      return "reduce_scatter";
    case CollectiveOp::kAllGather:
      return "allgather";
    case CollectiveOp::kAllToAll:
      return "alltoall";
    case CollectiveOp::kBroadcast:
      return "broadcast";
    case CollectiveOp::kReduce:
      return "reduce";
    case CollectiveOp::kSendRecv:
      return "sendrecv";
  }
  return "?";
}

std::string_view to_string(DataType dtype) {
  switch (dtype) {
    case DataType::kInt32:
      return "int32";
    case DataType::kFloat32:
      return "float32";
  }
  return "?";
}

std::string_view to_string(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return "sum";
  }
  return "?";
}

std::string_view to_string(BufferId buffer) {
  switch (buffer) {
    case BufferId::kInput:
      return "input";
    case BufferId::kOutput:
      return "output";
    case BufferId::kScratch:
      return "scratch";
  }
  return "?";
}

CollectiveOp parse_collective_op(std::string_view name) {
  std::string valid;
  for (CollectiveOp op : kAllCollectiveOps) {
    if (to_string(op) == name) return op;
    valid += valid.empty() ? "" : ", ";
    valid += to_string(op);
  }
  throw std::invalid_argument("unknown collective op '" + std::string(name) + "'; valid: " + valid);
}

DataType parse_dtype(std::string_view name) {
  if (name == "int32") return DataType::kInt32;
  if (name == "float32") return DataType::kFloat32;
  throw std::invalid_argument("unknown dtype '" + std::string(name) + "'; valid: int32, float32");
}

}  // namespace fabricsim::workloads
