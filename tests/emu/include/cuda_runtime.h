#pragma once
// Emulated CUDA device (tests/emu; docs/testing.md): <cuda_runtime.h> for g++. The runtime API,
// the CUDA language subset the kernels use (senti_emu/device.h) and the C++ conveniences of the
// toolkit's header (templated cudaMalloc and cudaFuncSetAttribute).
#include "cuda_runtime_api.h"
#include "senti_emu/device.h"
#include "vector_functions.h"

template <typename T>
cudaError_t cudaMalloc(T** ptr, size_t size) {
  return ::cudaMalloc(reinterpret_cast<void**>(ptr), size);
}
template <typename T>
cudaError_t cudaMallocHost(T** ptr, size_t size) {
  return ::cudaMallocHost(reinterpret_cast<void**>(ptr), size);
}
template <typename T>
cudaError_t cudaHostAlloc(T** ptr, size_t size, unsigned int flags) {
  return ::cudaHostAlloc(reinterpret_cast<void**>(ptr), size, flags);
}
template <typename T>
cudaError_t cudaFuncSetAttribute(T* entry, cudaFuncAttribute attr, int value) {
  return ::cudaFuncSetAttribute(reinterpret_cast<const void*>(entry), attr, value);
}
