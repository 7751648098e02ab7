#pragma once
// Sigmoid and binary cross-entropy from a logit, shared by the CPU backend and the CUDA kernels.
#include <cmath>

#include "kernels/common/math/hd.h"

namespace senti::math {

// Overflow-free logistic function.
SENTI_HD float sigmoid(float x) {
  if (x >= 0.f) return 1.f / (1.f + expf(-x));
  const float e = expf(x);
  return e / (1.f + e);
}

// Binary cross-entropy of label y in {0,1} given the logit z, computed stably:
//   max(z,0) - z*y + log(1 + exp(-|z|))   ==  -[y log σ(z) + (1-y) log(1-σ(z))]
SENTI_HD float bce_with_logit(float z, float y) {
  return fmaxf(z, 0.f) - z * y + log1pf(expf(-fabsf(z)));
}

// d bce / d z.
SENTI_HD float bce_with_logit_grad(float z, float y) { return sigmoid(z) - y; }

// Keras's binary_accuracy: prediction positive when the probability is > 0.5 (the logit > 0).
SENTI_HD int correct_prediction(float z, float y) { return (z > 0.f) == (y > 0.5f) ? 1 : 0; }

}  // namespace senti::math
