#pragma once
// The K-output heads' per-element formulas (ModelConfig::head; docs/model.md, "Heads"), shared by
// the CPU backend (engine/cpu/head_cpu.h) and the CUDA kernel (kernels/dense_softmax_ce.cuh). The
// sigmoid head (Dense(1)) keeps its own formulas in activations.h.
//
// Softmax, row b of logits z (K), class y, class weight w_y (1 without class weights):
//   m = max_k z_k,  s = Σ_k exp(z_k - m),  p_k = exp(z_k - m) / s
//   loss_b = w_y (log s - (z_y - m))                       sparse categorical cross-entropy
//   dz_bk  = w_y (p_k - [k == y]) / B                      of the batch mean
//   correct_b = [argmax_k z_k == y]  (the first maximum, as numpy.argmax)
// Multi-label, row b of logits z (K) and 0/1 targets y (K):
//   loss_b = (1/K) Σ_k bce_with_logit(z_k, y_k)             Keras binary_crossentropy (mean over labels)
//   dz_bk  = (sigmoid(z_k) - y_k) / (K B)
//   correct_b = [every label's (z_k > 0) == (y_k > 0.5)]   exact match (subset accuracy)
#include <cmath>

#include "kernels/common/math/activations.h"
#include "kernels/common/math/hd.h"

namespace senti::math {

// exp(z - m) / s: class k's probability from the row's maximum m and sum s.
SENTI_HD float softmax_prob(float z, float m, float s) { return expf(z - m) / s; }

// One term of the row sum s.
SENTI_HD float softmax_exp(float z, float m) { return expf(z - m); }

// Cross-entropy of the true class y from its logit z_y, the row maximum m and the sum s.
SENTI_HD float softmax_ce(float z_y, float m, float s) { return logf(s) - (z_y - m); }

// dL/dz_k of the mean, weighted cross-entropy over N rows: (p_k - [k == y]) * w / N. N is the
// batch, or a data-parallel share's global batch (Batch::mean_rows).
SENTI_HD float softmax_ce_grad(float p_k, bool is_label, float weight, int mean_rows) {
  return (p_k - (is_label ? 1.f : 0.f)) * weight / static_cast<float>(mean_rows);
}

// A class label stored in a float Batch::labels entry, as the index it names.
SENTI_HD int class_of_label(float y) { return static_cast<int>(y + 0.5f); }

// dL/dz_k of the multi-label loss: (sigmoid(z) - y) / (K N), N as above.
SENTI_HD float multi_label_grad(float z, float y, int K, int mean_rows) {
  return bce_with_logit_grad(z, y) / (static_cast<float>(K) * static_cast<float>(mean_rows));
}

}  // namespace senti::math
