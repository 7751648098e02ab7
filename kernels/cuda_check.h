#pragma once
// One macro family for every CUDA-side status: cudaError_t, cublasStatus_t and cudnnStatus_t.
// Each throws senti::Error("file:line: <call> failed: <name>: <string>") so tests and the CLI
// report where a call failed. cuDNN errors append cudnnGetLastErrorString's detail.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "kernels/common/error.h"

namespace senti::cuda_detail {

[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  throw ::senti::Error(::senti::detail::concat(file, ":", line, ": ", call, " failed: ",
                                               cudaGetErrorName(e), ": ", cudaGetErrorString(e)));
}

[[noreturn]] inline void throw_cublas(cublasStatus_t s, const char* call, const char* file,
                                      int line) {
  throw ::senti::Error(::senti::detail::concat(file, ":", line, ": ", call, " failed: ",
                                               cublasGetStatusName(s), ": ",
                                               cublasGetStatusString(s)));
}

[[noreturn]] inline void throw_cudnn(cudnnStatus_t s, const char* call, const char* file,
                                     int line) {
  char detail[1024] = {0};
  cudnnGetLastErrorString(detail, sizeof(detail));
  throw ::senti::Error(::senti::detail::concat(file, ":", line, ": ", call, " failed: ",
                                               cudnnGetErrorString(s),
                                               detail[0] ? " (" : "", detail,
                                               detail[0] ? ")" : ""));
}

}  // namespace senti::cuda_detail

#define SENTI_CUDA_CHECK(call)                                                          \
  do {                                                                                  \
    const cudaError_t senti_e_ = (call);                                                \
    if (senti_e_ != cudaSuccess)                                                        \
      ::senti::cuda_detail::throw_cuda(senti_e_, #call, __FILE__, __LINE__);            \
  } while (0)

// After a kernel launch: reports launch-configuration errors without synchronising.
#define SENTI_CUDA_CHECK_LAUNCH() SENTI_CUDA_CHECK(cudaGetLastError())

#define SENTI_CUBLAS_CHECK(call)                                                        \
  do {                                                                                  \
    const cublasStatus_t senti_s_ = (call);                                             \
    if (senti_s_ != CUBLAS_STATUS_SUCCESS)                                              \
      ::senti::cuda_detail::throw_cublas(senti_s_, #call, __FILE__, __LINE__);          \
  } while (0)

#define SENTI_CUDNN_CHECK(call)                                                         \
  do {                                                                                  \
    const cudnnStatus_t senti_s_ = (call);                                              \
    if (senti_s_ != CUDNN_STATUS_SUCCESS)                                               \
      ::senti::cuda_detail::throw_cudnn(senti_s_, #call, __FILE__, __LINE__);           \
  } while (0)
