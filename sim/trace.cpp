// Chrome trace-event JSON writer (see trace.hpp). Timestamps are in microseconds.
#include "sim/trace.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include "sim/output_file.hpp"

namespace fabricsim::sim {
namespace {
std::string quoted(std::string_view s) {
  return nlohmann::json(std::string(s)).dump();
}
std::string micros(Time t) {
  return fmt::format("{:.6f}", t.microseconds());
}
}  // namespace

TraceWriter::TraceWriter(const std::string& path) : path_(path), out_(path) {
  if (!out_) throw std::runtime_error(fmt::format("cannot open trace file \"{}\"", path));
  out_ << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
}

TraceWriter::~TraceWriter() {
  if (closed_) return;
  closed_ = true;  // finished but not checked here: close() is the call that reports errors
  out_ << "\n]}\n";
  out_.close();
}

void TraceWriter::begin_event() {
  if (count_++ > 0) out_ << ",\n";
}

void TraceWriter::complete(std::string_view name, std::string_view category, std::uint32_t pid,
                           std::uint32_t tid, Time start, Time duration) {
  begin_event();
  out_ << fmt::format(R"({{"name":{},"cat":{},"ph":"X","pid":{},"tid":{},"ts":{},"dur":{}}})",
                      quoted(name), quoted(category), pid, tid, micros(start), micros(duration));
}

void TraceWriter::instant(std::string_view name, std::string_view category, std::uint32_t pid,
                          std::uint32_t tid, Time at) {
  begin_event();
  out_ << fmt::format(R"({{"name":{},"cat":{},"ph":"i","s":"t","pid":{},"tid":{},"ts":{}}})",
                      quoted(name), quoted(category), pid, tid, micros(at));
}

void TraceWriter::counter(std::string_view name, std::uint32_t pid, Time at, double value) {
  begin_event();
  out_ << fmt::format(R"({{"name":{},"ph":"C","pid":{},"ts":{},"args":{{"value":{}}}}})",
                      quoted(name), pid, micros(at), value);
}

void TraceWriter::process_name(std::uint32_t pid, std::string_view name) {
  begin_event();
  out_ << fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"args":{{"name":{}}}}})", pid,
                      quoted(name));
}

void TraceWriter::thread_name(std::uint32_t pid, std::uint32_t tid, std::string_view name) {
  begin_event();
  out_ << fmt::format(R"({{"name":"thread_name","ph":"M","pid":{},"tid":{},"args":{{"name":{}}}}})",
                      pid, tid, quoted(name));
}

void TraceWriter::close() {
  if (closed_) return;
  closed_ = true;
  out_ << "\n]}\n";
  errno = 0;
  out_.close();
  if (!out_) {
    const int error = errno;
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    throw OutputError(fmt::format("{}: cannot write: {}", path_,
                                  error != 0 ? std::strerror(error) : "write failed"));
  }
}

}  // namespace fabricsim::sim
