#pragma once
// Gradient clipping and the Adam update exactly as Keras 3 computes them; shared by the CPU
// optimizer and the fused CUDA kernels.
#include <cmath>

#include "kernels/common/math/hd.h"

namespace senti::math {

// Scale that clip_by_norm applies to a tensor (clipnorm, per variable) or clip_by_global_norm to all
// of them (global_clipnorm): g *= clip / max(norm, clip). clip <= 0 means "no clipping".
SENTI_HD float clip_scale(double sum_of_squares, float clip) {
  if (clip <= 0.f) return 1.f;
  const double norm = sqrt(sum_of_squares);
  return static_cast<float>(clip / (norm > clip ? norm : static_cast<double>(clip)));
}

// The betas are kept in double, as Keras keeps them as Python floats: Keras casts a beta to
// float32 for its powers (beta^t) but computes the moment rates 1 - beta in double before the
// cast, so 1 - 0.999 is 0.001f exactly, not 1 - 0.999f = 0.00099998713.
struct AdamHyper {
  float lr = 1e-3f;
  double beta1 = 0.9;
  double beta2 = 0.999;
  float epsilon = 1e-7f;  // Keras's default; added to sqrt(v) ("epsilon hat" form)
  float rate1() const { return static_cast<float>(1.0 - beta1); }  // 1 - beta1, as Keras
  float rate2() const { return static_cast<float>(1.0 - beta2); }  // 1 - beta2, as Keras
};

// Keras's step size for iteration t (1-based): alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t),
// with the betas as float32. Host and device: the CPU optimizer calls it with the host's step
// count, the CUDA backend on the device from its device step counter (kernels/adam.cuh), so a
// train step captured in a CUDA graph needs no per-step argument. Both are plain double pow/sqrt
// (the emulated device runs this very code; on a GPU, CUDA's double pow is within 2 ulp of
// glibc's, and the float cast gives the same alpha unless beta^t lands within those ulp of a
// float rounding boundary: tests/cuda/step_graph_test.cpp checks steps 1..k on both).
SENTI_HD float adam_alpha(const AdamHyper& h, long long t) {
  const double b1t = pow(static_cast<double>(static_cast<float>(h.beta1)), static_cast<double>(t));
  const double b2t = pow(static_cast<double>(static_cast<float>(h.beta2)), static_cast<double>(t));
  return static_cast<float>(h.lr * sqrt(1.0 - b2t) / (1.0 - b1t));
}

// The Adam update's arithmetic, one IEEE operation each, never fused: the CPU twin and the GPU must
// round the same sequence (tests demand their parameters bit for bit). Left to itself, nvcc
// contracts a*b + c into fma.rn.f32 (one rounding instead of two) and GCC does the same in C++
// (-ffp-contract=fast is its default) wherever the target has FMA (target clones, -march=native).
// Device: the _rn intrinsics are never contracted and stay IEEE-rounded under --use_fast_math.
// Host: an empty asm makes the product opaque to the optimizer, so no add can swallow it.
// docs/testing.md ("Exact where a test demands exact") has the PTX check.
SENTI_HD float adam_mul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  float p = a * b;
#if defined(__GNUC__) && defined(__x86_64__)
  __asm__("" : "+x"(p));
#elif defined(__GNUC__) && defined(__aarch64__)
  __asm__("" : "+w"(p));
#else
  volatile float opaque = p;  // other compilers: a store the optimizer must not look through
  p = opaque;
#endif
  return p;
#endif
}
SENTI_HD float adam_add(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
SENTI_HD float adam_sub(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
SENTI_HD float adam_div(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
SENTI_HD float adam_sqrt(float a) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(a);
#else
  return sqrtf(a);
#endif
}

// The gradient Adam sees: the raw gradient times its tensor's clip scale (one rounding, unfused).
SENTI_HD float adam_scaled_grad(float grad, float scale) { return adam_mul(grad, scale); }

// One element: m += (g - m)(1 - b1); v += (g² - v)(1 - b2); θ -= alpha·m / (√v + ε).
// rate1 = 1 - b1 and rate2 = 1 - b2 come from AdamHyper::rate1/rate2. These IEEE operations in
// this order and no other (engine/cpu/adam_simd.h repeats them lane by lane).
SENTI_HD void adam_update(float* theta, float* m, float* v, float g, float alpha, float rate1,
                          float rate2, float epsilon) {
  const float mm = adam_add(*m, adam_mul(adam_sub(g, *m), rate1));
  const float vv = adam_add(*v, adam_mul(adam_sub(adam_mul(g, g), *v), rate2));
  *m = mm;
  *v = vv;
  *theta = adam_sub(*theta, adam_div(adam_mul(alpha, mm), adam_add(adam_sqrt(vv), epsilon)));
}

}  // namespace senti::math
