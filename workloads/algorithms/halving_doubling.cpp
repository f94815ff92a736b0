// Recursive halving / doubling (Rabenseifner's allreduce, recursive-halving reduce-scatter,
// recursive-doubling all-gather) for any n: with p2 the largest power of two <= n and
// r = n - p2, ranks 2i (i < r) first fold their data into rank 2i+1, the p2 remaining ranks
// run the power-of-two algorithm, and the folded ranks get their result back at the end
// (Thakur, Rabenseifner & Gropp 2005).
#include <algorithm>

#include "workloads/algorithms/common.hpp"

namespace fabricsim::workloads::algorithms {

namespace {

struct Fold {
  std::int32_t p2 = 1;
  std::int32_t extra = 0;  // r

  explicit Fold(std::int32_t n) {
    while (p2 * 2 <= n)
      p2 *= 2;
    extra = n - p2;
  }
  bool folded_away(std::int32_t rank) const { return rank < 2 * extra && rank % 2 == 0; }
  std::int32_t newrank(std::int32_t rank) const {
    return rank < 2 * extra ? rank / 2 : rank - extra;
  }
  std::int32_t oldrank(std::int32_t nr) const { return nr < extra ? 2 * nr + 1 : nr + extra; }
};

// Element ranges of newrank blocks [first, last) given each block's range.
Range span(const std::vector<Range>& blocks, std::int32_t first, std::int32_t last) {
  const Range& a = blocks[static_cast<std::size_t>(first)];
  const Range& z = blocks[static_cast<std::size_t>(last - 1)];
  return Range{a.offset, z.end() - a.offset};
}

// Per rank: its chunk clipped to the region (contiguous even when empty).
std::vector<Range> clipped_chunks(const InstanceSpec& s, Range region) {
  std::vector<Range> out_ranges;
  for (std::int32_t j = 0; j < s.n(); ++j) {
    const Range c = input_chunk(s.request->count, s.n(), j);
    const std::uint64_t lo = std::clamp(c.offset, region.offset, region.end());
    const std::uint64_t hi = std::clamp(c.end(), region.offset, region.end());
    out_ranges.push_back(Range{lo, hi - lo});
  }
  return out_ranges;
}

// Blocks of the p2 participants: newrank k stands for ranks 2k, 2k+1 (k < r) or k + r.
std::vector<Range> participant_blocks(const Fold& f, const std::vector<Range>& chunks) {
  std::vector<Range> blocks;
  for (std::int32_t k = 0; k < f.p2; ++k) {
    if (k < f.extra) {
      const Range& a = chunks[static_cast<std::size_t>(2 * k)];
      const Range& z = chunks[static_cast<std::size_t>(2 * k + 1)];
      blocks.push_back(Range{a.offset, z.end() - a.offset});
    } else {
      blocks.push_back(chunks[static_cast<std::size_t>(k + f.extra)]);
    }
  }
  return blocks;
}

// Recursive halving among participants. `cur(x)` locates vector position x of the current
// data, `acc(x)` where reductions go. With wait_for_sends false a step waits for the previous
// step's reduction only: the regions a step sends are never written again within the phase,
// so waiting for their acknowledgment (a round trip on RDMA) is not needed. Returns the last
// reduction plus every send (the next phase may write where they read).
template <class Cur, class Acc>
DepList halving(InstanceBuilder& b, const Fold& f, std::int32_t rank,
                const std::vector<Range>& blocks, DepList prev, Cur cur, Acc acc,
                bool wait_for_sends) {
  const std::int32_t nr = f.newrank(rank);
  std::int32_t lo = 0;
  std::int32_t hi = f.p2;
  bool first = true;
  DepList sends;
  for (std::int32_t mask = f.p2 / 2; mask >= 1; mask /= 2) {
    const std::int32_t partner = f.oldrank(nr ^ mask);
    const bool upper = (nr & mask) != 0;
    const Range give = upper ? span(blocks, lo, lo + mask) : span(blocks, lo + mask, hi);
    const Range keep = upper ? span(blocks, lo + mask, hi) : span(blocks, lo, lo + mask);
    const Loc give_loc = first ? cur(give.offset) : acc(give.offset);
    const Loc keep_src = first ? cur(keep.offset) : acc(keep.offset);
    const OpIndex s = b.send(rank, partner, give_loc, give.count, prev);
    const OpIndex r = b.recv_reduce(rank, partner, acc(keep.offset), keep_src, keep.count, prev);
    sends.push_back(s);
    prev = wait_for_sends ? DepList{s, r} : DepList{r};
    if (upper) {
      lo += mask;
    } else {
      hi = lo + mask;
    }
    first = false;
  }
  prev.insert(prev.end(), sends.begin(), sends.end());
  return prev;
}

// Recursive doubling among participants: a step receives into a region no earlier step of
// the phase sent from, so with wait_for_sends false it waits for the previous receive only.
// Returns the last receive plus every send.
DepList doubling(InstanceBuilder& b, const Fold& f, std::int32_t rank,
                 const std::vector<Range>& blocks, DepList prev, bool wait_for_sends) {
  const std::int32_t nr = f.newrank(rank);
  DepList sends;
  for (std::int32_t mask = 1; mask < f.p2; mask *= 2) {
    const std::int32_t partner = nr ^ mask;
    const std::int32_t mine = nr & ~(mask - 1);
    const std::int32_t theirs = partner & ~(mask - 1);
    const Range m = span(blocks, mine, mine + mask);
    const Range t = span(blocks, theirs, theirs + mask);
    const OpIndex s = b.send(rank, f.oldrank(partner), out(m.offset), m.count, prev);
    const OpIndex r = b.recv(rank, f.oldrank(partner), out(t.offset), t.count, prev);
    sends.push_back(s);
    prev = wait_for_sends ? DepList{s, r} : DepList{r};
  }
  prev.insert(prev.end(), sends.begin(), sends.end());
  return prev;
}

}  // namespace

void allreduce_halving_doubling(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const Range region = s.region();
  if (n == 1) {
    b.copy(0, out(region.offset), in(region.offset), region.count);
    return;
  }
  const Fold f(n);
  std::vector<Range> blocks;
  for (std::int32_t k = 0; k < f.p2; ++k) {
    const Range c =
        split_range(region.count, static_cast<std::uint64_t>(f.p2), static_cast<std::uint64_t>(k));
    blocks.push_back(Range{region.offset + c.offset, c.count});
  }
  for (std::int32_t rank = 0; rank < n; ++rank) {
    if (f.folded_away(rank)) {
      b.send(rank, rank + 1, in(region.offset), region.count);
      b.recv(rank, rank + 1, out(region.offset), region.count);
      continue;
    }
    DepList prev;
    bool folded_in = rank < 2 * f.extra;
    if (folded_in) {
      prev = {b.recv_reduce(rank, rank - 1, out(region.offset), in(region.offset), region.count)};
    }
    auto cur = [&](std::uint64_t x) { return folded_in ? out(x) : in(x); };
    // The all-reduce's phases overlap on RDMA only if steps do not wait for acknowledgments.
    prev = halving(
        b, f, rank, blocks, prev, cur, [](std::uint64_t x) { return out(x); }, false);
    prev = doubling(b, f, rank, blocks, prev, false);
    if (folded_in) b.send(rank, rank - 1, out(region.offset), region.count, prev);
  }
}

void reduce_scatter_halving(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const Range region = s.region();
  const std::vector<Range> chunks = clipped_chunks(s, region);
  auto local = [&](std::int32_t j) {
    return chunks[static_cast<std::size_t>(j)].offset - input_chunk(s.request->count, n, j).offset;
  };
  if (n == 1) {
    b.copy(0, out(local(0)), in(chunks[0].offset), chunks[0].count);
    return;
  }
  const Fold f(n);
  const std::vector<Range> blocks = participant_blocks(f, chunks);
  for (std::int32_t rank = 0; rank < n; ++rank) {
    const Range& mine = chunks[static_cast<std::size_t>(rank)];
    if (f.folded_away(rank)) {
      b.send(rank, rank + 1, in(region.offset), region.count);
      b.recv(rank, rank + 1, out(local(rank)), mine.count);
      continue;
    }
    // The partial sums live in a region-sized scratch work area.
    const Loc work = b.scratch(rank, region.count);
    auto acc = [&](std::uint64_t x) {
      return Loc{BufferId::kScratch, work.offset + (x - region.offset)};
    };
    DepList prev;
    const bool folded_in = rank < 2 * f.extra;
    if (folded_in) {
      prev = {b.recv_reduce(rank, rank - 1, acc(region.offset), in(region.offset), region.count)};
    }
    auto cur = [&](std::uint64_t x) { return folded_in ? acc(x) : in(x); };
    prev = halving(b, f, rank, blocks, prev, cur, acc, true);
    b.copy(rank, out(local(rank)), acc(mine.offset), mine.count, prev);
    if (folded_in) {
      const Range& theirs = chunks[static_cast<std::size_t>(rank - 1)];
      b.send(rank, rank - 1, acc(theirs.offset), theirs.count, prev);
    }
  }
}

void allgather_doubling(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const Range region = s.region();
  const std::vector<Range> chunks = clipped_chunks(s, region);
  auto local = [&](std::int32_t j) {
    return chunks[static_cast<std::size_t>(j)].offset - input_chunk(s.request->count, n, j).offset;
  };
  const Fold f(n);
  const std::vector<Range> blocks = participant_blocks(f, chunks);
  for (std::int32_t rank = 0; rank < n; ++rank) {
    const Range& mine = chunks[static_cast<std::size_t>(rank)];
    if (f.folded_away(rank)) {
      b.send(rank, rank + 1, in(local(rank)), mine.count);
      b.recv(rank, rank + 1, out(region.offset), region.count);
      continue;
    }
    DepList prev;
    const bool folded_in = rank < 2 * f.extra;
    if (folded_in) {
      const Range& theirs = chunks[static_cast<std::size_t>(rank - 1)];
      prev.push_back(b.recv(rank, rank - 1, out(theirs.offset), theirs.count));
    }
    prev.push_back(b.copy(rank, out(mine.offset), in(local(rank)), mine.count));
    prev = doubling(b, f, rank, blocks, prev, true);
    if (folded_in) b.send(rank, rank - 1, out(region.offset), region.count, prev);
  }
}

}  // namespace fabricsim::workloads::algorithms
