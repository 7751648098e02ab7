#pragma once
// Which launcher started this process, and this process's place in the job, from the variables
// the launchers set (docs/distributed.md lists them). The one reader of those variables.
#include <functional>
#include <string>

#include "engine/collective/collective.h"

namespace senti {

// Reads, in this order of precedence:
//   Open MPI (mpirun)   OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_LOCAL_RANK
//   Slurm (srun)        SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_LOCALID — only inside a job
//                       step (srun sets SLURM_STEP_NUM_TASKS; a batch script's own shell has
//                       SLURM_NTASKS of the whole allocation and is one process)
//   MPICH's Hydra       PMI_RANK, PMI_SIZE (local rank: MPI_LOCALRANKID, else 0)
//   torchrun            RANK, WORLD_SIZE, LOCAL_RANK
// A launcher whose variables are partly set or not integers in range is an error naming the
// variable. `getenv` is the environment (tests pass their own).
LaunchInfo read_launch_env(const std::function<const char*(const char*)>& getenv);
LaunchInfo read_launch_env();

}  // namespace senti
