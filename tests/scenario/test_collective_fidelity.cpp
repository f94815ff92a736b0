// Fidelity of collectives on the packet-level fabric: a large ring all-reduce reaches the
// bandwidth bound (link rate x payload efficiency) within 3%, and small collectives land within
// 10% of the alpha-beta-gamma model (validation/alpha_beta.md) with alpha measured by one ping.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "models/params.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "workloads/cost_model.hpp"

using namespace fabricsim;

namespace {

constexpr double kLinkBytesPerSecond = 100e9 / 8;  // the 100 Gb/s links below
constexpr double kReduceBytesPerSecond = 1500e9;

// A collective on 8 GPUs of one leaf of a 2-tier fat-tree (every pair two hops apart).
scenario::Results run_collective(const std::string& op, const std::string& algorithm,
                                 const std::string& size, const std::string& ranks = "") {
  auto doc = nlohmann::json::parse(fmt::format(R"({{
    "name": "fidelity",
    "topology": {{ "kind": "fat_tree", "tiers": 2, "radix": 16, "hosts": 128,
                  "link": {{ "rate": "100Gbps", "delay": "1us", "mtu": 4096 }},
                  "gpu": {{ "reduce_bandwidth": "1500GBps", "launch_latency": "5us" }} }},
    "workload": {{ "kind": "collective", "op": "{}", "algorithm": "{}", "size": "{}",
                  "ranks": {} }} }})",
                                               op, algorithm, size,
                                               ranks.empty() ? "[0,1,2,3,4,5,6,7]" : ranks));
  const auto s = scenario::parse_scenario(doc, "fidelity", ".");
  auto r = scenario::run_scenario(s);
  REQUIRE(r.completed);
  REQUIRE(r.collectives.size() == 1);
  return r;
}

double payload_efficiency() {
  const models::LinkParams link;
  const models::NicParams nic;
  return static_cast<double>(link.mtu_bytes) /
         static_cast<double>(link.mtu_bytes + nic.header_bytes);
}

}  // namespace

TEST_CASE("ring all-reduce of 1 GiB reaches the bandwidth bound within 3%", "[fidelity]") {
  const auto r = run_collective("allreduce", "ring", "1GiB");
  const double bound_GBps = kLinkBytesPerSecond * payload_efficiency() / 1e9;
  const double busbw = r.collectives[0].busbw_GBps;
  WARN(fmt::format("ring all-reduce 1 GiB x 8: busbw {:.3f} GB/s, bound {:.3f} GB/s ({:.1f}%)",
                   busbw, bound_GBps, 100 * busbw / bound_GBps));
  CHECK(busbw >= 0.97 * bound_GBps);
  CHECK(busbw <= bound_GBps);
}

TEST_CASE("small collectives land within 10% of the alpha-beta model", "[fidelity]") {
  // alpha: the one-way latency of a message step, from one 4-byte send between two GPUs of the
  // leaf. The send completes when its acknowledgment is back (RDMA semantics), so the ping
  // takes launch + 2 alpha; the model charges that acknowledgment wherever a rank waits for a
  // send (CostParams ack_s), at least once at the end.
  const auto ping = run_collective("sendrecv", "direct", "4", "[0,1]");
  const double launch_s = 5e-6;
  const double alpha = (static_cast<double>(ping.collectives[0].time_ps) * 1e-12 - launch_s) / 2;
  REQUIRE(alpha > 2e-6);  // two link delays at least
  WARN(fmt::format("alpha from one ping: {:.3f} us", alpha * 1e6));

  workloads::CostParams params;
  params.net.alpha_s = alpha;
  params.net.beta_s_per_byte = 1.0 / (kLinkBytesPerSecond * payload_efficiency());
  params.net.gamma_s_per_byte = 1.0 / kReduceBytesPerSecond;
  params.net.ack_s = alpha;

  struct Case {
    const char* op;
    const char* algorithm;
  };
  const Case cases[] = {{"allreduce", "ring"},      {"allreduce", "halving_doubling"},
                        {"allreduce", "direct"},    {"allreduce", "double_binary_tree"},
                        {"reduce_scatter", "ring"}, {"allgather", "ring"},
                        {"alltoall", "direct"},     {"alltoall", "pairwise"},
                        {"broadcast", "binomial"},  {"reduce", "ring"}};
  for (const auto& c : cases) {
    for (const std::uint64_t bytes : {8192ULL, 65536ULL}) {
      const auto r = run_collective(c.op, c.algorithm, std::to_string(bytes));
      workloads::CostQuery q;
      q.op = workloads::parse_collective_op(c.op);
      q.algorithm = c.algorithm;
      q.nranks = 8;
      q.bytes = bytes;
      const double model = launch_s + workloads::predict_seconds(q, params);
      const double simulated = static_cast<double>(r.collectives[0].time_ps) * 1e-12;
      INFO(fmt::format("{} {} {} B: simulated {:.2f} us, model {:.2f} us ({:+.1f}%)", c.op,
                       c.algorithm, bytes, simulated * 1e6, model * 1e6,
                       100 * (simulated - model) / model));
      WARN(fmt::format("{} {} {} B: simulated {:.2f} us, model {:.2f} us ({:+.1f}%)", c.op,
                       c.algorithm, bytes, simulated * 1e6, model * 1e6,
                       100 * (simulated - model) / model));
      CHECK(std::abs(simulated - model) <= 0.10 * model);
    }
  }
}
