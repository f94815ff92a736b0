// libFuzzer target for the --set parser: each line of the input is one PATH=VALUE assignment
// applied, in order, to the shipped scenarios' documents, which are then parsed. Only
// topologies::ConfigError may reject them; anything else (a crash, another exception, a hang)
// is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "apply_lines.hpp"
#include "scenario/scenario.hpp"
#include "sim/memory_limit.hpp"
#include "topologies/config_error.hpp"
#include "topologies/json_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fabricsim;
  sim::set_memory_limit_bytes(256ULL << 20);
  static const std::vector<nlohmann::json> bases = [] {
    std::vector<nlohmann::json> docs;
    for (const char* name : {"incast_16to1_dcqcn.json", "training_step_128.json",
                             "flows_dumbbell.json", "allreduce_nvl72.json"}) {
      docs.push_back(topologies::read_json_file(std::string(FABRICSIM_SOURCE_DIR) +
                                                "/configs/scenarios/" + name));
    }
    return docs;
  }();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t which = input.empty() ? 0 : static_cast<std::uint8_t>(input[0]) % bases.size();
  if (!input.empty()) input.remove_prefix(1);
  nlohmann::json doc = bases[which];
  const std::string base_dir = FABRICSIM_SOURCE_DIR "/configs/scenarios";
  try {
    fuzz::apply_lines(doc, input);
    const auto s = scenario::parse_scenario(std::move(doc), "fuzz.json", base_dir);
    (void)scenario::resolved_config(s).dump();
  } catch (const topologies::ConfigError&) {
    // Rejected with a message: the expected outcome for bad input.
  }
  return 0;
}
