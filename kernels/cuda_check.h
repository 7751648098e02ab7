#pragma once
// The CUDA runtime's status macros: every cudaError_t check in senti goes through SENTI_CUDA_CHECK,
// which throws senti::Error("file:line: <call> failed: <name>: <string>") so tests and the CLI
// report where a call failed. Needs only the runtime API header, so kernels, the engine and the
// emulated device (tests/emu) share it. cuBLAS and cuDNN statuses: engine/cuda/library_check.h,
// built on the same throw helper.
#include <cuda_runtime_api.h>

#include "kernels/common/error.h"

namespace senti::cuda_detail {

// The one throw helper for every CUDA-side status: "file:line: call failed: name: detail".
[[noreturn]] inline void throw_status(const char* call, const char* file, int line,
                                      const char* name, const char* detail) {
  throw ::senti::Error(::senti::detail::concat(file, ":", line, ": ", call, " failed: ", name,
                                               detail && detail[0] ? ": " : "",
                                               detail ? detail : ""));
}

[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  throw_status(call, file, line, cudaGetErrorName(e), cudaGetErrorString(e));
}

}  // namespace senti::cuda_detail

#define SENTI_CUDA_CHECK(call)                                                          \
  do {                                                                                  \
    const cudaError_t senti_e_ = (call);                                                \
    if (senti_e_ != cudaSuccess)                                                        \
      ::senti::cuda_detail::throw_cuda(senti_e_, #call, __FILE__, __LINE__);            \
  } while (0)

// After a kernel launch: reports launch-configuration errors without synchronising.
// (kernels/launch.cuh does this, with the caller's file:line, for every launch it makes.)
#define SENTI_CUDA_CHECK_LAUNCH() SENTI_CUDA_CHECK(cudaGetLastError())
