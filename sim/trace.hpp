// Writes Chrome trace-event JSON (opens in Perfetto and chrome://tracing), streamed to a file
// so long runs do not hold the trace in memory.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "sim/time.hpp"

namespace fabricsim::sim {

class TraceWriter {
 public:
  // Opens `path` for writing; throws std::runtime_error naming the path if it cannot.
  explicit TraceWriter(const std::string& path);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // A span ("X" event) on process `pid`, thread `tid`.
  void complete(std::string_view name, std::string_view category, std::uint32_t pid,
                std::uint32_t tid, Time start, Time duration);
  // A point in time ("i" event).
  void instant(std::string_view name, std::string_view category, std::uint32_t pid,
               std::uint32_t tid, Time at);
  // A counter track ("C" event) with one value.
  void counter(std::string_view name, std::uint32_t pid, Time at, double value);
  // Names shown for a process or thread row.
  void process_name(std::uint32_t pid, std::string_view name);
  void thread_name(std::uint32_t pid, std::uint32_t tid, std::string_view name);
  // Finishes the JSON document; OutputError (and the file removed) if a write failed. The
  // destructor finishes it too, without the check.
  void close();
  std::uint64_t events_written() const { return count_; }

 private:
  void begin_event();
  std::string path_;
  std::ofstream out_;
  std::uint64_t count_ = 0;
  bool closed_ = false;
};

}  // namespace fabricsim::sim
