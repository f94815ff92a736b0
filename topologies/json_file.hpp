// Reading JSON text and files for configs: every failure is a ConfigError naming the file (no
// nlohmann or iostream exception escapes), and nesting is limited so that no later recursive
// walk of the document (validation, merge, dump) can exhaust the stack.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fabricsim::topologies {

inline constexpr int kMaxJsonDepth = 64;

// Parses `text`; `source` names it in messages ("FILE: not valid JSON: ...").
nlohmann::json parse_json_text(std::string_view text, const std::string& source);

// True when `path` names a regular file (or a link to one) that can be opened for reading.
bool readable_file(const std::string& path);

// Reads and parses a file: "PATH: cannot open file", "PATH: is a directory, not a JSON file",
// or the parse errors of parse_json_text.
nlohmann::json read_json_file(const std::string& path);

// A short form of a value for messages: compact JSON cut to about 80 characters, containers
// shown to a small depth only (safe for any document).
std::string preview(const nlohmann::json& value);

}  // namespace fabricsim::topologies
