// Config JSON reading with clear errors (see json_file.hpp).
#include "topologies/json_file.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "sim/units.hpp"
#include "topologies/config_error.hpp"

namespace fabricsim::topologies {
namespace {

constexpr std::size_t kPreviewChars = 80;

void preview_into(const nlohmann::json& v, int depth, std::string& out) {
  if (out.size() > kPreviewChars) return;
  if (!v.is_structured()) {
    out += v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // any bytes
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
      if (!array) {
        out += nlohmann::json(it.key()).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace) +
               ':';
      }
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

// Follows the parse to know the JSON pointer of the value being read and the keys each open
// object already has: a key given twice is an error (nlohmann would keep the last silently).
class ParseWatch {
 public:
  explicit ParseWatch(const std::string& source) : source_(source) {}

  bool operator()(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (depth > kMaxJsonDepth) {
      throw ConfigError(
          fmt::format("{}: JSON nested deeper than {} levels (no config needs that many)", source_,
                      kMaxJsonDepth));
    }
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        count_element();
        frames_.push_back({event == Event::array_start, 0, {}, {}});
        break;
      case Event::object_end:
      case Event::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case Event::key: {
        Frame& f = frames_.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second) {
          throw ConfigError(fmt::format(
              "{}: {}: key \"{}\" given twice in the same object: expected each key once", source_,
              pointer(), f.key));
        }
        break;
      }
      case Event::value:
        count_element();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool array = false;
    std::size_t next_index = 0;  // arrays: elements seen so far
    std::string key;             // objects: the key being read
    std::set<std::string> keys;
  };

  void count_element() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().next_index;
  }

  std::string pointer() const {
    std::string out;
    for (const Frame& f : frames_) {
      out += '/';
      if (f.array) {
        out += std::to_string(f.next_index == 0 ? 0 : f.next_index - 1);
      } else {
        for (const char c : f.key) {  // RFC 6901 escapes
          if (c == '~') {
            out += "~0";
          } else if (c == '/') {
            out += "~1";
          } else {
            out += c;
          }
        }
      }
    }
    return out;
  }

  const std::string& source_;
  std::vector<Frame> frames_;
};

}  // namespace

nlohmann::json parse_json_text(std::string_view text, const std::string& source) {
  ParseWatch watch(source);
  auto callback = [&watch](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    return watch(depth, event, parsed);
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), callback);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(fmt::format("{}: not valid JSON: {}", source, without_tag(e.what())));
  }
}

bool readable_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  return std::ifstream(path).good();
}

std::string input_file_problem(const std::string& path, std::uint64_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return "cannot open file (it does not exist)";
  if (std::filesystem::is_directory(status)) return "is a directory, not a file";
  if (!std::filesystem::is_regular_file(status)) {
    return "is not a regular file (a device, pipe or socket): expected a file";
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return "cannot read its size: " + ec.message();
  if (size > max_bytes) {
    return fmt::format("is {} bytes, larger than the {} a config file may be", size,
                       sim::format_bytes(max_bytes));
  }
  return {};
}

nlohmann::json read_json_file(const std::string& path) {
  if (const std::string problem = input_file_problem(path); !problem.empty()) {
    throw ConfigError(fmt::format("{}: {}", path, problem));
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
