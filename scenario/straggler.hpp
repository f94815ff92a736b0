// Straggler GPUs of a scenario's faults: slower compute, kernel launch or reduction by a factor,
// or a stall; parsed from JSON and applied to the sim transport, which every collective and
// training-step run on it then charges (workloads/transports/sim/gpu_slowdown.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/time.hpp"
#include "topologies/config_error.hpp"

namespace fabricsim::workloads {
class SimNetwork;
}

namespace fabricsim::scenario {

// Factors >= 1 make the GPU slower: a training step's compute phases last compute_factor x their
// duration on it (a compute phase ends with its slowest GPU), its collective kernel launch
// latency (gpu.launch_latency) is launch_factor x as long, its reductions reduce_factor x as
// long (gpu.reduce_bandwidth / factor). The factors apply to work that starts in [from, until).
// During [stall_at, stall_at + stall_for) the GPU starts no send, reduction, copy, launch or
// compute and hears of no completion: all of it waits for the stall's end.
struct Straggler {
  std::uint32_t gpu = 0;
  double compute_factor = 1.0;
  double launch_factor = 1.0;
  double reduce_factor = 1.0;
  sim::Time stall_at;
  sim::Time stall_for;  // zero = no stall
  sim::Time from = sim::Time::zero();
  sim::Time until = sim::Time::max();
};

// `list`: [{ "gpu": 3, "compute": 2.0, "launch": 1.5, "reduce": 4.0,
//            "stall": { "at": "100us", "for": "50us" }, "from": "0us", "until": "1ms" }, ...]
// (all but "gpu" optional). Throws topologies::ConfigError at `at`/i/KEY naming the value for an
// unknown key, a GPU id >= gpu_count or listed twice, a factor below 1, above 1e6 or not
// finite, a negative time, or until <= from.
std::vector<Straggler> parse_stragglers(const nlohmann::json& list,
                                        const topologies::JsonLocation& at,
                                        std::uint32_t gpu_count);

// The list as parse_stragglers reads it, every field written (for config.json).
nlohmann::json stragglers_json(const std::vector<Straggler>& stragglers);

// Makes each straggler's GPU slow on `network`, for every collective and training step run on
// it. Before those runs start; nothing at all when `stragglers` is empty. Throws
// std::invalid_argument for a GPU the network lacks.
void apply_stragglers(workloads::SimNetwork& network, const std::vector<Straggler>& stragglers);

}  // namespace fabricsim::scenario
