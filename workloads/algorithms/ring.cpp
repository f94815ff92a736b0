// Ring algorithms (allreduce, reduce-scatter, all-gather) and the hierarchical allreduce
// built from rings: intra-node reduce-scatter, one inter-node ring per rail, intra-node
// all-gather.
#include <stdexcept>

#include "workloads/algorithms/common.hpp"

namespace fabricsim::workloads::algorithms {

namespace {

DepList with(const std::vector<DepList>& start, std::size_t member, const DepList& extra = {}) {
  DepList deps = start.empty() ? DepList{} : start[member];
  deps.insert(deps.end(), extra.begin(), extra.end());
  return deps;
}

bool same(const Loc& a, const Loc& b) {
  return a.buffer == b.buffer && a.offset == b.offset;
}

}  // namespace

void ring_allreduce(InstanceBuilder& b, const std::vector<std::int32_t>& members,
                    const std::vector<RingChunk>& chunks, const std::vector<DepList>& start) {
  const auto m = static_cast<std::int64_t>(members.size());
  if (m == 1) {
    if (!same(chunks[0].src, chunks[0].dst)) {
      b.copy(members[0], chunks[0].dst, chunks[0].src, chunks[0].count, with(start, 0));
    }
    return;
  }
  for (std::int64_t i = 0; i < m; ++i) {
    const auto pos = static_cast<std::size_t>(i);
    const std::int32_t me = members[pos];
    if (!b.keeps(me)) continue;
    const std::int32_t next = members[static_cast<std::size_t>(mod(i + 1, m))];
    const std::int32_t prev = members[static_cast<std::size_t>(mod(i - 1, m))];
    const RingChunk& first = chunks[static_cast<std::size_t>(mod(i - 1, m))];
    const OpIndex a = b.send(me, next, first.src, first.count, with(start, pos));
    std::vector<OpIndex> rs;
    for (std::int64_t s = 0; s + 1 < m; ++s) {
      const RingChunk& c = chunks[static_cast<std::size_t>(mod(i - s - 2, m))];
      rs.push_back(b.recv_reduce_send(me, prev, next, c.dst, c.src, c.count, with(start, pos)));
    }
    for (std::int64_t t = 0; t + 1 < m; ++t) {
      const RingChunk& c = chunks[static_cast<std::size_t>(mod(i - 1 - t, m))];
      // The chunk is overwritten only after its earlier outgoing send has completed.
      const DepList deps = with(start, pos, {t == 0 ? a : rs[static_cast<std::size_t>(t - 1)]});
      if (t + 2 < m) {
        b.recv_copy_send(me, prev, next, c.dst, c.count, deps);
      } else {
        b.recv(me, prev, c.dst, c.count, deps);
      }
    }
  }
}

void ring_reduce_scatter(InstanceBuilder& b, const std::vector<std::int32_t>& members,
                         const std::vector<RingChunk>& chunks, bool acc_in_dst,
                         const std::vector<DepList>& start) {
  const auto m = static_cast<std::int64_t>(members.size());
  if (m == 1) {
    b.copy(members[0], chunks[0].dst, chunks[0].src, chunks[0].count, with(start, 0));
    return;
  }
  for (std::int64_t i = 0; i < m; ++i) {
    const auto pos = static_cast<std::size_t>(i);
    const std::int32_t me = members[pos];
    if (!b.keeps(me)) continue;
    const std::int32_t next = members[static_cast<std::size_t>(mod(i + 1, m))];
    const std::int32_t prev = members[static_cast<std::size_t>(mod(i - 1, m))];
    const RingChunk& first = chunks[static_cast<std::size_t>(mod(i - 1, m))];
    b.send(me, next, first.src, first.count, with(start, pos));
    for (std::int64_t s = 0; s + 1 < m; ++s) {
      const RingChunk& c = chunks[static_cast<std::size_t>(mod(i - s - 2, m))];
      if (s + 2 < m) {
        const Loc acc = acc_in_dst ? c.dst : b.scratch(me, c.count);
        b.recv_reduce_send(me, prev, next, acc, c.src, c.count, with(start, pos));
      } else {
        b.recv_reduce(me, prev, c.dst, c.src, c.count, with(start, pos));
      }
    }
  }
}

void ring_allgather(InstanceBuilder& b, const std::vector<std::int32_t>& members,
                    const std::vector<RingChunk>& chunks, const std::vector<DepList>& start) {
  const auto m = static_cast<std::int64_t>(members.size());
  for (std::int64_t i = 0; i < m; ++i) {
    const auto pos = static_cast<std::size_t>(i);
    const std::int32_t me = members[pos];
    if (!b.keeps(me)) continue;
    const RingChunk& own = chunks[pos];
    if (!same(own.src, own.dst)) b.copy(me, own.dst, own.src, own.count, with(start, pos));
    if (m == 1) continue;
    const std::int32_t next = members[static_cast<std::size_t>(mod(i + 1, m))];
    const std::int32_t prev = members[static_cast<std::size_t>(mod(i - 1, m))];
    b.send(me, next, own.src, own.count, with(start, pos));
    for (std::int64_t t = 0; t + 1 < m; ++t) {
      const RingChunk& c = chunks[static_cast<std::size_t>(mod(i - 1 - t, m))];
      if (t + 2 < m) {
        b.recv_copy_send(me, prev, next, c.dst, c.count, with(start, pos));
      } else {
        b.recv(me, prev, c.dst, c.count, with(start, pos));
      }
    }
  }
}

std::vector<Range> node_chunks(const InstanceSpec& s) {
  const Range region = s.region();
  const auto local = static_cast<std::uint64_t>(s.request->ranks_per_node);
  std::vector<Range> chunks;
  for (std::uint64_t l = 0; l < local; ++l) {
    const Range c = split_range(region.count, local, l);
    chunks.push_back({region.offset + c.offset, c.count});
  }
  return chunks;
}

void node_reduce_scatter(InstanceBuilder& b, std::int32_t nodes, std::int32_t local,
                         const std::vector<Range>& chunks) {
  if (local <= 1) return;
  std::vector<std::int32_t> members;
  std::vector<RingChunk> ring;
  for (std::int32_t k = 0; k < nodes; ++k) {
    members.clear();
    ring.clear();
    for (std::int32_t l = 0; l < local; ++l) {
      members.push_back(k * local + l);
      const Range& c = chunks[static_cast<std::size_t>(l)];
      ring.push_back({c.count, in(c.offset), out(c.offset)});
    }
    ring_reduce_scatter(b, members, ring, true, {});
  }
}

void rail_ring_allreduce(InstanceBuilder& b, std::int32_t nodes, std::int32_t local,
                         const std::vector<Range>& node_chunks) {
  std::vector<std::int32_t> members;
  std::vector<RingChunk> chunks;
  std::vector<DepList> start;
  for (std::int32_t l = 0; l < local; ++l) {
    const Range& node_chunk = node_chunks[static_cast<std::size_t>(l)];
    members.clear();
    chunks.clear();
    start.clear();
    for (std::int32_t k = 0; k < nodes; ++k) {
      const std::int32_t rank = k * local + l;
      members.push_back(rank);
      start.push_back(b.all_ops(rank));
      const Range c = split_range(node_chunk.count, static_cast<std::uint64_t>(nodes),
                                  static_cast<std::uint64_t>(k));
      const std::uint64_t offset = node_chunk.offset + c.offset;
      chunks.push_back({c.count, local > 1 ? out(offset) : in(offset), out(offset)});
    }
    ring_allreduce(b, members, chunks, start);
  }
}

void node_allgather(InstanceBuilder& b, std::int32_t nodes, std::int32_t local,
                    const std::vector<Range>& chunks, const std::vector<DepList>& after) {
  if (local <= 1) return;
  std::vector<std::int32_t> members;
  std::vector<RingChunk> ring;
  std::vector<DepList> start;
  for (std::int32_t k = 0; k < nodes; ++k) {
    members.clear();
    ring.clear();
    start.clear();
    for (std::int32_t l = 0; l < local; ++l) {
      const std::int32_t rank = k * local + l;
      members.push_back(rank);
      const auto r = static_cast<std::size_t>(rank);
      if (!b.keeps(rank)) {
        start.emplace_back();
      } else {
        start.push_back(r < after.size() && !after[r].empty() ? after[r] : b.all_ops(rank));
      }
      const Range& c = chunks[static_cast<std::size_t>(l)];
      ring.push_back({c.count, out(c.offset), out(c.offset)});
    }
    ring_allgather(b, members, ring, start);
  }
}

namespace {

std::vector<std::int32_t> all_ranks(std::int32_t n) {
  std::vector<std::int32_t> members;
  for (std::int32_t r = 0; r < n; ++r)
    members.push_back(r);
  return members;
}

// The ring of this piece. With rail rings over several nodes of L ranks, channel c's ring
// visits node k's ranks from local rank c % L upwards on even k and downwards from
// (c + L - 1) % L on odd k, so it leaves node k and enters node k + 1 on the same local rank
// (the same rail: no spine hop), and the channels spread the node crossings over every
// rail. With an odd node count the wrap to node 0 crosses rails once.
std::vector<std::int32_t> ring_members(const InstanceSpec& s) {
  const CollectiveRequest& req = *s.request;
  const std::int32_t local = req.ranks_per_node;
  if (!req.rail_rings || local <= 1 || req.nranks % local != 0 || req.nranks == local)
    return all_ranks(s.n());
  const std::int32_t nodes = req.nranks / local;
  const auto first = static_cast<std::int32_t>(s.channel() % static_cast<std::uint32_t>(local));
  std::vector<std::int32_t> members;
  members.reserve(static_cast<std::size_t>(req.nranks));
  for (std::int32_t k = 0; k < nodes; ++k) {
    for (std::int32_t i = 0; i < local; ++i) {
      const std::int32_t l = k % 2 == 0 ? mod(first + i, local) : mod(first + local - 1 - i, local);
      members.push_back(k * local + l);
    }
  }
  return members;
}

}  // namespace

void allreduce_ring(InstanceBuilder& b, const InstanceSpec& s) {
  const Range region = s.region();
  const auto n = static_cast<std::uint64_t>(s.n());
  std::vector<RingChunk> chunks;
  for (std::uint64_t j = 0; j < n; ++j) {
    const Range c = split_range(region.count, n, j);
    chunks.push_back({c.count, in(region.offset + c.offset), out(region.offset + c.offset)});
  }
  ring_allreduce(b, ring_members(s), chunks, {});
}

void reduce_scatter_ring(InstanceBuilder& b, const InstanceSpec& s) {
  // Chunk i of the ring is owned by the rank at ring position i.
  const std::vector<std::int32_t> members = ring_members(s);
  std::vector<RingChunk> chunks;
  for (const std::int32_t owner : members) {
    const ChunkPiece p = s.chunk_piece(owner);
    chunks.push_back({p.count, in(p.global), out(p.local)});
  }
  ring_reduce_scatter(b, members, chunks, false, {});
}

void allgather_ring(InstanceBuilder& b, const InstanceSpec& s) {
  const std::vector<std::int32_t> members = ring_members(s);
  std::vector<RingChunk> chunks;
  for (const std::int32_t owner : members) {
    const ChunkPiece p = s.chunk_piece(owner);
    chunks.push_back({p.count, in(p.local), out(p.global)});
  }
  ring_allgather(b, members, chunks, {});
}

void allreduce_hierarchical(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const std::int32_t local = s.request->ranks_per_node;
  const std::int32_t nodes = n / local;
  const Range region = s.region();
  const std::vector<Range> node_chunks = algorithms::node_chunks(s);
  // 1. Reduce-scatter inside each node: local rank l ends with the node's sum of chunk l.
  node_reduce_scatter(b, nodes, local, node_chunks);
  // 2. One ring per rail (same local rank on every node) allreduces that rank's chunk.
  if (nodes > 1) {
    rail_ring_allreduce(b, nodes, local, node_chunks);
  } else if (local == 1) {
    b.copy(0, out(region.offset), in(region.offset), region.count);
  }
  // 3. All-gather inside each node.
  node_allgather(b, nodes, local, node_chunks);
}

}  // namespace fabricsim::workloads::algorithms
