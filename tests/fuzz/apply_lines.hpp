// Shared by the scenario fuzzers: applies each newline-separated line of `lines` to `doc` as a
// --set assignment, in order (scenario::apply_override's ConfigError propagates).
#pragma once

#include <string>
#include <string_view>

#include "scenario/scenario.hpp"

namespace fabricsim::fuzz {

inline void apply_lines(nlohmann::json& doc, std::string_view lines) {
  while (!lines.empty()) {
    const auto newline = lines.find('\n');
    scenario::apply_override(doc, std::string(lines.substr(0, newline)), "fuzz.json");
    if (newline == std::string_view::npos) break;
    lines.remove_prefix(newline + 1);
  }
}

}  // namespace fabricsim::fuzz
