#pragma once
// Status macros for the vendor libraries the CUDA backend calls (cuBLAS, cuDNN), built on the same
// throw helper as SENTI_CUDA_CHECK (kernels/cuda_check.h). cuDNN errors append
// cudnnGetLastErrorString's detail.
#include <cublas_v2.h>
#include <cudnn.h>

#include "kernels/cuda_check.h"

namespace senti::cuda_detail {

[[noreturn]] inline void throw_cublas(cublasStatus_t s, const char* call, const char* file,
                                      int line) {
  throw_status(call, file, line, cublasGetStatusName(s), cublasGetStatusString(s));
}

[[noreturn]] inline void throw_cudnn(cudnnStatus_t s, const char* call, const char* file,
                                     int line) {
  char detail[1024] = {0};
  cudnnGetLastErrorString(detail, sizeof(detail));
  throw_status(call, file, line, cudnnGetErrorString(s), detail);
}

}  // namespace senti::cuda_detail

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
