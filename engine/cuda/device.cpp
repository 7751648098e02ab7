// cuda_device_present: does the CUDA runtime load and see a GPU? Never throws. select_rank_device:
// a data-parallel rank's GPU.
#include <cuda_runtime_api.h>

#include <string>

#include "engine/cuda/cuda_backend.h"
#include "kernels/common/error.h"
#include "kernels/cuda_check.h"

namespace senti {

bool cuda_device_present(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the (non-sticky) error
    if (why) *why = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
    return false;
  }
  if (count <= 0) {
    if (why) *why = "no CUDA-capable device is detected";
    return false;
  }
  if (why) why->clear();
  return true;
}

void select_rank_device(int local_rank) {
  int count = 0;
  SENTI_CUDA_CHECK(cudaGetDeviceCount(&count));
  SENTI_CHECK(count > 0 && local_rank >= 0, "no CUDA device for local rank ", local_rank);
  // More ranks than GPUs share them round-robin (NCCL refuses two ranks of one communicator on
  // one GPU, so such a job fails at its communicator with NCCL's message).
  SENTI_CUDA_CHECK(cudaSetDevice(local_rank % count));
}

}  // namespace senti
