// libFuzzer target for the fabricsim-hw command line: the input is split on NUL or newline into
// words (argv without the program name) for parse_options, and its first word also goes to
// parse_sizes. Both may reject input only with hw_app::UsageError; any other exception, crash,
// sanitizer report, hang or large allocation is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "apps/fabricsim-hw/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fabricsim::hw_app;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> words;
  for (;;) {
    const auto end = input.find_first_of(std::string_view("\0\n", 2));
    words.emplace_back(input.substr(0, end));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  if (!words.empty() && words.back().empty()) words.pop_back();  // a trailing separator
  try {
    bool exact = false;
    if (!words.empty()) (void)parse_sizes(words.front(), exact);
  } catch (const UsageError&) {
    // Rejected with a message: the expected outcome for bad input.
  }
  try {
    (void)parse_options(words);
  } catch (const UsageError&) {
  }
  return 0;
}
