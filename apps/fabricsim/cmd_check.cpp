// `fabricsim check FILE.json`: validates a scenario or a topology file (exit 1 on error).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/fabricsim/cli.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"
#include "topologies/json_file.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/spec.hpp"

namespace fabricsim::cli {

int check_command(const std::vector<std::string>& args) {
  po::options_description options("check options");
  options.add_options()("file", po::value<std::string>()->required(),
                        "scenario or topology JSON file");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (!parse_command_line("check", "FILE.json", args, options, positional, vm)) return kExitOk;
  const auto path = vm["file"].as<std::string>();
  nlohmann::json doc = topologies::read_json_file(path);
  // A topology has "kind" at the top; a scenario has "workload".
  if (doc.is_object() && doc.contains("kind") && !doc.contains("workload")) {
    const auto spec = topologies::load_topology(path);  // with its hardware presets
    const auto graph = topologies::build_graph(spec);
    std::cout << fmt::format("{}: ok (topology, {}: {} NICs, {} switches, {} links)\n", path,
                             topologies::kind_name(spec.kind), graph.endpoint_count,
                             graph.switch_count, graph.link_count());
  } else {
    const auto s = scenario::parse_scenario(std::move(doc), path,
                                            std::filesystem::path(path).parent_path().string());
    std::cout << fmt::format("{}: ok (scenario \"{}\", {} workload)\n", path, s.name,
                             scenario::workload_kind_name(s.workload.kind));
  }
  return kExitOk;
}

}  // namespace fabricsim::cli
