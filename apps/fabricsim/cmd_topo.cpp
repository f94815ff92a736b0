// `fabricsim topo FILE.json [--json] [--dot FILE]`: a topology's counts, bisection bandwidth,
// diameter, oversubscription and the memory estimate of its build.
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "apps/fabricsim/cli.hpp"
#include "sim/memory_limit.hpp"
#include "sim/output_file.hpp"
#include "topologies/estimate.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"
#include "topologies/spec.hpp"
#include "topologies/stats.hpp"

namespace fabricsim::cli {

int topo_command(const std::vector<std::string>& args) {
  po::options_description options("topo options");
  options.add_options()("file", po::value<std::string>()->required(), "topology JSON file")(
      "json", "print the figures as JSON")("dot", po::value<std::string>(),
                                           "write a Graphviz drawing to this file");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (!parse_command_line("topo", "FILE.json [--json] [--dot FILE]", args, options, positional,
                          vm)) {
    return kExitOk;
  }
  const auto spec = topologies::load_topology(vm["file"].as<std::string>());
  const auto estimate = topologies::estimate_build(spec);
  const auto graph = topologies::build_graph(spec);  // refuses what the estimate says won't fit
  const auto routes = topologies::compute_routes(graph);
  const auto stats = topologies::compute_stats(spec, graph, routes);
  if (vm.count("dot") != 0U) {
    const auto path = vm["dot"].as<std::string>();
    sim::write_file(path, topologies::to_dot(graph));
  }
  if (vm.count("json") != 0U) {
    auto doc = topologies::stats_to_json(stats);
    doc["estimate"] = topologies::estimate_to_json(estimate);
    doc["estimate"]["memory_limit_bytes"] = sim::memory_limit_bytes();
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << topologies::stats_to_text(stats) << topologies::estimate_to_text(estimate);
  }
  return kExitOk;
}

}  // namespace fabricsim::cli
