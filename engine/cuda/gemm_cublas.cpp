// engine/cuda/gemm.h on cuBLAS (real GPU builds).
#include "engine/cuda/gemm.h"

#include <cublas_v2.h>

#include "kernels/common/error.h"
#include "engine/cuda/library_check.h"
#include "kernels/cuda_check.h"

namespace senti::cuda {

// An explicit workspace (cuBLAS's recommendation for Hopper and for graph capture): cuBLAS then
// never allocates while a step is captured or replayed (engine/cuda/step_graph.h). cuBLAS's rules
// for stream capture, as this file follows them:
//   - cublasSetStream resets the handle to cuBLAS's default workspace pool, so the workspace is set
//     after the stream (and the stream is never changed later);
//   - without a user workspace a captured call may add stream-ordered allocation nodes
//     (cudaMallocAsync) to the graph; with it, none;
//   - pointer mode stays HOST: alpha and beta are read when the call is made, so a captured
//     Sgemm keeps the values of its capture. Both are fixed per call site here (alpha 1, beta
//     given by the caller's constant), so that is what replay must use;
//   - no routine that returns a result to host memory (that would synchronise) is called.
constexpr size_t kWorkspaceBytes = size_t{32} << 20;

struct Gemm::Impl {
  cublasHandle_t handle = nullptr;
  cudaStream_t stream = nullptr;
  void* workspace = nullptr;
  ~Impl() {
    if (handle) cublasDestroy(handle);
    if (workspace) cudaFree(workspace);
  }
};

Gemm::Gemm(cudaStream_t stream) : impl_(std::make_unique<Impl>()) {
  impl_->stream = stream;
  SENTI_CUBLAS_CHECK(cublasCreate(&impl_->handle));
  SENTI_CUBLAS_CHECK(cublasSetStream(impl_->handle, stream));
  SENTI_CUBLAS_CHECK(cublasSetMathMode(impl_->handle, CUBLAS_DEFAULT_MATH));  // FP32, no TF32
  SENTI_CUBLAS_CHECK(cublasSetAtomicsMode(impl_->handle, CUBLAS_ATOMICS_NOT_ALLOWED));
  SENTI_CUDA_CHECK(cudaMalloc(&impl_->workspace, kWorkspaceBytes));
  SENTI_CUBLAS_CHECK(cublasSetWorkspace(impl_->handle, impl_->workspace, kWorkspaceBytes));
}

Gemm::~Gemm() = default;

void Gemm::operator()(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda,
                      const float* b, int ldb, float beta, float* c, int ldc) {
  SENTI_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size ", m, "x", n, "x", k);
  if (m == 0 || n == 0) return;
  if (k == 0 && beta == 0.f) {  // an empty sum: C = 0 without asking cuBLAS about k = 0
    SENTI_CUDA_CHECK(cudaMemset2DAsync(c, sizeof(float) * ldc, 0, sizeof(float) * n, m,
                                       impl_->stream));
    return;
  }
  // Row-major C = op(A)·op(B) is column-major C^T = op(B)^T·op(A)^T: swap the operands.
  const float one = 1.f;
  SENTI_CUBLAS_CHECK(cublasSgemm(impl_->handle, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                 trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &one, b, ldb, a,
                                 lda, &beta, c, ldc));
}

const char* Gemm::implementation() { return "cuBLAS (FP32, no TF32)"; }

}  // namespace senti::cuda
