#pragma once
// Emulated CUDA device: profiler start/stop are accepted and do nothing (there is no profiler).
#include "cuda_runtime_api.h"

cudaError_t cudaProfilerStart();
cudaError_t cudaProfilerStop();
