#pragma once
// The processes of one data-parallel run and what they do together (docs/distributed.md).
//
// One small interface, three implementations:
//   SingleProcess  the default: rank 0 of 1, every operation a no-op (a run without a launcher)
//   MpiCollective  Open MPI over host buffers (engine/collective/mpi_collective.cpp): the CPU
//                  backend's gradient, every rank's metrics, the NCCL unique id
//   device_allreduce (engine/cuda/device_allreduce.h): NCCL over device buffers on a real GPU,
//                  this interface's allreduce on the emulated device (the NCCL stand-in)
// Both backends call allreduce_sum on their one flat gradient buffer once per optimizer step; the
// trainer uses the rest. Every call is collective: every rank makes the same calls in the same
// order, or the job hangs (MPI semantics) — so nothing here may depend on wall-clock time.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace senti {

// Who launched this process and where it sits: read from the launcher's environment
// (launch_env.h). size 1 = no launcher.
struct LaunchInfo {
  int rank = 0;        // 0 .. size-1
  int size = 1;        // processes in the job
  int local_rank = 0;  // index among the processes on this machine (picks the GPU)
  std::string launcher = "none";  // "mpirun (Open MPI)", "srun (Slurm)", "torchrun", "none"
};

class Collective {
 public:
  virtual ~Collective() = default;
  virtual const LaunchInfo& info() const = 0;
  int rank() const { return info().rank; }
  int size() const { return info().size; }
  bool distributed() const { return info().size > 1; }

  // In-place sums over all ranks of host buffers; every rank ends with the same bits.
  virtual void allreduce_sum(float* data, size_t n) = 0;
  virtual void allreduce_sum(double* data, size_t n) = 0;
  // Copies `bytes` bytes of rank `root`'s buffer into every rank's.
  virtual void broadcast(void* data, size_t bytes, int root) = 0;
  virtual void barrier() = 0;
  // Ends every process of the job with `code` (MPI_Abort): a rank that fails must not leave the
  // others waiting in a collective. Returns only for a single process.
  virtual void abort_job(int code) = 0;
  // "1 process" / "3 processes (mpirun (Open MPI), MPI 3.1)"
  virtual std::string describe() const = 0;

  // What the allreduces of this process cost so far: wall time inside them (waiting for slower
  // ranks included) and bytes summed. The trainer reports an epoch's share (docs/distributed.md).
  struct Traffic {
    double seconds = 0;
    double bytes = 0;
  };
  virtual Traffic traffic() const { return {}; }
};

// Rank 0 of 1: the behaviour of a run without a launcher.
std::shared_ptr<Collective> single_process();

// The collective of this process: single_process() when the environment names no launcher (or a
// world of 1), else MPI, initialised once (MPI_Init_thread) and finalised at exit. Throws a
// senti::Error naming the variables when the launcher's world and MPI's disagree (torchrun's
// RANK/WORLD_SIZE without an MPI launcher: senti's collectives run on MPI) or when this build has
// no MPI. The first call decides; later calls return the same object.
std::shared_ptr<Collective> world_collective();
// The collective world_collective() made, or null when it was never called (or failed): for the
// CLI's error handler, which ends a distributed job without starting MPI for a failed flag.
std::shared_ptr<Collective> existing_world_collective();

}  // namespace senti
