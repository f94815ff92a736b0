// Time-series probes: registers the metrics a scenario's "outputs" asks for on a sim::Sampler.
#pragma once

#include "models/fabric.hpp"
#include "scenario/scenario.hpp"
#include "sim/stats.hpp"
#include "sim/time.hpp"

namespace fabricsim::scenario {

// Adds one probe per requested metric to `sampler`. The probes keep references to `fabric`,
// which must outlive the sampler's run.
void add_probes(sim::Sampler& sampler, models::Fabric& fabric, const OutputSpec& outputs,
                sim::Time interval);

}  // namespace fabricsim::scenario
