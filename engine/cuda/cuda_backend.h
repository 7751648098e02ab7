#pragma once
// The CUDA backend: custom kernels (kernels/) around cuDNN's LSTM. See engine/cuda/cuda_backend.cpp
// for the design (master parameters, streams, batch slots) and docs/profiling.md for its NVTX ranges.
#include <memory>
#include <string>

#include "engine/backend.h"

namespace senti {

// True when the CUDA runtime loads and reports at least one device; otherwise `why` (if given)
// says why not: the CUDA error string ("no CUDA-capable device is detected", "CUDA driver version
// is insufficient for CUDA runtime version", ...).
bool cuda_device_present(std::string* why);

// Creates the CUDA backend on the current device. Throws senti::Error if CUDA or cuDNN fails.
std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& opts);

}  // namespace senti
