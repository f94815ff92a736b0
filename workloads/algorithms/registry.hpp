// The algorithm registry: a CollectiveRequest names an op and an algorithm; generate() turns
// it into a Schedule. list_algorithms() tells which algorithms exist for an op.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "workloads/schedule.hpp"

namespace fabricsim::workloads {

struct CollectiveRequest {
  CollectiveOp op = CollectiveOp::kAllReduce;
  std::string algorithm = "ring";
  std::int32_t nranks = 1;
  std::uint64_t count = 0;  // elements; meaning per op as in buffer_counts()
  DataType dtype = DataType::kFloat32;
  ReduceOp reduce_op = ReduceOp::kSum;
  std::uint32_t channels = 1;       // parallel streams, each with its own tags
  std::uint64_t slice_bytes = 0;    // largest message before pipelining in slices; 0: none
  std::int32_t ranks_per_node = 1;  // hierarchical algorithms: ranks sharing a node
  std::int32_t root = 0;            // broadcast / reduce
  // Flat rings over several nodes of ranks_per_node ranks follow the rails, as NCCL's rings
  // do: ring c enters and leaves every node on the same local rank (the same NIC), a
  // different one per channel (see ring.cpp). Off: rings in rank order.
  bool rail_rings = false;
  // generate() and generate_rank() refuse (ScheduleTooLarge) a request whose
  // estimate_schedule_bytes() exceeds this; 0: no limit. Callers pass the process's budget
  // (sim::memory_limit_bytes()).
  std::uint64_t memory_limit_bytes = 0;
  // Memory each op takes besides the schedule, counted in the estimate: a caller that turns
  // the schedule into JSON sets kJsonBytesPerOp.
  std::uint64_t extra_bytes_per_op = 0;
};
// An op as an nlohmann::json object (a tree node per field) and its indented text: measured as
// the peak RSS of `fabricsim schedule --ranks N --size 4MiB` above that of 2 ranks, divided by
// the ops: 3,398 B for 128 ranks (32,640 ops), 3,401 B for 256 (130,816 ops), the schedule's own
// ~80 B included.
inline constexpr std::uint64_t kJsonBytesPerOp = 3300;

// Throws std::invalid_argument for an unknown op/algorithm pair (listing the valid ones) or
// bad parameters (nranks < 1, root out of range, channels 0, ranks_per_node not dividing).
Schedule generate(const CollectiveRequest& request);

// The same Schedule with only `rank`'s program filled in (every other RankProgram has its
// input/output sizes but no ops): what one process driving one rank needs, in O(its ops) memory.
// Not valid for validate() (its peers' halves are missing); its program equals the one in
// generate(request).
Schedule generate_rank(const CollectiveRequest& request, std::int32_t rank);

// The instances (channels x slices per channel) a Schedule of `request` is built from, at no
// cost: each holds O(nranks) operations of each rank, so callers can bound what they would
// generate. 0 for an unknown op/algorithm pair.
std::uint64_t count_instances(const CollectiveRequest& request);

// An upper bound of the ops one rank emits in one instance, from how the algorithm grows with
// the ranks (constant, log2, linear, n log n, per node and across nodes) times the ops of a
// step (3; 5 for the direct all-reduce), checked against every algorithm's real schedules by
// test_workloads (the largest ratio found per step: 4.8 direct all-reduce, 2.9 direct
// reduce-scatter, at most 2.7 for the others). An upper bound, not a fit: the 131,072-rank
// hierarchical_tree all-reduce is estimated at 3.2 GiB where it takes about 1 GiB.
std::uint64_t ops_per_rank_bound(const CollectiveRequest& request);
// The memory generate() (or generate_rank(), one_rank) would take, from the request alone:
// instances x ranks x (a program each + ops_per_rank_bound ops). generate() and
// generate_rank() refuse a request above its memory_limit_bytes with ScheduleTooLarge.
class ScheduleTooLarge : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
std::uint64_t estimate_schedule_bytes(const CollectiveRequest& request, bool one_rank = false);

std::vector<std::string> list_algorithms(CollectiveOp op);

// A variant: an existing algorithm's Schedule, rewritten by `transform` (which must keep it
// valid for validate()). For experiments and for tests that need a deliberately slower or
// broken algorithm (the regression gate's). generate() and generate_rank() of `name` run the
// base algorithm, set Schedule::algorithm to `name` and apply the transform to the whole
// schedule. Registering an existing name replaces that variant; a built-in name is an error
// (std::invalid_argument). Not thread-safe: register before generating concurrently.
using ScheduleTransform = void (*)(Schedule&);
void register_variant(CollectiveOp op, const std::string& name, const std::string& base,
                      const std::string& description, ScheduleTransform transform);

// One line describing an algorithm (for --help and the README); empty if unknown.
std::string describe_algorithm(CollectiveOp op, const std::string& algorithm);

}  // namespace fabricsim::workloads
