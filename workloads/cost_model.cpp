// Alpha-beta-gamma formulas per algorithm; see validation/alpha_beta.md for derivations.
#include "workloads/cost_model.hpp"

#include <cmath>
#include <stdexcept>

namespace fabricsim::workloads {

namespace {

struct Terms {
  double a;  // alpha
  double b;  // beta
  double g;  // gamma
  double time(double steps, double bytes_per_step, bool reduce) const {
    return steps * (a + bytes_per_step * b + (reduce ? bytes_per_step * g : 0.0));
  }
};

std::int32_t floor_pow2(std::int32_t n) {
  std::int32_t p = 1;
  while (p * 2 <= n)
    p *= 2;
  return p;
}

double log2i(std::int32_t n) {
  return std::log2(static_cast<double>(n));
}
double ceil_log2(std::int32_t n) {
  return std::ceil(log2i(n));
}

// Height of the in-order binary tree over n ranks (edges from root to deepest leaf).
double tree_depth(std::int32_t n) {
  return std::floor(log2i(n));
}

double predict_without_acks(const CostQuery& q, const CostParams& params) {
  const double n = q.nranks;
  const double m = static_cast<double>(q.bytes);
  const double s = q.slices < 1 ? 1.0 : static_cast<double>(q.slices);
  const Terms t{params.net.alpha_s, params.net.beta_s_per_byte, params.net.gamma_s_per_byte};
  const Terms ti =
      params.intra.beta_s_per_byte > 0
          ? Terms{params.intra.alpha_s, params.intra.beta_s_per_byte, params.intra.gamma_s_per_byte}
          : t;
  if (q.nranks <= 1) return 0.0;
  const std::string& a = q.algorithm;
  const std::int32_t p2 = floor_pow2(q.nranks);
  const bool folded = p2 != q.nranks;
  const double p = p2;
  switch (q.op) {
    case CollectiveOp::kAllReduce:
      if (a == "ring") {
        // 2(n-1) steps of m/n, pipelined over s slices (latency overlaps across slices, the
        // link carries s-1 extra slice times); n-1 steps reduce.
        const double piece = m / (n * s);
        return 2 * (n - 1) * t.a + (2 * (n - 1) + s - 1) * piece * t.b +
               (n - 1 + s - 1) * piece * t.g;
      }
      if (a == "halving_doubling") {
        double time = 2 * log2i(p2) * t.a + 2 * (p - 1) / p * m * t.b + (p - 1) / p * m * t.g;
        if (folded) time += t.time(1, m, true) + t.time(1, m, false);
        return time;
      }
      if (a == "direct") {
        // Two phases of n-1 concurrent messages of m/n sharing the rank's link.
        return 2 * t.a + 2 * (n - 1) * (m / n) * t.b + (n - 1) * (m / n) * t.g;
      }
      if (a == "double_binary_tree") {
        // Each tree carries m/2 in slices of m/(2S); a rank is inner in one tree and a leaf in
        // the other, so its links carry m/S per pipeline stage. Reduction (D stages) and
        // broadcast (D stages) of successive slices overlap: 2D + S - 1 stages in all.
        const double d = tree_depth(q.nranks);
        const double stage = m / s;
        return 2 * d * t.a + (2 * d + s - 1) * stage * t.b + (d + s - 1) * stage * t.g;
      }
      if (a == "hierarchical_tree") {
        // Intra-node ring reduce-scatter and all-gather as in "hierarchical"; across nodes the
        // double binary tree's terms on the rank's shard m / l.
        const double l = q.ranks_per_node < 1 ? 1 : q.ranks_per_node;
        const std::int32_t nodes = static_cast<std::int32_t>(n / l);
        double time = 0;
        if (l > 1) time += 2 * ti.time(l - 1, m / l, false) + (l - 1) * (m / l) * ti.g;
        if (nodes > 1) {
          const double d = tree_depth(nodes);
          const double stage = m / (l * s);
          time += 2 * d * t.a + (2 * d + s - 1) * stage * t.b + (d + s - 1) * stage * t.g;
        }
        return time;
      }
      if (a == "hierarchical") {
        const double l = q.ranks_per_node < 1 ? 1 : q.ranks_per_node;
        const double nodes = n / l;
        double time = 0;
        if (l > 1) time += 2 * ti.time(l - 1, m / l, false) + (l - 1) * (m / l) * ti.g;
        if (nodes > 1) {
          const double piece = m / (l * nodes);
          time += 2 * (nodes - 1) * (t.a + piece * t.b) + (nodes - 1) * piece * t.g;
        }
        return time;
      }
      if (a == "nvls") {
        // In-switch all-reduce over one NVLink domain: each GPU sends its m bytes to the
        // switches and receives the m-byte sum, one latency (models/nvlink/domain.hpp).
        return ti.a + m * ti.b;
      }
      if (a == "nvls_ring") {
        // In-node in-switch all-reduce, a ring per rail over M = n/L nodes on m/L bytes, ring
        // all-gather inside the node.
        const double l = q.ranks_per_node < 1 ? 1 : q.ranks_per_node;
        const double nodes = n / l;
        double time = l > 1 ? ti.a + m * ti.b : 0.0;
        if (nodes > 1) {
          const double piece = m / (l * nodes);
          time += 2 * (nodes - 1) * (t.a + piece * t.b) + (nodes - 1) * piece * t.g;
          if (l > 1) time += ti.time(l - 1, m / l, false);
        }
        return time;
      }
      break;
    case CollectiveOp::kReduceScatter:
    case CollectiveOp::kAllGather: {
      const bool reduce = q.op == CollectiveOp::kReduceScatter;
      if (a == "ring") return t.time(n - 1, m / n, reduce);
      if (a == "direct") return t.a + (n - 1) * (m / n) * (t.b + (reduce ? t.g : 0.0));
      if (a == "halving_doubling") {
        double time = log2i(p2) * t.a + (p - 1) / p * m * (t.b + (reduce ? t.g : 0.0));
        if (folded) {
          // Fold-in of whole vectors (RS) or chunks (AG) and the hand-back at the end.
          time += reduce ? t.time(1, m, true) + t.time(1, m / n, false)
                         : t.time(1, m / n, false) + t.time(1, m, false);
        }
        return time;
      }
      break;
    }
    case CollectiveOp::kAllToAll:
      if (a == "direct") return t.a + (n - 1) * (m / n) * t.b;
      if (a == "pairwise") return t.time(n - 1, m / n, false);
      if (a == "bruck") {
        // ceil(log2 n) steps, each moving about half of the n blocks.
        return ceil_log2(q.nranks) * (t.a + (m / 2) * t.b);
      }
      break;
    case CollectiveOp::kBroadcast:
    case CollectiveOp::kReduce: {
      const bool reduce = q.op == CollectiveOp::kReduce;
      if (a == "ring") {
        return (n - 1) * t.a + (n - 1 + s - 1) * (m / s) * (t.b + (reduce ? t.g : 0.0));
      }
      if (a == "binomial") {
        // A rank serves its children concurrently, its link shared fairly between them (as a
        // NIC round-robins between queue pairs): the root's L = ceil(log2 n) messages all end
        // at L m beta, then its largest child's L-1, and so on down the deepest path:
        // L(L+1)/2 messages' time, after floor(log2 n) hops of latency.
        const double l = ceil_log2(q.nranks);
        return std::floor(log2i(q.nranks)) * t.a +
               l * (l + 1) / 2 * m * (t.b + (reduce ? t.g : 0.0));
      }
      break;
    }
    case CollectiveOp::kSendRecv:
      if (a == "direct") return t.time(1, m, false);
      break;
  }
  throw std::invalid_argument("no cost model for " + std::string(to_string(q.op)) + "/" + a);
}

// Waits for send completions: every rank is done only when its last send is acknowledged, and
// the halving-doubling all-reduce's doubling phase receives where the halving phase sent from
// (and a folded rank's hand-back follows the doubling's sends).
double acknowledgment_waits(const CostQuery& q) {
  if (q.nranks <= 1) return 0.0;
  // The in-switch all-reduce completes on NVLink writes, without acknowledgments.
  if (q.op == CollectiveOp::kAllReduce &&
      (q.algorithm == "nvls" || (q.algorithm == "nvls_ring" && q.ranks_per_node >= q.nranks))) {
    return 0.0;
  }
  if (q.op == CollectiveOp::kAllReduce && q.algorithm == "halving_doubling") {
    return floor_pow2(q.nranks) == q.nranks ? 2.0 : 3.0;
  }
  return 1.0;
}

}  // namespace

double predict_seconds(const CostQuery& q, const CostParams& params) {
  const double time = predict_without_acks(q, params);
  return time + acknowledgment_waits(q) * params.net.ack_s;
}

}  // namespace fabricsim::workloads
