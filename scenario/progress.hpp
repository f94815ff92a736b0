// The progress line of a long run on a terminal: simulated time, events/s, work done, ETA.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "sim/simulator.hpp"
#include "sim/time.hpp"

namespace fabricsim::scenario {

// One line of text (no newline): "simulated 1.2 ms [of 5 ms, 24%], 3.1e+06 events/s,
// <detail>, ETA 4 s". The part in brackets and the ETA need a finite `stop_at`; `detail`
// (e.g. "flows 12/256") is left out when empty.
std::string progress_text(sim::Time simulated, sim::Time stop_at, double events_per_second,
                          double wall_seconds, const std::string& detail);

// Redraws the line on `out` (carriage return, no newline) every few hundred milliseconds of
// wall time while the simulator runs, and erases it on finish() or destruction. Reads the
// wall clock only to decide when to print: the simulation does not depend on it.
class ProgressLine {
 public:
  // `detail` is called at each redraw (may be empty). The simulator must outlive this object.
  ProgressLine(sim::Simulator& sim, sim::Time stop_at, std::function<std::string()> detail,
               std::FILE* out = stderr);
  ~ProgressLine() { finish(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void finish();

 private:
  void redraw(const sim::Simulator& sim);
  sim::Simulator& sim_;
  sim::Time stop_at_;
  std::function<std::string()> detail_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace fabricsim::scenario
