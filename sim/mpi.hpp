// Distributed runs over MPI: process setup and the Exchange of sim::ParallelEngine's
// run_distributed as MPI collectives. Available when the build found MPI (FABRICSIM_HAVE_MPI);
// otherwise the same functions report that the feature is off.
#pragma once

#include <memory>
#include <string>

#include "sim/parallel.hpp"

namespace fabricsim::sim::mpi {

// True when this build has MPI.
bool available();
// The number of processes mpirun (Open MPI, or any launcher setting PMI_SIZE) started this one
// in, read from the environment without initialising MPI; 1 when not launched so.
int launched_size();
// Initialises MPI (once; finalised at exit). Throws std::runtime_error with a clear message when
// the build has no MPI.
void init();
// MPI_COMM_WORLD's rank and size (after init()).
int rank();
int size();
// The exchange of a distributed run over MPI_COMM_WORLD (after init()).
std::unique_ptr<Exchange> world_exchange();
// Why distributed runs are unavailable, for messages.
std::string unavailable_reason();

}  // namespace fabricsim::sim::mpi
