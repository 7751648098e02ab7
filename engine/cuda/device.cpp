// cuda_device_present: does the CUDA runtime load and see a GPU? Never throws.
#include <cuda_runtime_api.h>

#include <string>

#include "engine/cuda/cuda_backend.h"

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

}  // namespace senti
