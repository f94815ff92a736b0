// All-to-all: direct (all pairs at once), pairwise exchange (one peer per step) and Bruck
// (ceil(log2 n) steps of combined messages; for small messages). `count` is the number of
// elements each rank sends to each rank; block j of a rank's buffer is for/from rank j.
#include "workloads/algorithms/common.hpp"

namespace fabricsim::workloads::algorithms {

namespace {

struct Blocks {
  std::uint64_t stride = 0;  // elements per block (the request count)
  Range piece;               // this instance's piece of every block
  Loc at(BufferId buffer, std::int32_t block) const {
    return Loc{buffer, static_cast<std::uint64_t>(block) * stride + piece.offset};
  }
};

Blocks blocks_of(const InstanceSpec& s) {
  return Blocks{s.request->count, split_range(s.request->count, s.pieces, s.piece)};
}

void pairwise_like(InstanceBuilder& b, const InstanceSpec& s, bool serialize_steps) {
  const std::int32_t n = s.n();
  const Blocks bl = blocks_of(s);
  const std::uint64_t count = bl.piece.count;
  for (std::int32_t r = 0; r < n; ++r) {
    DepList prev;
    prev.push_back(b.copy(r, bl.at(BufferId::kOutput, r), bl.at(BufferId::kInput, r), count));
    for (std::int32_t k = 1; k < n; ++k) {
      const std::int32_t to = (r + k) % n;
      const std::int32_t from = (r - k + n) % n;
      const DepList deps = serialize_steps ? prev : DepList{};
      b.send(r, to, bl.at(BufferId::kInput, to), count, deps);
      const OpIndex got = b.recv(r, from, bl.at(BufferId::kOutput, from), count, deps);
      prev = {got};  // the next exchange waits for this one's data, not its acknowledgment
    }
  }
}

}  // namespace

void alltoall_direct(InstanceBuilder& b, const InstanceSpec& s) {
  pairwise_like(b, s, false);
}

void alltoall_pairwise(InstanceBuilder& b, const InstanceSpec& s) {
  pairwise_like(b, s, true);
}

void alltoall_bruck(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const Blocks bl = blocks_of(s);
  const std::uint64_t len = bl.piece.count;
  for (std::int32_t r = 0; r < n; ++r) {
    // tmp[i] = input block (r + i) % n; after step k, tmp[i] holds the block that rank
    // (r - i) % n sends to r, for every i whose low k+1 bits are done.
    const Loc tmp = b.scratch(r, static_cast<std::uint64_t>(n) * len);
    auto slot = [&](std::int32_t i) {
      return Loc{BufferId::kScratch, tmp.offset + static_cast<std::uint64_t>(i) * len};
    };
    DepList prev;
    for (std::int32_t i = 0; i < n; ++i) {
      prev.push_back(b.copy(r, slot(i), bl.at(BufferId::kInput, (r + i) % n), len));
    }
    for (std::int32_t dist = 1; dist < n; dist *= 2) {
      // Blocks i with bit `dist` set come in runs of `dist` consecutive slots.
      std::vector<std::pair<std::int32_t, std::int32_t>> runs;  // (first slot, length)
      std::int32_t total = 0;
      for (std::int32_t i = dist; i < n; i += 2 * dist) {
        const std::int32_t length = std::min(dist, n - i);
        runs.emplace_back(i, length);
        total += length;
      }
      const std::uint64_t bytes_count = static_cast<std::uint64_t>(total) * len;
      const Loc pack = b.scratch(r, bytes_count);
      const Loc unpack = b.scratch(r, bytes_count);
      DepList packed;
      std::uint64_t at = 0;
      for (const auto& [first, length] : runs) {
        const std::uint64_t run = static_cast<std::uint64_t>(length) * len;
        packed.push_back(
            b.copy(r, Loc{BufferId::kScratch, pack.offset + at}, slot(first), run, prev));
        at += run;
      }
      const OpIndex sent = b.send(r, (r + dist) % n, pack, bytes_count, packed);
      const OpIndex got = b.recv(r, (r - dist + n) % n, unpack, bytes_count);
      DepList unpacked{sent};
      at = 0;
      for (const auto& [first, length] : runs) {
        const std::uint64_t run = static_cast<std::uint64_t>(length) * len;
        unpacked.push_back(
            b.copy(r, slot(first), Loc{BufferId::kScratch, unpack.offset + at}, run, {got, sent}));
        at += run;
      }
      prev = unpacked;
    }
    for (std::int32_t i = 0; i < n; ++i) {
      b.copy(r, bl.at(BufferId::kOutput, (r - i + n) % n), slot(i), len, prev);
    }
  }
}

}  // namespace fabricsim::workloads::algorithms
