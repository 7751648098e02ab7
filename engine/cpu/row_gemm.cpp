#include "engine/cpu/row_gemm.h"

#include <cstring>

// The arithmetic contract of gemm_rows (row_gemm.h) needs every a·b and every + rounded on its
// own: engine/CMakeLists.txt compiles this file with -ffp-contract=off.

namespace senti::cpu {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SENTI_ROW_GEMM_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define SENTI_ROW_GEMM_INLINE inline __attribute__((always_inline))
#else
#define SENTI_ROW_GEMM_CLONES
#define SENTI_ROW_GEMM_INLINE inline
#endif

// Eight lanes of C's columns. GCC/Clang generic vectors: one ymm register on AVX2, half a zmm in
// the AVX-512 clone, two xmm on baseline x86-64; the lanes are independent elements, so the width
// never changes a result.
typedef float v8 __attribute__((vector_size(32)));
constexpr int kLanes = 8;
constexpr int kVectors = 4;                   // vectors of columns per tile
constexpr int kCols = kLanes * kVectors;      // 32 columns of C per tile

SENTI_ROW_GEMM_INLINE v8 load8(const float* p) {
  v8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
SENTI_ROW_GEMM_INLINE void store8(float* p, v8 v) { std::memcpy(p, &v, sizeof v); }

// Rows [i0, i0 + R) x columns [j0, j0 + kCols): R·kVectors accumulators stay in registers while
// k runs; each step adds one product to each, in k order.
template <int R>
SENTI_ROW_GEMM_INLINE void tile(int i0, int j0, int k, const float* a, int lda, const float* b,
                                int ldb, bool accumulate, float* c, int ldc) {
  v8 acc[R][kVectors];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int q = 0; q < kVectors; ++q)
      acc[r][q] = accumulate ? load8(c + static_cast<size_t>(i0 + r) * ldc + j0 + q * kLanes)
                             : v8{};
  for (int p = 0; p < k; ++p) {
    const float* bp = b + static_cast<size_t>(p) * ldb + j0;
    v8 bv[kVectors];
#pragma GCC unroll 4
    for (int q = 0; q < kVectors; ++q) bv[q] = load8(bp + q * kLanes);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const float x = a[static_cast<size_t>(i0 + r) * lda + p];
#pragma GCC unroll 4
      for (int q = 0; q < kVectors; ++q) acc[r][q] = acc[r][q] + bv[q] * x;
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int q = 0; q < kVectors; ++q)
      store8(c + static_cast<size_t>(i0 + r) * ldc + j0 + q * kLanes, acc[r][q]);
}

// One element at a time: the same operations in the same order as a lane of tile().
SENTI_ROW_GEMM_INLINE void element(int i, int j, int k, const float* a, int lda, const float* b,
                                   int ldb, bool accumulate, float* c, int ldc) {
  float s = accumulate ? c[static_cast<size_t>(i) * ldc + j] : 0.f;
  for (int p = 0; p < k; ++p)
    s = s + b[static_cast<size_t>(p) * ldb + j] * a[static_cast<size_t>(i) * lda + p];
  c[static_cast<size_t>(i) * ldc + j] = s;
}

template <int R>
SENTI_ROW_GEMM_INLINE void row_block(int i0, int n, int k, const float* a, int lda,
                                     const float* b, int ldb, bool accumulate, float* c, int ldc) {
  int j0 = 0;
  for (; j0 + kCols <= n; j0 += kCols) tile<R>(i0, j0, k, a, lda, b, ldb, accumulate, c, ldc);
  for (int r = 0; r < R; ++r)
    for (int j = j0; j < n; ++j) element(i0 + r, j, k, a, lda, b, ldb, accumulate, c, ldc);
}

}  // namespace

SENTI_ROW_GEMM_CLONES
void gemm_rows(int m, int n, int k, const float* a, int lda, const float* b, int ldb,
               bool accumulate, float* c, int ldc) {
  constexpr int kRows = 4;  // rows per tile: 16 accumulators + 4 columns of B in registers
  int i0 = 0;
  for (; i0 + kRows <= m; i0 += kRows) row_block<kRows>(i0, n, k, a, lda, b, ldb, accumulate, c, ldc);
  for (; i0 < m; ++i0) row_block<1>(i0, n, k, a, lda, b, ldb, accumulate, c, ldc);
}

}  // namespace senti::cpu
