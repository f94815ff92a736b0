// libFuzzer target for the topology reader: the input is a topology document. Reading it,
// estimating its build and (when the estimate fits a 16 MiB budget) building its graph and
// routes may reject it only with topologies::ConfigError; any other exception, crash,
// sanitizer report, hang or allocation beyond libFuzzer's RSS limit is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/memory_limit.hpp"
#include "topologies/config_error.hpp"
#include "topologies/estimate.hpp"
#include "topologies/json_file.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"
#include "topologies/spec.hpp"
#include "topologies/stats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fabricsim;
  // The budget build_graph checks: small, so that an accepted fabric builds well within the
  // 10 s per input of scripts/fuzz under ASan (a radix-32 fat-tree with routes took longer).
  sim::set_memory_limit_bytes(16ULL << 20);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto doc = topologies::parse_json_text(text, "fuzz.json");
    const auto spec = topologies::parse_topology(doc, "fuzz.json");
    (void)topologies::estimate_to_json(topologies::estimate_build(spec));
    (void)topologies::topology_to_json(spec).dump();
    const auto graph = topologies::build_graph(spec);
    if (graph.switch_count <= 256) {  // routes are switches x edges: keep each input fast
      const auto routes = topologies::compute_routes(graph);
      (void)topologies::stats_to_json(topologies::compute_stats(spec, graph, routes));
    }
  } catch (const topologies::ConfigError&) {
    // Rejected with a message: the expected outcome for bad input.
  }
  return 0;
}
