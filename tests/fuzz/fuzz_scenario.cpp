// libFuzzer target for the scenario reader: the input is a scenario document, optionally
// followed by a NUL byte and newline-separated --set assignments. parse_scenario and
// apply_override may reject it only with topologies::ConfigError; any other exception, crash,
// sanitizer report or hang is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "apply_lines.hpp"
#include "scenario/scenario.hpp"
#include "topologies/config_error.hpp"
#include "topologies/json_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fabricsim;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  // Topology and CDF paths resolve against the example scenarios, so the fuzzer can reach the
  // shipped topology and CDF files as well as missing ones.
  const std::string base_dir = FABRICSIM_SOURCE_DIR "/configs/scenarios";
  try {
    nlohmann::json doc = topologies::parse_json_text(text, "fuzz.json");
    if (nul != std::string_view::npos) fuzz::apply_lines(doc, input.substr(nul + 1));
    const auto s = scenario::parse_scenario(std::move(doc), "fuzz.json", base_dir);
    (void)scenario::resolved_config(s).dump();
  } catch (const topologies::ConfigError&) {
    // Rejected with a message: the expected outcome for bad input.
  }
  return 0;
}
