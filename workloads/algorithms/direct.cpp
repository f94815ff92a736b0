// Direct (one-shot) algorithms: every rank talks to every other rank at once. Latency-optimal
// for small messages on a non-blocking fabric; n-1 messages per rank per phase. Also the
// point-to-point sendrecv used by pipeline parallelism.
#include "workloads/algorithms/common.hpp"

namespace fabricsim::workloads::algorithms {

namespace {

// Receives the n-1 contributions to `own` (count elements) and sums them with the local one
// at `local_src` into `dst`. Returns the last reduction (or the copy when n == 1).
OpIndex gather_and_reduce(InstanceBuilder& b, std::int32_t rank, std::int32_t n, Loc local_src,
                          Loc dst, std::uint64_t count) {
  if (n == 1) return b.copy(rank, dst, local_src, count);
  std::vector<OpIndex> recvs;
  std::vector<Loc> stages;
  for (std::int32_t k = 1; k < n; ++k) {
    stages.push_back(b.scratch(rank, count));
    recvs.push_back(b.recv(rank, (rank - k + n) % n, stages.back(), count));
  }
  OpIndex last = b.reduce(rank, dst, local_src, stages[0], count, {recvs[0]});
  for (std::size_t k = 1; k < recvs.size(); ++k) {
    last = b.reduce(rank, dst, dst, stages[k], count, {last, recvs[k]});
  }
  return last;
}

}  // namespace

void allreduce_direct(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const Range region = s.region();
  auto chunk = [&](std::int32_t j) {
    const Range c =
        split_range(region.count, static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(j));
    return Range{region.offset + c.offset, c.count};
  };
  for (std::int32_t r = 0; r < n; ++r) {
    for (std::int32_t k = 1; k < n; ++k) {
      const std::int32_t q = (r + k) % n;
      b.send(r, q, in(chunk(q).offset), chunk(q).count);
    }
    const Range mine = chunk(r);
    const OpIndex reduced =
        gather_and_reduce(b, r, n, in(mine.offset), out(mine.offset), mine.count);
    for (std::int32_t k = 1; k < n; ++k) {
      b.send(r, (r + k) % n, out(mine.offset), mine.count, {reduced});
    }
    for (std::int32_t k = 1; k < n; ++k) {
      const std::int32_t q = (r - k + n) % n;
      b.recv(r, q, out(chunk(q).offset), chunk(q).count);
    }
  }
}

void reduce_scatter_direct(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  for (std::int32_t r = 0; r < n; ++r) {
    for (std::int32_t k = 1; k < n; ++k) {
      const std::int32_t q = (r + k) % n;
      const ChunkPiece p = s.chunk_piece(q);
      b.send(r, q, in(p.global), p.count);
    }
    const ChunkPiece mine = s.chunk_piece(r);
    gather_and_reduce(b, r, n, in(mine.global), out(mine.local), mine.count);
  }
}

void allgather_direct(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  for (std::int32_t r = 0; r < n; ++r) {
    const ChunkPiece mine = s.chunk_piece(r);
    b.copy(r, out(mine.global), in(mine.local), mine.count);
    for (std::int32_t k = 1; k < n; ++k)
      b.send(r, (r + k) % n, in(mine.local), mine.count);
    for (std::int32_t k = 1; k < n; ++k) {
      const std::int32_t q = (r - k + n) % n;
      const ChunkPiece p = s.chunk_piece(q);
      b.recv(r, q, out(p.global), p.count);
    }
  }
}

void sendrecv_direct(InstanceBuilder& b, const InstanceSpec& s) {
  // Every rank sends its input to the next rank and receives the previous rank's input: the
  // activation hand-off between pipeline stages (a ring shift, so every rank has a result).
  const std::int32_t n = s.n();
  const Range region = s.region();
  for (std::int32_t r = 0; r < n; ++r) {
    if (n == 1) {
      b.copy(r, out(region.offset), in(region.offset), region.count);
      continue;
    }
    b.send(r, (r + 1) % n, in(region.offset), region.count);
    b.recv(r, (r - 1 + n) % n, out(region.offset), region.count);
  }
}

}  // namespace fabricsim::workloads::algorithms
