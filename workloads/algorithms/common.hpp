// Shared by the algorithm files: what one instance (one piece of the data on one channel)
// covers, and the builders of each family. Internal to workloads/algorithms.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/algorithms/registry.hpp"
#include "workloads/builder.hpp"

namespace fabricsim::workloads::algorithms {

// A piece of one rank's chunk: where it lies in the full vector and inside the chunk.
struct ChunkPiece {
  std::uint64_t global = 0;  // offset in the full vector (reduce_scatter input, allgather output)
  std::uint64_t local = 0;   // offset in the rank's own chunk (its RS output / AG input)
  std::uint64_t count = 0;
};

struct InstanceSpec {
  const CollectiveRequest* request = nullptr;
  std::uint32_t piece = 0;   // this instance's piece ...
  std::uint32_t pieces = 1;  // ... of this many (channels x slices)

  std::int32_t n() const { return request->nranks; }
  // The channel of this piece (pieces are channel-major: channels x slices).
  std::uint32_t channel() const { return piece / (pieces / request->channels); }
  // The piece of a whole-vector buffer (allreduce, broadcast, ...).
  Range region() const { return split_range(request->count, pieces, piece); }
  // The piece of rank `owner`'s chunk (reduce_scatter / allgather).
  ChunkPiece chunk_piece(std::int32_t owner) const {
    const Range chunk = input_chunk(request->count, request->nranks, owner);
    const Range sub = split_range(chunk.count, pieces, piece);
    return ChunkPiece{chunk.offset + sub.offset, sub.offset, sub.count};
  }
};

inline Loc in(std::uint64_t offset) {
  return Loc{BufferId::kInput, offset};
}
inline Loc out(std::uint64_t offset) {
  return Loc{BufferId::kOutput, offset};
}
inline std::int32_t mod(std::int64_t x, std::int64_t m) {
  return static_cast<std::int32_t>(((x % m) + m) % m);
}

// Ring building blocks. Chunk j is owned by members[j] at the end of a reduce-scatter and is
// the one members[j] contributes in an all-gather. start[i]: deps of member i's ops (may be
// empty vector = none).
struct RingChunk {
  std::uint64_t count = 0;
  Loc src;  // where every member's own contribution to chunk j lies
  Loc dst;  // where chunk j's result goes
};
void ring_allreduce(InstanceBuilder& b, const std::vector<std::int32_t>& members,
                    const std::vector<RingChunk>& chunks, const std::vector<DepList>& start);
// acc_in_dst: partial sums go to dst (a full-size buffer) instead of scratch.
void ring_reduce_scatter(InstanceBuilder& b, const std::vector<std::int32_t>& members,
                         const std::vector<RingChunk>& chunks, bool acc_in_dst,
                         const std::vector<DepList>& start);
void ring_allgather(InstanceBuilder& b, const std::vector<std::int32_t>& members,
                    const std::vector<RingChunk>& chunks, const std::vector<DepList>& start);

// The in-node phases the hierarchical algorithms share, on nodes of `local` consecutive ranks.
// The instance's region split into one chunk per local rank.
std::vector<Range> node_chunks(const InstanceSpec& s);
// Ring reduce-scatter inside each node: local rank l ends with its node's sum of chunk l in
// its output buffer. Nothing when local == 1.
void node_reduce_scatter(InstanceBuilder& b, std::int32_t nodes, std::int32_t local,
                         const std::vector<Range>& chunks);
// One ring per rail (local rank l on every node) all-reduces chunk l across the nodes, after
// all of each rank's earlier ops; from the input when local == 1, else in the output.
void rail_ring_allreduce(InstanceBuilder& b, std::int32_t nodes, std::int32_t local,
                         const std::vector<Range>& chunks);
// Ring all-gather inside each node of chunk l, held in local rank l's output. A rank starts
// after after[rank] when `after` has a non-empty entry for it, else after all its earlier ops.
// Nothing when local == 1.
void node_allgather(InstanceBuilder& b, std::int32_t nodes, std::int32_t local,
                    const std::vector<Range>& chunks, const std::vector<DepList>& after = {});

// One builder per (op, algorithm).
void allreduce_ring(InstanceBuilder& b, const InstanceSpec& s);
void allreduce_hierarchical(InstanceBuilder& b, const InstanceSpec& s);
void reduce_scatter_ring(InstanceBuilder& b, const InstanceSpec& s);
void allgather_ring(InstanceBuilder& b, const InstanceSpec& s);

void allreduce_double_binary_tree(InstanceBuilder& b, const InstanceSpec& s);
void allreduce_hierarchical_tree(InstanceBuilder& b, const InstanceSpec& s);
void broadcast_chain(InstanceBuilder& b, const InstanceSpec& s);
void broadcast_binomial(InstanceBuilder& b, const InstanceSpec& s);
void reduce_chain(InstanceBuilder& b, const InstanceSpec& s);
void reduce_binomial(InstanceBuilder& b, const InstanceSpec& s);

void allreduce_halving_doubling(InstanceBuilder& b, const InstanceSpec& s);
void reduce_scatter_halving(InstanceBuilder& b, const InstanceSpec& s);
void allgather_doubling(InstanceBuilder& b, const InstanceSpec& s);

void allreduce_direct(InstanceBuilder& b, const InstanceSpec& s);
void allreduce_nvls(InstanceBuilder& b, const InstanceSpec& s);
void allreduce_nvls_ring(InstanceBuilder& b, const InstanceSpec& s);
void reduce_scatter_direct(InstanceBuilder& b, const InstanceSpec& s);
void allgather_direct(InstanceBuilder& b, const InstanceSpec& s);
void sendrecv_direct(InstanceBuilder& b, const InstanceSpec& s);

void alltoall_direct(InstanceBuilder& b, const InstanceSpec& s);
void alltoall_pairwise(InstanceBuilder& b, const InstanceSpec& s);
void alltoall_bruck(InstanceBuilder& b, const InstanceSpec& s);

// Binary trees for the double binary tree: parent (-1 for the root) and up to two children.
struct BinaryTree {
  std::int32_t root = 0;
  std::vector<std::int32_t> parent;
  std::vector<std::vector<std::int32_t>> children;
};
// tree_index 0: in-order tree over ranks; 1: its complement (mirrored for even n, shifted by
// one for odd n) so that leaves of one are inner nodes of the other.
BinaryTree make_double_binary_tree(std::int32_t nranks, int tree_index);
// All-reduce of `count` elements at src (result at dst; may alias src) over `tree`, whose
// position x is rank members[x] (members empty: position = rank). start[x]: deps of member
// x's first ops (empty vector = none).
// Returns, per position, the op after which the result is in dst (it depends, transitively,
// on every earlier op of that member in the tree, and so on its `start`).
std::vector<OpIndex> tree_allreduce(InstanceBuilder& b, const BinaryTree& tree,
                                    const std::vector<std::int32_t>& members, Loc src, Loc dst,
                                    std::uint64_t count, const std::vector<DepList>& start);

}  // namespace fabricsim::workloads::algorithms
