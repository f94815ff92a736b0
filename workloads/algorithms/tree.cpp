// Tree and chain algorithms: NCCL-style double binary tree allreduce (flat, and per rail
// across nodes in the hierarchical all-reduce), pipelined chain and binomial-tree broadcast
// and reduce.
#include "workloads/algorithms/common.hpp"

namespace fabricsim::workloads::algorithms {

namespace {

std::int32_t lowbit(std::int32_t q) {
  return q & -q;
}

// Parent of 1-based in-order position q in the infinite tree where node q has lowest set
// bit b and children q - b/2, q + b/2.
std::int32_t inorder_parent(std::int32_t q) {
  const std::int32_t b = lowbit(q);
  return (q & (2 * b)) ? q - b : q + b;
}

}  // namespace

BinaryTree make_double_binary_tree(std::int32_t nranks, int tree_index) {
  BinaryTree tree;
  const auto size = static_cast<std::size_t>(nranks);
  tree.parent.assign(size, -1);
  tree.children.assign(size, {});
  auto rank_of = [&](std::int32_t position) {
    if (tree_index == 0) return position;
    return nranks % 2 == 0 ? nranks - 1 - position : (position + 1) % nranks;
  };
  for (std::int32_t q = 1; q <= nranks; ++q) {
    std::int32_t p = inorder_parent(q);
    // Skip ancestors beyond the last position; the root (largest power of two <= n) has none.
    while (p > nranks && p < 4 * nranks)
      p = inorder_parent(p);
    const std::int32_t rank = rank_of(q - 1);
    if (p > nranks) {
      tree.root = rank;
      continue;
    }
    const std::int32_t parent = rank_of(p - 1);
    tree.parent[static_cast<std::size_t>(rank)] = parent;
    tree.children[static_cast<std::size_t>(parent)].push_back(rank);
  }
  return tree;
}

std::vector<OpIndex> tree_allreduce(InstanceBuilder& b, const BinaryTree& tree,
                                    const std::vector<std::int32_t>& members, Loc src, Loc dst,
                                    std::uint64_t count, const std::vector<DepList>& start) {
  const std::int32_t n = static_cast<std::int32_t>(tree.parent.size());
  std::vector<OpIndex> result(static_cast<std::size_t>(n), 0);
  const auto rank_of = [&](std::int32_t position) {
    return members.empty() ? position : members[static_cast<std::size_t>(position)];
  };
  for (std::int32_t x = 0; x < n; ++x) {
    const std::int32_t me = rank_of(x);
    if (!b.keeps(me)) continue;
    const auto& kids = tree.children[static_cast<std::size_t>(x)];
    const std::int32_t parent = tree.parent[static_cast<std::size_t>(x)];
    const DepList& first = start.empty() ? DepList{} : start[static_cast<std::size_t>(x)];
    // Up: accumulate children into dst, the last reduction forwards to the parent.
    OpIndex up = 0;
    bool have_up = false;
    if (kids.empty()) {
      if (parent < 0) {
        up = b.copy(me, dst, src, count, first);
      } else {
        up = b.send(me, rank_of(parent), src, count, first);
      }
      have_up = true;
    } else {
      for (std::size_t k = 0; k < kids.size(); ++k) {
        const bool last = k + 1 == kids.size();
        const Loc operand = k == 0 ? src : dst;
        const DepList deps = have_up ? DepList{up} : first;
        const std::int32_t kid = rank_of(kids[k]);
        if (last && parent >= 0) {
          up = b.recv_reduce_send(me, kid, rank_of(parent), dst, operand, count, deps);
        } else {
          up = b.recv_reduce(me, kid, dst, operand, count, deps);
        }
        have_up = true;
      }
    }
    // Down: the root's sum, or the parent's broadcast, goes to every child. dst is
    // overwritten only after the upward send from it completed; the children's sends wait
    // for the receive alone.
    OpIndex have = up;
    if (parent >= 0) have = b.recv(me, rank_of(parent), dst, count, {up});
    for (std::int32_t kid : kids)
      b.send(me, rank_of(kid), dst, count, {have});
    result[static_cast<std::size_t>(x)] = have;
  }
  return result;
}

void allreduce_double_binary_tree(InstanceBuilder& b, const InstanceSpec& s) {
  const Range region = s.region();
  for (int t = 0; t < 2; ++t) {
    b.use_subchannel(static_cast<std::uint16_t>(t));
    const Range half = split_range(region.count, 2, static_cast<std::uint64_t>(t));
    (void)tree_allreduce(b, make_double_binary_tree(s.n(), t), {}, in(region.offset + half.offset),
                         out(region.offset + half.offset), half.count, {});
  }
}

void allreduce_hierarchical_tree(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const std::int32_t local = s.request->ranks_per_node;
  const std::int32_t nodes = n / local;
  const Range region = s.region();
  const std::vector<Range> node_chunks = algorithms::node_chunks(s);
  // 1. Reduce-scatter inside each node: local rank l ends with the node's sum of chunk l.
  node_reduce_scatter(b, nodes, local, node_chunks);
  std::vector<std::int32_t> members;
  std::vector<DepList> start;
  // 2. Per rail (local rank l on every node), a double binary tree over the nodes all-reduces
  // chunk l: each tree half of it, on its own sub-channel.
  std::vector<DepList> tree_done(static_cast<std::size_t>(nodes > 1 ? n : 0));
  if (nodes > 1) {
    const BinaryTree trees[2] = {make_double_binary_tree(nodes, 0),
                                 make_double_binary_tree(nodes, 1)};
    for (std::int32_t l = 0; l < local; ++l) {
      const Range& node_chunk = node_chunks[static_cast<std::size_t>(l)];
      members.clear();
      start.clear();
      for (std::int32_t k = 0; k < nodes; ++k) {
        const std::int32_t rank = k * local + l;
        members.push_back(rank);
        start.push_back(b.keeps(rank) ? b.all_ops(rank) : DepList{});
      }
      for (int t = 0; t < 2; ++t) {
        b.use_subchannel(static_cast<std::uint16_t>(t));
        const Range half = split_range(node_chunk.count, 2, static_cast<std::uint64_t>(t));
        const std::uint64_t offset = node_chunk.offset + half.offset;
        const std::vector<OpIndex> done =
            tree_allreduce(b, trees[t], members, local > 1 ? out(offset) : in(offset), out(offset),
                           half.count, start);
        for (std::int32_t k = 0; k < nodes; ++k) {
          tree_done[static_cast<std::size_t>(k * local + l)].push_back(
              done[static_cast<std::size_t>(k)]);
        }
      }
    }
    b.use_subchannel(0);
  } else if (local == 1) {
    b.copy(0, out(region.offset), in(region.offset), region.count);
  }
  // 3. All-gather inside each node, after the rank's two trees (which ran after its whole
  // reduce-scatter; two dependencies instead of every earlier op keep the schedule small).
  node_allgather(b, nodes, local, node_chunks, tree_done);
}

void broadcast_chain(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const std::int32_t root = s.request->root;
  const Range region = s.region();
  const Loc src = in(region.offset);
  const Loc dst = out(region.offset);
  for (std::int32_t i = 0; i < n; ++i) {
    const std::int32_t me = (root + i) % n;
    const std::int32_t next = (me + 1) % n;
    const std::int32_t prev = (me + n - 1) % n;
    if (i == 0) {
      b.copy(me, dst, src, region.count);
      if (n > 1) b.send(me, next, src, region.count);
    } else if (i + 1 < n) {
      b.recv_copy_send(me, prev, next, dst, region.count);
    } else {
      b.recv(me, prev, dst, region.count);
    }
  }
}

void reduce_chain(InstanceBuilder& b, const InstanceSpec& s) {
  // Partial sums flow root+n-1 -> root+n-2 -> ... -> root; non-roots accumulate in scratch
  // so their output buffers stay untouched.
  const std::int32_t n = s.n();
  const std::int32_t root = s.request->root;
  const Range region = s.region();
  const Loc src = in(region.offset);
  for (std::int32_t i = n - 1; i >= 0; --i) {
    const std::int32_t me = (root + i) % n;
    const std::int32_t toward_root = (me + n - 1) % n;
    const std::int32_t from = (me + 1) % n;
    if (i == 0) {
      if (n == 1) {
        b.copy(me, out(region.offset), src, region.count);
      } else {
        b.recv_reduce(me, from, out(region.offset), src, region.count);
      }
    } else if (i == n - 1) {
      b.send(me, toward_root, src, region.count);
    } else {
      b.recv_reduce_send(me, from, toward_root, b.scratch(me, region.count), src, region.count);
    }
  }
}

void broadcast_binomial(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const std::int32_t root = s.request->root;
  const Range region = s.region();
  for (std::int32_t v = 0; v < n; ++v) {
    const std::int32_t me = (v + root) % n;
    std::int32_t mask = 1;
    OpIndex got = 0;
    Loc from = in(region.offset);
    while (mask < n) {
      if (v & mask) {
        got = b.recv(me, (v - mask + root) % n, out(region.offset), region.count);
        from = out(region.offset);
        break;
      }
      mask <<= 1;
    }
    if (v == 0) got = b.copy(me, out(region.offset), from, region.count);
    for (mask >>= 1; mask > 0; mask >>= 1) {
      if (v + mask < n) {
        b.send(me, (v + mask + root) % n, from, region.count, v == 0 ? DepList{} : DepList{got});
      }
    }
  }
}

void reduce_binomial(InstanceBuilder& b, const InstanceSpec& s) {
  const std::int32_t n = s.n();
  const std::int32_t root = s.request->root;
  const Range region = s.region();
  for (std::int32_t v = 0; v < n; ++v) {
    const std::int32_t me = (v + root) % n;
    // The root accumulates in its output, other ranks in scratch.
    Loc acc = in(region.offset);
    bool have = false;
    OpIndex last = 0;
    for (std::int32_t mask = 1; mask < n; mask <<= 1) {
      if (v & mask) {
        b.send(me, (v - mask + root) % n, acc, region.count, have ? DepList{last} : DepList{});
        break;
      }
      if (v + mask < n) {
        const Loc dst = have ? acc : (v == 0 ? out(region.offset) : b.scratch(me, region.count));
        last = b.recv_reduce(me, (v + mask + root) % n, dst, acc, region.count,
                             have ? DepList{last} : DepList{});
        acc = dst;
        have = true;
      }
    }
    if (v == 0 && !have) b.copy(me, out(region.offset), in(region.offset), region.count);
  }
}

}  // namespace fabricsim::workloads::algorithms
