// engine/cuda/gemm.h for the emulated CUDA device: OpenBLAS on the device buffers (there device memory
// is host memory), queued as a host task so it runs in stream order. Never built for a GPU.
//
// A call made while the stream is being captured into a CUDA graph keeps its arguments until the
// Gemm dies, because every replay runs the task again; otherwise the task frees them.
#include "engine/cuda/gemm.h"

#include <cblas.h>

#include <deque>
#include <memory>

#include "kernels/common/error.h"
#include "kernels/cuda_check.h"

namespace senti::cuda {
namespace {

struct Call {
  bool trans_a, trans_b;
  int m, n, k;
  const float* a;
  int lda;
  const float* b;
  int ldb;
  float beta;
  float* c;
  int ldc;
  bool captured;
};

void run_call(void* p) {
  const Call* call = static_cast<const Call*>(p);
  if (call->m > 0 && call->n > 0)
    cblas_sgemm(CblasRowMajor, call->trans_a ? CblasTrans : CblasNoTrans,
                call->trans_b ? CblasTrans : CblasNoTrans, call->m, call->n, call->k, 1.f, call->a,
                call->lda, call->b, call->ldb, call->beta, call->c, call->ldc);
  if (!call->captured) delete call;
}

}  // namespace

struct Gemm::Impl {
  cudaStream_t stream;
  std::deque<std::unique_ptr<Call>> captured;  // arguments of captured calls (graph replays)
};

Gemm::Gemm(cudaStream_t stream) : impl_(std::make_unique<Impl>()) { impl_->stream = stream; }

Gemm::~Gemm() = default;

void Gemm::operator()(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda,
                      const float* b, int ldb, float beta, float* c, int ldc) {
  SENTI_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size ", m, "x", n, "x", k);
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  SENTI_CUDA_CHECK(cudaStreamIsCapturing(impl_->stream, &capture));
  auto call = std::make_unique<Call>(
      Call{trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc,
           capture == cudaStreamCaptureStatusActive});
  Call* raw = call.get();
  SENTI_CUDA_CHECK(cudaLaunchHostFunc(impl_->stream, run_call, raw));
  if (raw->captured) impl_->captured.push_back(std::move(call));
  else call.release();  // run_call deletes it
}

const char* Gemm::implementation() { return "OpenBLAS host task (emulated device)"; }

}  // namespace senti::cuda
