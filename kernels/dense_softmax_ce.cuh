#pragma once
// Dense(K) + the K-output heads' loss (ModelConfig::head; formulas in kernels/common/math/head.h,
// CPU twin engine/cpu/head_cpu.h), forward and backward, with on-device metrics:
//
//   z_b = h_b · W + bias (+ extra_b)                  W (F, K) row-major, extra (B, K) or none
//   softmax:     p_b = softmax(z_b),  loss_b = w_y (log s - (z_y - m)),  dz_bk = w_y (p_k - [k == y]) / N
//                correct_b = [argmax_k z_bk == y_b] (the first maximum)
//   multi-label: p_bk = sigmoid(z_bk),  loss_b = (1/K) Σ_k bce(z_bk, y_bk),  dz_bk = (p_bk - y_bk) / (K N)
//                correct_b = [every label right]
//   dh = dz · Wᵀ (B, F),  dW = hᵀ · dz (F, K),  dbias_k = Σ_b dz_bk
//
// N: the rows of the mean (DenseSoftmaxCeArgs::mean_rows; B, or a data-parallel share's global
// batch). The sigmoid head (Dense(1)) stays in kernels/dense_bce. Launches: the logits product, one block
// per row for the loss, one block for the metrics, and for the backward dbias and the two
// products. Every sum runs in a fixed order (products: sequential over the inner index, in
// order; row reductions: per-thread partials and a fixed tree; batch sums: in batch order; no
// atomics), so results are bit-reproducible. Limits: 1 <= K <= kDenseSoftmaxCeMaxClasses,
// 1 <= B <= kDenseSoftmaxCeMaxBatch.
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/dense_bce.cuh"  // DeviceMetrics

namespace senti::kernels {

constexpr int kDenseSoftmaxCeMaxClasses = 1 << 16;  // = senti::kMaxClasses (engine/params.h)
constexpr int kDenseSoftmaxCeMaxBatch = 65535;

enum class DenseHead { Softmax, MultiLabel };

struct DenseSoftmaxCeArgs {
  DenseHead head = DenseHead::Softmax;
  int B = 0, F = 0, K = 0;
  // N, the rows the loss (and so dz) is the mean of: >= B; 0 = B. A data-parallel rank's share of
  // a global batch passes the global row count (Batch::mean_rows).
  int mean_rows = 0;
  const float* h = nullptr;       // device (B, F): the classifier input
  const float* w = nullptr;       // device (F, K): the first F rows of the dense kernel
  const float* bias = nullptr;    // device (K)
  const float* labels = nullptr;  // device (B) class indices (softmax) or (B, K) 0/1 (multi-label)
  // Optional inputs: (K) per-class loss factors (softmax only; null = 1 each), (B, K) logits added
  // after the bias (the n-gram part, kernels/ngram_features.cuh).
  const float* class_weights = nullptr;
  const float* extra_logits = nullptr;
  DeviceMetrics* metrics = nullptr;  // device, accumulated into (loss_sum, correct, count)
  float* probs = nullptr;            // device (B, K) or null
  // Backward when dh is set: dh (B, F), dw (F, K), dbias (K), all overwritten. dz: device (B, K),
  // overwritten with dL/dz (the n-gram gradient's input), or null.
  float* dh = nullptr;
  float* dw = nullptr;
  float* dbias = nullptr;
  float* dz = nullptr;
  // Scratch of dense_softmax_ce_workspace_bytes(B, K) bytes (or more): the logits, the rows'
  // losses and verdicts.
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};

size_t dense_softmax_ce_workspace_bytes(int B, int K);

// Validates the shapes (a clear senti::Error otherwise) and queues the launches on `stream`.
// A softmax label outside 0..K-1 gives a NaN loss and no gradient mark (validate_batch refuses it
// before it reaches the device).
void dense_softmax_ce(const DenseSoftmaxCeArgs& args, cudaStream_t stream);

}  // namespace senti::kernels
