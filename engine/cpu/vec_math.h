#pragma once
// Branch-free float exp, sigmoid and tanh for the CPU backend's hot loops. Unlike glibc's expf and
// tanhf (calls the compiler cannot vectorize), these are plain inline arithmetic, so a loop over a
// row of gates vectorizes (SSE2 in the default build, AVX2/AVX-512 in the target clones of
// engine/cpu/lstm_cpu.cpp). Host only: the CUDA kernels keep expf/tanhf (kernels/common/math).
//
// Accuracy (tests/cpu/cpu_vec_math_test.cpp sweeps them against double precision): exp within
// 2 ulp on [-103, 88], sigmoid and tanh within 4 ulp on all floats; they saturate exactly like the
// real functions (sigmoid(+-inf) = 1, 0; tanh(+-inf) = +-1), never produce inf or NaN for finite
// input, and propagate NaN. Pure functions of their input: deterministic.
#include <cstdint>
#include <cstring>

namespace senti::cpu {

#if defined(__GNUC__)
#define SENTI_VEC_INLINE inline __attribute__((always_inline))
#else
#define SENTI_VEC_INLINE inline
#endif

// e^x, Cephes expf: x = n ln2 + r with |r| <= ln2 / 2, e^r by a degree-7 polynomial, times 2^n
// applied in two halves so results down to the subnormal range (x >= -103.97) round once. x is
// clamped to [-104, 88.7]; NaN passes through the clamps (comparisons with NaN are false).
SENTI_VEC_INLINE float vexp(float x) {
  x = x > 88.7f ? 88.7f : x;
  x = x < -104.f ? -104.f : x;
  // n = round-to-nearest(x / ln2) by the 1.5·2^23 trick (no rint call, so it vectorizes on SSE2);
  // the integer n is read from the low mantissa bits of the shifted sum (no float->int cast).
  const float shifter = 12582912.f;
  const float shifted = x * 1.44269504088896341f + shifter;
  const float n = shifted - shifter;
  uint32_t nbits;
  std::memcpy(&nbits, &shifted, sizeof nbits);
  const int32_t ni = static_cast<int32_t>(nbits - 0x4B400000u);  // n, for x in range
  // r = x - n ln2 in two parts (n · 0.693359375 is exact).
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.f;
  // 2^n = 2^n1 · 2^n2 with n1 = floor(n / 2), n2 = n - n1, both in [-75, 64]: normal floats.
  // (Unsigned arithmetic: a NaN input makes n garbage, p is NaN anyway, and nothing overflows.)
  const int32_t n1 = ni >> 1;
  const uint32_t b1 = (static_cast<uint32_t>(n1) + 127u) << 23;
  const uint32_t b2 = (static_cast<uint32_t>(ni) - static_cast<uint32_t>(n1) + 127u) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  return (p * s1) * s2;
}

// 1 / (1 + e^-x) from e = e^-|x| <= 1 (never overflows): 1 / (1 + e) for x >= 0, e / (1 + e) below.
SENTI_VEC_INLINE float vsigmoid(float x) {
  const float ax = x < 0.f ? -x : x;  // |x|; NaN stays NaN
  const float e = vexp(-ax);
  const float s = 1.f / (1.f + e);
  return x >= 0.f ? s : e * s;
}

// tanh: Cephes tanhf's odd polynomial for |x| < 0.625, else sign(x) (1 - e) / (1 + e) with
// e = e^-2|x| <= e^-1.25 (no cancellation, no overflow; e underflows to 0 for large |x|: +-1).
SENTI_VEC_INLINE float vtanh(float x) {
  const float ax = x < 0.f ? -x : x;
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float e = vexp(-2.f * ax);
  const float big_abs = (1.f - e) / (1.f + e);
  const float big = x < 0.f ? -big_abs : big_abs;
  return ax < 0.625f ? small : big;  // NaN: the comparison is false, big is NaN
}

}  // namespace senti::cpu
