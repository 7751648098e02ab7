#pragma once
// The classifier head's loss on the CPU: logits (B, O) -> per-sample loss, correct predictions,
// probabilities and dL/dlogits, for the three heads of ModelConfig::head (kernels/common/math/
// head.h has the formulas). The CPU backend's implementation and the CPU twin of the CUDA kernels
// kernels/dense_bce (sigmoid) and kernels/dense_softmax_ce (softmax, multi-label).
//
//   logits        (B, O)  O = cfg.outputs()
//   labels        (B)     sigmoid: 0/1; softmax: the class index           (Batch::labels)
//                 (B, K)  multi-label: 0/1 per label
//   class_weights (K)     Keras class_weight: sample b's loss and gradient scaled by w[y_b];
//                         null = 1 each (sigmoid and softmax heads only)
//   dlogits       (B, O)  dL/dlogits of the mean over mean_rows rows, or null (evaluation)
//   probs         (B, O)  sigmoid(z), softmax(z) or sigmoid(z_k), or null
//   mean_rows             the rows the loss is the mean of: 0 = B; a data-parallel rank's share
//                         passes the global batch (Batch::mean_rows)
#include <cstdint>

#include "engine/model_config.h"

namespace senti {

struct HeadSums {
  double loss_sum = 0;  // Σ_b loss_b (weighted when class_weights are given)
  int64_t correct = 0;  // Σ_b correct_b
};

HeadSums head_loss(const ModelConfig& cfg, const float* logits, int B, const float* labels,
                   const float* class_weights, float* dlogits, float* probs, int mean_rows = 0);

}  // namespace senti
