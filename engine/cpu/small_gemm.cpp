#include "engine/cpu/small_gemm.h"

#include <cblas.h>
#include <libxsmm.h>

#include <cstdlib>
#include <string>
#include <mutex>

#include "kernels/common/error.h"

namespace senti::cpu {
namespace {

// libxsmm has JIT code for this CPU (AVX2 and up; $LIBXSMM_TARGET, libxsmm's own variable, can
// lower its target, e.g. to "hsw" for AVX2 code on an AVX-512 machine).
bool libxsmm_has_jit() { return libxsmm_get_target_archid() >= LIBXSMM_X86_AVX2; }

// The default, by measurement (docs/performance.md, "CPU GEMMs"): libxsmm's AVX-512 code beats
// OpenBLAS at the seed step (Zen 4: 28.7 vs 31.3 ms/step with OpenBLAS's own AVX-512 kernels,
// 32.6 with its Haswell ones), its AVX2 code does not (36.9 ms/step), so OpenBLAS below AVX-512.
bool libxsmm_wins() { return libxsmm_get_target_archid() >= LIBXSMM_X86_AVX512_CORE; }

GemmLibrary choose_library() {
  libxsmm_init();
  const char* env = std::getenv("SENTI_CPU_GEMM");
  const std::string want = env ? env : "";
  if (want == "openblas") return GemmLibrary::OpenBlas;
  if (want == "libxsmm") {
    SENTI_CHECK(libxsmm_has_jit(), "SENTI_CPU_GEMM=libxsmm, but libxsmm has no JIT code for this "
                "CPU (target '", libxsmm_get_target_arch(), "'); use SENTI_CPU_GEMM=openblas");
    return GemmLibrary::Libxsmm;
  }
  SENTI_CHECK(want.empty(), "SENTI_CPU_GEMM must be 'libxsmm' or 'openblas', got '", want, "'");
  return libxsmm_wins() ? GemmLibrary::Libxsmm : GemmLibrary::OpenBlas;
}

void openblas_gemm(bool trans_a, int m, int n, int k, const float* a, int lda, const float* b,
                   int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, CblasNoTrans, m, n, k, 1.f, a,
              lda, b, ldb, beta, c, ldc);
}

// Row-major C = op(A) · B is column-major C^T = B^T · op(A)^T: libxsmm (column-major) gets B as
// its first operand and A as its second, transposed when trans_a (libxsmm's TRANS_B).
bool libxsmm_gemm_call(bool trans_a, int m, int n, int k, const float* a, int lda, const float* b,
                       int ldb, float beta, float* c, int ldc) {
  const libxsmm_blasint M = n, N = m, K = k, LDA = ldb, LDB = lda, LDC = ldc;
  const float alpha = 1.f;
  const int flags = trans_a ? LIBXSMM_GEMM_FLAG_TRANS_B : LIBXSMM_GEMM_FLAG_NONE;
  const int prefetch = LIBXSMM_PREFETCH_NONE;
  // Dispatch looks the kernel up in libxsmm's registry (thread-safe), generating it once per shape.
  const libxsmm_smmfunction kernel =
      libxsmm_smmdispatch(M, N, K, &LDA, &LDB, &LDC, &alpha, &beta, &flags, &prefetch);
  if (!kernel) return false;
  kernel(b, a, c);
  return true;
}

}  // namespace

GemmLibrary gemm_library() {
  static std::once_flag once;
  static GemmLibrary lib = GemmLibrary::OpenBlas;
  static std::string error;
  std::call_once(once, [] {
    try {
      lib = choose_library();
    } catch (const Error& e) {
      error = e.what();
    }
  });
  if (!error.empty()) SENTI_FAIL(error);
  return lib;
}

std::string openblas_description() {
  // "OpenBLAS 0.3.21" from openblas_get_config()'s "OpenBLAS 0.3.21 DYNAMIC_ARCH ...".
  const std::string cfg = openblas_get_config();
  const size_t first = cfg.find(' ');
  const size_t second = first == std::string::npos ? first : cfg.find(' ', first + 1);
  return cfg.substr(0, second) + " (" + openblas_get_corename() + ")";
}

std::string gemm_description() {
  if (gemm_library() == GemmLibrary::OpenBlas) return openblas_description();
  const int bits = 32 * libxsmm_cpuid_vlen32(libxsmm_get_target_archid());
  return std::string("libxsmm ") + LIBXSMM_CONFIG_VERSION + " JIT " + std::to_string(bits) +
         "-bit (" + libxsmm_get_target_arch() + ")";
}

// libxsmm generates (and keeps) code per distinct shape. The reductions over a batch's slots
// (dW = X^T · S, k = the batch's distinct-token count) would get a new k nearly every step, a new
// kernel each, for a few % on one GEMM; they stay with OpenBLAS. Every other shape has a small set
// of sizes (rows per chunk or group): one epoch of --preset best on 6,000 reviews leaves 2 MB of
// generated code (LIBXSMM_VERBOSE=2).
constexpr int kMaxLibxsmmDepth = 512;

void gemm(bool trans_a, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
          float beta, float* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (gemm_library() == GemmLibrary::Libxsmm && k > 0 && k <= kMaxLibxsmmDepth &&
      libxsmm_gemm_call(trans_a, m, n, k, a, lda, b, ldb, beta, c, ldc))
    return;
  openblas_gemm(trans_a, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

bool gemm_with(GemmLibrary lib, bool trans_a, int m, int n, int k, const float* a, int lda,
               const float* b, int ldb, float beta, float* c, int ldc) {
  if (lib == GemmLibrary::Libxsmm)
    return libxsmm_has_jit() && libxsmm_gemm_call(trans_a, m, n, k, a, lda, b, ldb, beta, c, ldc);
  openblas_gemm(trans_a, m, n, k, a, lda, b, ldb, beta, c, ldc);
  return true;
}

}  // namespace senti::cpu
