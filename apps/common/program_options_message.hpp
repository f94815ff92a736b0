// The message of a Boost.Program_options error without Boost's substitution hang: Boost 1.74
// replaces the %-tokens of its message templates ("%canonical_option%", ...) in a loop that
// never ends when a word on the command line contains one (fuzz_hw_options found
// `--x%canonical_option%`).
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace fabricsim::apps {

// Parses `words` again with a \x01 after every '%' (no %-token survives in them and the parse
// fails the same way) and returns the error's message with the marks taken out. Call it
// from a `catch (const po::error&)` instead of what().
inline std::string program_options_message(
    const std::vector<std::string>& words,
    const boost::program_options::options_description& options,
    const boost::program_options::positional_options_description* positional = nullptr) {
  namespace po = boost::program_options;
  std::vector<std::string> marked;
  marked.reserve(words.size());
  for (const std::string& word : words) {
    std::string m;
    for (const char c : word) {
      m += c;
      if (c == '%') m += '\x01';
    }
    marked.push_back(std::move(m));
  }
  std::string message = "bad command line";
  try {
    po::variables_map vm;
    po::command_line_parser parser(marked);
    parser.options(options);
    if (positional != nullptr) parser.positional(*positional);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    message = e.what();
  }
  std::erase(message, '\x01');
  return message;
}

}  // namespace fabricsim::apps
