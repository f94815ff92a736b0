// All-reduce algorithms built on the in-network group all-reduce (NVLS-like in-switch
// reduction of an NVLink domain): `nvls` (one group of every rank) and `nvls_ring` (the group
// inside each node, a ring per rail across nodes, a ring all-gather inside the node).
#include "workloads/algorithms/common.hpp"

namespace fabricsim::workloads::algorithms {

namespace {

std::vector<std::int32_t> consecutive(std::int32_t first, std::int32_t count) {
  std::vector<std::int32_t> members;
  for (std::int32_t r = first; r < first + count; ++r)
    members.push_back(r);
  return members;
}

}  // namespace

void allreduce_nvls(InstanceBuilder& b, const InstanceSpec& s) {
  const Range region = s.region();
  const std::int32_t n = s.n();
  if (n == 1) {
    b.copy(0, out(region.offset), in(region.offset), region.count);
    return;
  }
  const std::uint32_t group = b.group(consecutive(0, n));
  for (std::int32_t r = 0; r < n; ++r) {
    if (b.keeps(r)) {
      b.group_allreduce(r, group, out(region.offset), in(region.offset), region.count);
    }
  }
}

void allreduce_nvls_ring(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const std::int32_t local = s.request->ranks_per_node;
  const std::int32_t nodes = n / local;
  const Range region = s.region();
  const std::vector<Range> node_chunks = algorithms::node_chunks(s);
  // 1. The in-switch all-reduce inside each node: every rank holds its node's sum.
  if (local > 1) {
    for (std::int32_t k = 0; k < nodes; ++k) {
      const std::uint32_t group = b.group(consecutive(k * local, local));
      for (std::int32_t l = 0; l < local; ++l) {
        const std::int32_t rank = k * local + l;
        if (b.keeps(rank)) {
          b.group_allreduce(rank, group, out(region.offset), in(region.offset), region.count);
        }
      }
    }
  }
  if (nodes == 1) {
    if (local == 1) b.copy(0, out(region.offset), in(region.offset), region.count);
    return;
  }
  // 2. One ring per rail (same local rank on every node) all-reduces that rank's chunk of the
  // node sums across nodes.
  rail_ring_allreduce(b, nodes, local, node_chunks);
  // 3. All-gather inside each node: local rank l hands its globally reduced chunk to the others.
  node_allgather(b, nodes, local, node_chunks);
}

}  // namespace fabricsim::workloads::algorithms
