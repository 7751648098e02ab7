#pragma once
// The CPU backend's training GEMMs (evaluation's are engine/cpu/row_gemm.h): small products, the
// per-time-step recurrence (16 × 64 by 64 × 256 at the seed shape) and the weight gradients, called
// thousands of times a step. Two libraries, one chosen once per process:
//  - libxsmm (Debian's libxsmm-dev): JIT code generated for the vector width this CPU actually has
//    (AVX-512 where present), whatever OpenBLAS's CPU detection or $OPENBLAS_CORETYPE picked;
//  - OpenBLAS (cblas_sgemm), for shapes libxsmm has no kernel for, and on request.
// $SENTI_CPU_GEMM = libxsmm or openblas; by default libxsmm where it generates AVX-512 code (there
// it is faster; its AVX2 code is slower than OpenBLAS's, so AVX2 machines default to OpenBLAS).
// Either way a given shape runs the same code on every call, so results are bit-identical run to
// run and for any thread count (the chunking fixes which GEMMs are called); they differ between
// the two libraries and between CPUs (docs/performance.md, "CPU GEMMs"; `senti bench --peak`
// measures both).
#include <string>

namespace senti::cpu {

enum class GemmLibrary { OpenBlas, Libxsmm };

// The library this process uses (decided on the first call; throws senti::Error naming
// SENTI_CPU_GEMM when it holds anything else, or asks for libxsmm on a CPU it has no code for).
GemmLibrary gemm_library();

// "libxsmm 1.17 JIT avx512 (cpx)" or "OpenBLAS 0.3.21 (Haswell)": what runs the GEMMs, for logs.
std::string gemm_description();

// OpenBLAS's version and the core its kernels were chosen for, e.g. "OpenBLAS 0.3.21 (Haswell)".
std::string openblas_description();

// C (m, n) = op(A) · B + beta · C, row-major; op(A) = A (m, k) or, trans_a, A^T with A (k, m).
// beta is 0 or 1 (the products the LSTM needs).
void gemm(bool trans_a, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
          float beta, float* c, int ldc);

// The same product through the named library (the benchmark of `senti bench --peak`); false when
// that library has no kernel for the shape.
bool gemm_with(GemmLibrary lib, bool trans_a, int m, int n, int k, const float* a, int lda,
               const float* b, int ldb, float beta, float* c, int ldc);

}  // namespace senti::cpu
