#pragma once
// Adam over a contiguous range, SIMD. The compiler does not vectorize the scalar loop by itself
// (sqrtf may set errno, so GCC keeps a scalar call path), so this spells it out with SSE2 (every
// x86-64) or AVX intrinsics, picked at run time. Every lane performs exactly the operations of
// math::adam_update in the same order, with no fused multiply-add, so the result is bit-identical
// to the scalar formula (and to any thread split) and to the CUDA kernel. The intrinsics are plain
// vector * and + to GCC, which would fuse them where the target has FMA: neither SSE2 nor the
// "avx" target has it, and engine/CMakeLists.txt builds cpu_adam.cpp with -ffp-contract=off so a
// build with -march=native cannot add it either.
#include <cstddef>

#include "kernels/common/math/optim.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace senti::cpu {

// The scalar reference: g = math::adam_scaled_grad(grads[k], scale), then math::adam_update.
inline void adam_range_scalar(float* theta, float* m, float* v, const float* grads, size_t n,
                              float scale, float alpha, float rate1, float rate2, float epsilon) {
  for (size_t k = 0; k < n; ++k)
    math::adam_update(theta + k, m + k, v + k, math::adam_scaled_grad(grads[k], scale), alpha,
                      rate1, rate2, epsilon);
}

#if defined(__x86_64__) && defined(__GNUC__)
inline void adam_range_sse2(float* theta, float* m, float* v, const float* grads, size_t n,
                            float scale, float alpha, float rate1, float rate2, float epsilon) {
  const __m128 vs = _mm_set1_ps(scale), va = _mm_set1_ps(alpha), r1 = _mm_set1_ps(rate1),
               r2 = _mm_set1_ps(rate2), ve = _mm_set1_ps(epsilon);
  size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    const __m128 g = _mm_mul_ps(_mm_loadu_ps(grads + k), vs);
    const __m128 m0 = _mm_loadu_ps(m + k), v0 = _mm_loadu_ps(v + k);
    const __m128 mm = _mm_add_ps(m0, _mm_mul_ps(_mm_sub_ps(g, m0), r1));
    const __m128 vv = _mm_add_ps(v0, _mm_mul_ps(_mm_sub_ps(_mm_mul_ps(g, g), v0), r2));
    _mm_storeu_ps(m + k, mm);
    _mm_storeu_ps(v + k, vv);
    const __m128 step = _mm_div_ps(_mm_mul_ps(va, mm), _mm_add_ps(_mm_sqrt_ps(vv), ve));
    _mm_storeu_ps(theta + k, _mm_sub_ps(_mm_loadu_ps(theta + k), step));
  }
  adam_range_scalar(theta + k, m + k, v + k, grads + k, n - k, scale, alpha, rate1, rate2,
                    epsilon);
}

__attribute__((target("avx"))) inline void adam_range_avx(float* theta, float* m, float* v,
                                                          const float* grads, size_t n,
                                                          float scale, float alpha, float rate1,
                                                          float rate2, float epsilon) {
  const __m256 vs = _mm256_set1_ps(scale), va = _mm256_set1_ps(alpha),
               r1 = _mm256_set1_ps(rate1), r2 = _mm256_set1_ps(rate2),
               ve = _mm256_set1_ps(epsilon);
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const __m256 g = _mm256_mul_ps(_mm256_loadu_ps(grads + k), vs);
    const __m256 m0 = _mm256_loadu_ps(m + k), v0 = _mm256_loadu_ps(v + k);
    const __m256 mm = _mm256_add_ps(m0, _mm256_mul_ps(_mm256_sub_ps(g, m0), r1));
    const __m256 vv =
        _mm256_add_ps(v0, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(g, g), v0), r2));
    _mm256_storeu_ps(m + k, mm);
    _mm256_storeu_ps(v + k, vv);
    const __m256 step =
        _mm256_div_ps(_mm256_mul_ps(va, mm), _mm256_add_ps(_mm256_sqrt_ps(vv), ve));
    _mm256_storeu_ps(theta + k, _mm256_sub_ps(_mm256_loadu_ps(theta + k), step));
  }
  adam_range_sse2(theta + k, m + k, v + k, grads + k, n - k, scale, alpha, rate1, rate2, epsilon);
}
#endif

// theta, m, v (n) updated in place from grads (n) · scale; bit-identical to adam_range_scalar.
inline void adam_range(float* theta, float* m, float* v, const float* grads, size_t n, float scale,
                       float alpha, float rate1, float rate2, float epsilon) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool avx = __builtin_cpu_supports("avx");
  if (avx)
    adam_range_avx(theta, m, v, grads, n, scale, alpha, rate1, rate2, epsilon);
  else
    adam_range_sse2(theta, m, v, grads, n, scale, alpha, rate1, rate2, epsilon);
#else
  adam_range_scalar(theta, m, v, grads, n, scale, alpha, rate1, rate2, epsilon);
#endif
}

}  // namespace senti::cpu
