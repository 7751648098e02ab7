#pragma once
// Dense(1) + sigmoid + binary cross-entropy, forward and backward fused in one single-block launch:
//
//   z_b = h_b · w + bias (+ extra_b),  p_b = sigmoid(z_b),  loss = mean_b bce_with_logit(z_b, y_b)
//   dz_b = (sigmoid(z_b) - y_b) / N,  dh_b = dz_b · w,  dw = Σ_b dz_b h_b,  dbias = Σ_b dz_b
//
// N is the row count of the mean (Batch::mean_rows): B, or for a data-parallel rank's share of a
// global batch the global row count, so that the ranks' gradients add up to the global mean's.
//
// The batch's loss sum, correct-prediction count and sample count are added to a DeviceMetrics
// struct in device memory, so a training step never synchronises with the host for metrics.
// Every sum runs in a fixed order (no atomics): results are bit-reproducible.
#include <cstdint>

#include <cuda_runtime_api.h>

namespace senti::kernels {

// Running metrics kept on the device (see Backend::take_metrics).
struct DeviceMetrics {
  double loss_sum;               // Σ per-sample BCE
  unsigned long long correct;    // Σ correct_prediction
  unsigned long long count;      // samples
};

constexpr int kDenseBceMaxBatch = 2048;  // single block: 12 bytes of shared memory a sample

// h: device [B, H] (cuDNN's hy for one layer); w: device [H]; bias: device [1]; labels: device [B].
// metrics: device, accumulated into. probs: device [B] or null.
// Backward when dh != null: dh [B, H] (overwritten), dw [H] and dbias [1] (overwritten).
// extra_logits: device [B] added to z_b before the sigmoid (the n-gram part,
// kernels/ngram_features.cuh), or null. dz: device [B], overwritten with dL/dz_b, or null.
// class_weights: device [2] (Keras class_weight: sample b's loss and dz_b times w[y_b]; training
// only), or null: then the arithmetic is exactly the unweighted one.
// mean_rows: N >= B, or 0 for N = B (the same bits as before N existed).
void dense_bce(const float* h, int B, int H, const float* w, const float* bias,
               const float* labels, DeviceMetrics* metrics, float* probs, float* dh, float* dw,
               float* dbias, cudaStream_t stream, const float* extra_logits = nullptr,
               float* dz = nullptr, const float* class_weights = nullptr, int mean_rows = 0);

}  // namespace senti::kernels
