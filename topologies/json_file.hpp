// Reading JSON text and files for configs: every failure is a ConfigError naming the file (no
// nlohmann or iostream exception escapes), and nesting is limited so that no later recursive
// walk of the document (validation, merge, dump) can exhaust the stack.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fabricsim::topologies {

inline constexpr int kMaxJsonDepth = 64;

// Parses `text`; `source` names it in messages ("FILE: not valid JSON: ...").
nlohmann::json parse_json_text(std::string_view text, const std::string& source);

// True when `path` names a regular file (or a link to one) that can be opened for reading.
bool readable_file(const std::string& path);

// The largest config file (JSON, CDF) read: 64 MiB, a hundred times the largest shipped
// config; parsing it takes about 1 GiB, the most a refusal may cost.
inline constexpr std::uint64_t kMaxConfigFileBytes = 64ULL << 20;

// Why `path` cannot be read as a config file (missing, a directory, a device or pipe such as
// /dev/zero, larger than max_bytes), or "" when it can.
std::string input_file_problem(const std::string& path,
                               std::uint64_t max_bytes = kMaxConfigFileBytes);

// Reads and parses a file: "PATH: " + input_file_problem(), "PATH: cannot open file", or the
// parse errors of parse_json_text (which also refuses a key given twice in one object).
nlohmann::json read_json_file(const std::string& path);

// A short form of a value for messages: compact JSON cut to about 80 characters, containers
// shown to a small depth only (safe for any document).
std::string preview(const nlohmann::json& value);

}  // namespace fabricsim::topologies
