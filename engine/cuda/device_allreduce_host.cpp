// engine/cuda/device_allreduce.h for the emulated CUDA device: the NCCL stand-in. Device memory is
// host memory there, so Collective::allreduce_sum (MPI) sums the buffers in place; the call is
// queued through the emulator's stand-in queue, so it runs in stream order after the backward and
// is recorded into a CUDA graph like ncclAllReduce is on a GPU. Never built for a GPU.
#include "engine/cuda/device_allreduce.h"

#include <senti_emu/control.h>  // enqueue_standin

#include "kernels/cuda_check.h"

namespace senti::cuda {

struct DeviceAllreduce::Impl {
  Collective* world;
  cudaStream_t stream;
};

DeviceAllreduce::DeviceAllreduce(Collective& world, cudaStream_t stream)
    : impl_(std::make_unique<Impl>(Impl{&world, stream})) {}

DeviceAllreduce::~DeviceAllreduce() = default;

void DeviceAllreduce::sum(float* grads, size_t n, double* sumsq) {
  Collective* world = impl_->world;
  SENTI_CUDA_CHECK(emu::enqueue_standin(impl_->stream, "ncclAllReduce (MPI_Allreduce)", [=] {
    world->allreduce_sum(grads, n);
    if (sumsq) world->allreduce_sum(sumsq, 1);
  }));
}

void DeviceAllreduce::synchronize() { SENTI_CUDA_CHECK(cudaStreamSynchronize(impl_->stream)); }

// The emulator runs queued work only when the host synchronises: without this, a rank's stand-in
// could run at a later synchronisation than its peer's, after or before a host MPI call the peer
// makes in between, and the two ranks' MPI calls would no longer pair up.
void DeviceAllreduce::step_queued() { synchronize(); }

std::string DeviceAllreduce::describe() const { return "MPI stand-in (emulated device)"; }

}  // namespace senti::cuda
