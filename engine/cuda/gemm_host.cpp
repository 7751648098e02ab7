// engine/cuda/gemm.h for the emulated CUDA device: OpenBLAS on the device buffers (there device
// memory is host memory), queued through the emulator's stand-in queue so it runs in stream order
// (and is recorded into a graph when the stream is being captured). Never built for a GPU.
#include "engine/cuda/gemm.h"

#include <cblas.h>
#include <senti_emu/control.h>  // enqueue_standin

#include "kernels/common/error.h"
#include "kernels/cuda_check.h"

namespace senti::cuda {

struct Gemm::Impl {
  cudaStream_t stream;
};

Gemm::Gemm(cudaStream_t stream) : impl_(std::make_unique<Impl>()) { impl_->stream = stream; }

Gemm::~Gemm() = default;

void Gemm::operator()(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda,
                      const float* b, int ldb, float beta, float* c, int ldc) {
  SENTI_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size ", m, "x", n, "x", k);
  SENTI_CUDA_CHECK(emu::enqueue_standin(impl_->stream, "cuBLAS sgemm (OpenBLAS)", [=] {
    if (m > 0 && n > 0)
      cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                  trans_b ? CblasTrans : CblasNoTrans, m, n, k, 1.f, a, lda, b, ldb, beta, c, ldc);
  }));
}

const char* Gemm::implementation() { return "OpenBLAS stand-in (emulated device)"; }

}  // namespace senti::cuda
