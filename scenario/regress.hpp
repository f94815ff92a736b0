// The regression gate: runs a suite of cases (collectives over sizes on a topology, or traffic
// scenarios) in simulation, checks every collective byte for byte on the local transport, and
// compares completion times with a baseline file. See README "Regression gate".
//
// Suite (fabricsim.regress-suite/1), paths relative to the suite file:
//   { "name": "collectives", "cases": [
//       { "name": "ring_8", "topology": "topo.json" | {...}, "models": {...},
//         "collective": { "op": "allreduce", "algorithm": "ring", "ranks": "all" | [..],
//                         "channels": 1, "slice": "1MiB", "dtype": "float32" },
//         "sizes": ["64KiB", "1MiB"], "check_data": true },
//       { "name": "incast", "scenario": "incast.json", "set": ["a.b=v"] } ] }
// Baseline (fabricsim.regress-baseline/1): { "suite": NAME, "points": { ID: { "time_ps": N,
// "busbw_GBps": X } } }, ID = "case/size" for collectives and "case" for scenarios.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fabricsim::scenario {

enum class Verdict {
  kOk,         // within tolerance of the baseline
  kSlower,     // time above baseline x (1 + tolerance): a regression
  kFaster,     // time below baseline x (1 - tolerance): reported, taken only with --update
  kWrongData,  // the local transport's byte check failed
  kMissing,    // in the baseline, not in the suite
  kNew,        // in the suite, not in the baseline (run --update to record it)
  kError,      // the case could not run (deadlock, bad schedule)
};
const char* verdict_name(Verdict verdict);
// Whether a verdict fails the gate.
bool fails(Verdict verdict);

struct PointResult {
  std::string id;
  Verdict verdict = Verdict::kOk;
  bool has_baseline = false;
  std::int64_t baseline_ps = 0;
  std::int64_t now_ps = 0;    // simulated completion time (collective: one iteration)
  double busbw_GBps = 0.0;    // collectives only
  double change = 0.0;        // (now - baseline) / baseline
  bool data_checked = false;  // ran on the local transport and compared byte for byte
  std::string detail;         // the data mismatch or the error
  double wall_seconds = 0.0;  // measured; not part of the verdict
};

struct RegressOptions {
  std::string suite_path;
  std::string baseline_path;
  double tolerance = 0.02;
  bool update = false;  // write the baseline from this run (not when data is wrong)
  unsigned jobs = 1;    // cases run in parallel
};

struct RegressReport {
  std::string suite_name;
  double tolerance = 0.02;
  std::vector<PointResult> points;  // suite order, then baseline-only points
  bool baseline_written = false;
  // 0 when no point fails the gate, else 1.
  int exit_code() const;
};

// Throws topologies::ConfigError for a bad suite or baseline file (naming file and path).
RegressReport run_regression(const RegressOptions& options);

// The table a terminal shows: id, baseline, now, change, verdict (and the detail of failures).
std::string report_table(const RegressReport& report);
// JUnit XML: one testsuite, one testcase per point; failures for failing verdicts.
std::string junit_xml(const RegressReport& report);

}  // namespace fabricsim::scenario
