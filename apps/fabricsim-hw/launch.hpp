// --launch-local N: runs every rank of a job as a child process on this host (a free loopback
// port as coordinator), waits for all of them and reports each one that failed.
#pragma once

#include "apps/fabricsim-hw/options.hpp"

namespace fabricsim::hw_app {

// Returns 0 when every rank exited 0, else 1 (after naming each failed rank on stderr).
int launch_local(const HwOptions& options);

}  // namespace fabricsim::hw_app
