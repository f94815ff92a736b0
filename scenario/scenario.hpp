// A scenario: what to simulate (topology + model overrides + workload + outputs + seed + stop
// time), parsed and validated from JSON. Errors are topologies::ConfigError naming the file,
// the JSON path, the value and what was expected; unknown keys are errors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/size_cdf.hpp"
#include "scenario/straggler.hpp"
#include "sim/time.hpp"
#include "topologies/spec.hpp"

namespace fabricsim::scenario {

enum class WorkloadKind { kTraffic, kFlows, kCollective, kTrainingStep };
enum class TrafficPattern { kPermutation, kIncast, kAllToAll, kUniform };

struct FlowSpec {
  std::uint32_t src = 0;
  std::uint32_t dst = 0;
  std::uint64_t bytes = 0;
  sim::Time start;
};

struct TrafficSpec {
  TrafficPattern pattern = TrafficPattern::kPermutation;
  std::uint64_t flow_size = 0;  // fixed size, unless cdf has points
  SizeCdf cdf;
  sim::Time start;
  std::uint32_t incast_senders = 16;  // incast: senders 1..N into the receiver
  std::uint32_t incast_receiver = 0;
  std::uint32_t flows_per_host = 1;  // uniform: flows each host starts
  double load = 0.5;                 // uniform: offered load per host (Poisson arrivals)
};

struct CollectiveSpec {
  std::string op = "allreduce";
  std::string algorithm = "ring";
  std::uint64_t bytes = 0;
  std::vector<std::uint32_t> ranks;  // GPU ids; empty = all
  // "auto": the tuner chooses (workloads/nccl); otherwise a library algorithm.
  // Protocol: "default" (the GPU preset's, gpu.nccl.protocol), "auto", "ideal", "LL",
  // "LL128" or "Simple".
  std::string protocol = "default";
  std::uint32_t channels = 0;  // 0 ("auto"): 1 with the ideal protocol, else the tuner's
  // Largest message before the algorithm pipelines in slices (NCCL-like); 0 ("none"): never.
  std::uint64_t slice_bytes = 1ULL << 20;
  bool slice_given = false;  // else the protocol's step size (1 MiB with the ideal one)
  std::uint32_t iterations = 1;
  std::string dtype = "float32";
};

// A named family of GPU groups for a training step: explicit lists, or groups of `size` GPUs
// `stride` apart tiling every GPU (stride 1: consecutive blocks such as tensor parallelism
// inside a node; stride = the TP size: data parallelism across nodes).
struct GroupFamily {
  std::string name;
  std::vector<std::vector<std::uint32_t>> lists;  // explicit groups, when not empty
  std::uint32_t size = 0;
  std::uint32_t stride = 1;
};

// One phase of a training step: a compute gap on every GPU, or a collective run at once on
// every group of a family (or on `collective.ranks`, or on all GPUs). It starts when every
// phase in `after` has ended.
struct PhaseSpec {
  std::string name;
  bool compute = false;
  sim::Time duration;              // compute phases
  CollectiveSpec collective;       // collective phases (iterations 1)
  std::string group;               // a GroupFamily name; empty: collective.ranks
  std::vector<std::size_t> after;  // indices of earlier phases
};

struct TrainingStepSpec {
  std::vector<GroupFamily> groups;
  std::vector<PhaseSpec> phases;
};

struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::kTraffic;
  TrafficSpec traffic;
  std::vector<FlowSpec> flows;
  CollectiveSpec collective;
  TrainingStepSpec training;
};

// A port selected for the per-port time series: one switch port, or every port of a switch.
struct PortSelector {
  std::uint32_t switch_index = 0;
  std::uint32_t port = kAllPorts;
  static constexpr std::uint32_t kAllPorts = ~0U;
};

// Which switch ports the per-port time series (timeseries_ports.csv) records.
enum class PortSet {
  kAuto,  // every switch port when there are at most max_ports, else none (with a warning)
  kAll,   // every switch port; more than max_ports is an error
  kNone,
  kList,  // the selectors in OutputSpec::ports
};

struct OutputSpec {
  sim::Time timeseries_interval;     // zero = no time series
  std::vector<std::string> metrics;  // fabric-wide columns of timeseries.csv
  PortSet port_set = PortSet::kAuto;
  std::vector<PortSelector> ports;  // port_set == kList
  std::uint32_t max_ports = 4096;
  bool qps = false;  // per-QP rates to timeseries_qps.csv
  bool trace = false;
  bool flows = false;  // flows.csv: one row per completed flow (traffic and flows workloads)
};

// The metric names "outputs.timeseries.metrics" accepts, in a stable order.
const std::vector<std::string>& known_metrics();

struct Scenario {
  std::string source;  // file path or label, for messages
  std::string name;
  std::uint64_t seed = 1;
  sim::Time stop_at = sim::Time::max();
  // Threads of a parallel run when the caller does not choose (RunOptions::threads 0); the
  // results do not depend on it.
  unsigned threads = 1;
  topologies::TopologySpec topology;
  WorkloadSpec workload;
  OutputSpec outputs;
  // Straggler GPUs (scenario/straggler.hpp). Temporary home until the faults section holds them
  // (scenario.faults.stragglers); not read from the JSON here.
  std::vector<Straggler> stragglers;
  nlohmann::json document;  // the scenario as given (after --set overrides)
};

// Applies "a.b.c=VALUE" to a JSON document: VALUE is parsed as JSON when it is valid JSON
// (numbers, true/false, arrays, quoted strings), otherwise taken as a string ("400Gbps").
// Intermediate objects are created; a path through a non-object is a ConfigError.
void apply_override(nlohmann::json& doc, const std::string& assignment, const std::string& source);

// Parses a scenario document; `base_dir` resolves a topology path given as a string.
Scenario parse_scenario(nlohmann::json doc, const std::string& source, const std::string& base_dir);
// Reads and parses a scenario file, applying `overrides` ("a.b=v") first. An override of
// "topology.*" on a scenario whose topology is a file path inlines that file's object first.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

// The resolved configuration (every default filled in), written as config.json.
nlohmann::json resolved_config(const Scenario& scenario);

const char* workload_kind_name(WorkloadKind kind);
const char* pattern_name(TrafficPattern pattern);

}  // namespace fabricsim::scenario
