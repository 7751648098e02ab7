#pragma once
// The CUDA backend's one collective (docs/distributed.md): the sum over the ranks of a data-
// parallel job of the step's flat gradient (ParamLayout floats) and of the sparse embedding norm's
// sum (one double), on the compute stream after the backward and before clipping, so every rank
// clips and steps with the global batch's gradient. Two implementations, chosen by the build as
// engine/cuda/gemm.h's are:
//   device_allreduce_nccl.cpp  real GPU: NCCL (the unique id broadcast over the Collective, one
//                              communicator, ncclAllReduce on the stream: capturable in a CUDA
//                              graph); waits poll ncclCommGetAsyncError, so a dead peer becomes an
//                              error (and the communicator is aborted) instead of a hang
//   device_allreduce_host.cpp  emulated device: the NCCL stand-in, Collective::allreduce_sum (MPI)
//                              on the buffers (device memory is host memory there), queued in
//                              stream order like the other stand-ins (so capturable too)
// Plain C++: nccl.h does not leak out of it.
#include <cstddef>
#include <memory>
#include <string>

#include <cuda_runtime_api.h>

#include "engine/collective/collective.h"

namespace senti::cuda {

class DeviceAllreduce {
 public:
  // Collective: every rank makes it at the same point (NCCL: rank 0's unique id is broadcast
  // and the communicator is initialised). The current device must be this rank's
  // (select_rank_device, engine/cuda/cuda_backend.h). `world` and `stream` must outlive it.
  DeviceAllreduce(Collective& world, cudaStream_t stream);
  ~DeviceAllreduce();
  DeviceAllreduce(const DeviceAllreduce&) = delete;
  DeviceAllreduce& operator=(const DeviceAllreduce&) = delete;

  // Queues on the stream the in-place sums over the ranks of grads [n] and, when not null, of
  // sumsq [1] (device memory). Every rank queues the same calls in the same order.
  void sum(float* grads, size_t n, double* sumsq);

  // Blocks until the work queued on the stream so far has run. NCCL: polls, and throws a
  // senti::Error (after aborting the communicator) when NCCL reports an asynchronous error or the
  // wait exceeds SENTI_NCCL_TIMEOUT_S seconds (default 60): a rank that died or stopped stepping.
  void synchronize();

  // Called after each train step is queued (outside any graph capture): bounds how far the host
  // runs ahead of the collective. NCCL: waits, as synchronize(), for the step queued before this
  // one (the device always has this step to run meanwhile). Stand-in: synchronises the stream,
  // so the stand-in's MPI call runs inside this train_step: every rank then makes its MPI calls
  // (the stand-in's and the host's own, e.g. the trainer's metrics) in the host program's order.
  void step_queued();

  // "NCCL 2.28.9" / "MPI stand-in (emulated device)".
  std::string describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace senti::cuda
