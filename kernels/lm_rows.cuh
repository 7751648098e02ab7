#pragma once
// The language model's rows on the device (ModelConfig::language_model(); CPU twin: the rows
// LmHeadCpu builds from LstmCpu::packed(), engine/cpu/lm_head_cpu.h), around the two head ops
// kernels/lm_sampled_softmax (training) and kernels/lm_full_softmax (evaluation).
//
// The LSTM's outputs y [T, B, D·H] hold, per direction d, the state after reading the token at
// each real position. A row n = d·T·B + t·B + b is direction d's state at position t of row b:
//   forward (d 0):  the state after real token k predicts real token k + 1 (k + 1 < len)
//   backward (d 1): it reads the real tokens in reverse: after real token k it predicts k - 1
// (the CPU's "h_{s-1} predicts the token of step s", s >= 1). Rows that predict nothing (the
// last token read, padding) get target -1 and weight 0.
//   targets (D·T·B) int32: the predicted id, or -1
//   weights (D·T·B) float: 1 / ((len - 1) · D · mean_rows), the CPU's rounding (double, then float)
// lm_row_metrics sums the rows' losses and verdicts into DeviceMetrics (count = predicted
// tokens) and the weighted objective, in row order (deterministic, no atomics).
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/dense_bce.cuh"   // DeviceMetrics
#include "kernels/lstm_fused.cuh"  // Padding

namespace senti::kernels {

// ids: device (B, T) row-major; lengths: device (B) (the LM is masked; null = all T real).
void lm_targets(const int32_t* ids, int B, int T, int D, const int32_t* lengths, Padding padding,
                int mean_rows, int32_t* targets, float* weights, cudaStream_t stream);

// row_loss, row_correct: (N) per row (read only where targets >= 0). metrics: added to
// (loss_sum += Σ loss, correct += Σ correct, count += rows with a target). objective: device
// double added to (Σ weight · loss), or null.
void lm_row_metrics(const double* row_loss, const int32_t* row_correct, const int32_t* targets,
                    const float* weights, int64_t N, DeviceMetrics* metrics, double* objective,
                    cudaStream_t stream);

}  // namespace senti::kernels
