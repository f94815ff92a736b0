// Config JSON reading with clear errors (see json_file.hpp).
#include "topologies/json_file.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "topologies/config_error.hpp"

namespace fabricsim::topologies {
namespace {

constexpr std::size_t kPreviewChars = 80;

void preview_into(const nlohmann::json& v, int depth, std::string& out) {
  if (out.size() > kPreviewChars) return;
  if (!v.is_structured()) {
    out += v.dump();
    return;
  }
  const bool array = v.is_array();
  out += array ? '[' : '{';
  if (depth >= 3 && !v.empty()) {
    out += "...";
  } else {
    bool first = true;
    for (auto it = v.begin(); it != v.end() && out.size() <= kPreviewChars; ++it) {
      if (!first) out += ',';
      first = false;
      if (!array) out += nlohmann::json(it.key()).dump() + ':';
      preview_into(*it, depth + 1, out);
    }
  }
  out += array ? ']' : '}';
}

// nlohmann's messages start with "[json.exception.parse_error.101] ": keep what follows.
std::string without_tag(const char* what) {
  std::string_view text(what);
  if (!text.empty() && text.front() == '[') {
    const auto end = text.find("] ");
    if (end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

}  // namespace

nlohmann::json parse_json_text(std::string_view text, const std::string& source) {
  // The callback sees every value with its depth and stops the parse when it is too deep.
  auto limit_depth = [&source](int depth, nlohmann::json::parse_event_t /*event*/,
                               nlohmann::json& /*parsed*/) {
    if (depth > kMaxJsonDepth) {
      throw ConfigError(
          fmt::format("{}: JSON nested deeper than {} levels (no config needs that many)", source,
                      kMaxJsonDepth));
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit_depth);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(fmt::format("{}: not valid JSON: {}", source, without_tag(e.what())));
  }
}

bool readable_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  return std::ifstream(path).good();
}

nlohmann::json read_json_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(fmt::format("{}: is a directory, not a JSON file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot open file", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(fmt::format("{}: cannot read file", path));
  return parse_json_text(text.str(), path);
}

std::string preview(const nlohmann::json& value) {
  std::string out;
  preview_into(value, 0, out);
  if (out.size() > kPreviewChars + 3) {
    out.resize(kPreviewChars);
    out += "...";
  }
  return out;
}

}  // namespace fabricsim::topologies
