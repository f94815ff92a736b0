// The one exception type for bad user configuration (topology, scenario, command-line
// overrides). Its message names the file, the JSON pointer path, the offending value and what
// was expected, so scenario/ and apps/ can print what() as is and exit 1.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace fabricsim::topologies {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // Thrown by throw_config_error: the message is "FILE: PATH: DETAIL" and the parts are kept,
  // so that a caller that knows where a value was really written (a scenario's "models" block
  // merged into a topology) can report it there.
  ConfigError(std::string file, std::string path, std::string detail)
      : std::runtime_error(file + ": " + (path.empty() ? "/" : path) + ": " + detail),
        file_(std::move(file)),
        path_(std::move(path)),
        detail_(std::move(detail)) {}
  const std::string& file() const { return file_; }      // empty when not located
  const std::string& path() const { return path_; }      // JSON pointer
  const std::string& detail() const { return detail_; }  // what follows "FILE: PATH: "

 private:
  std::string file_;
  std::string path_;
  std::string detail_;
};

// Where a value came from: a file (or a label such as "<inline>") and a JSON pointer inside it.
struct JsonLocation {
  std::string file;
  std::string path;  // JSON pointer, "" for the document root

  JsonLocation child(std::string_view key) const { return {file, path + "/" + std::string(key)}; }
  JsonLocation index(std::size_t i) const { return {file, path + "/" + std::to_string(i)}; }
  std::string where() const { return file + ": " + (path.empty() ? "/" : path); }
};

// "FILE: /a/b: VALUE: EXPECTATION". value is shown as compact JSON (strings quoted).
[[noreturn]] void throw_config_error(const JsonLocation& at, const nlohmann::json& value,
                                     std::string_view expectation);
// "FILE: /a/b: EXPECTATION" for a missing value or a problem not tied to one value.
[[noreturn]] void throw_config_error(const JsonLocation& at, std::string_view expectation);

}  // namespace fabricsim::topologies
