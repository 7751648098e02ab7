#pragma once
// Row-major FP32 GEMM queued on a stream, the one place senti's own CUDA code calls a BLAS:
//   C (m, n) = op(A) · op(B) + beta · C,   op(X) = X or X^T
// Two implementations behind this header, chosen by the build:
//   gemm_cublas.cpp  cuBLAS (real GPU): FP32 math (no TF32), no atomics, so results are
//                    bit-identical run to run for a given GPU and shape
//   gemm_host.cpp    the emulated CUDA device (tests): OpenBLAS on the device buffers (device
//                    memory is host memory there), queued in stream order (graph-capturable)
// Plain C++: no CUDA library header leaks out of it.
#include <memory>

#include <cuda_runtime_api.h>

namespace senti::cuda {

class Gemm {
 public:
  explicit Gemm(cudaStream_t stream);
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  // lda, ldb, ldc are the row strides of A, B and C as stored (row-major). k == 0 gives beta·C.
  void operator()(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda,
                  const float* b, int ldb, float beta, float* c, int ldc);

  // "cuBLAS 13.0 (FP32)" or "OpenBLAS host task (emulated device)": what ran, for test output.
  static const char* implementation();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace senti::cuda
