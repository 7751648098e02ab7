#pragma once
// The MPI implementation of Collective (Open MPI from Debian; any MPI-3 library works): host
// buffers only — Debian's Open MPI is not CUDA-aware, the CUDA backend's gradient goes through
// NCCL (engine/cuda/device_allreduce.h).
#include <memory>

#include "engine/collective/collective.h"

namespace senti {

// Initialises MPI (MPI_THREAD_FUNNELED: only the main thread calls it) and checks that MPI's world
// is the launcher's `env` (same rank and size), else throws naming both. MPI_Finalize runs at exit.
std::shared_ptr<Collective> make_mpi_collective(const LaunchInfo& env);

}  // namespace senti
