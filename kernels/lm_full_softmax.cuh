#pragma once
// The language model's evaluation head: Dense(V) + the full softmax over all V ids (CPU twin
// LmHeadCpu::evaluate, engine/cpu/lm_head_cpu.h), with on-device metrics:
//
//   z_nv = x_n · W[:, v] + b[v]         v < V
//   loss_n = max_v z_nv + log Σ_v exp(z_nv - max) - z_n,t_n   (exact cross-entropy)
//   correct_n = [argmax_v z_nv == t_n]  (the first maximum)
//
// Eight rows a block (one where 8·H floats do not fit 32 KiB, H > 1024), rows with a target only
// (kernels/lm_rows.cuh): each column of W read once for the block's rows; threads over the
// vocabulary, per row and thread a running maximum (first index) and Σ exp in double, combined in
// thread order; then lm_row_metrics. No atomics: bit-reproducible. Row addressing as kernels/lm_sampled_softmax.cuh.
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/dense_bce.cuh"  // DeviceMetrics

namespace senti::kernels {

struct LmFullSoftmaxArgs {
  int D = 1;
  int64_t M = 0;  // rows of one direction (T·B)
  int H = 0, V = 0;
  const float* x = nullptr;  // device: row r of direction d at x + r·ldx + d·H
  int64_t ldx = 0;           // 0 = D·H
  const int32_t* targets = nullptr;  // device (D·M), -1: no target
  const float* weights = nullptr;    // device (D·M) (lm_row_metrics' objective; may be the targets' weights)
  const float* w = nullptr;          // device (H, V)
  const float* bias = nullptr;       // device (V)
  DeviceMetrics* metrics = nullptr;  // device, accumulated into
  void* workspace = nullptr;         // lm_full_softmax_workspace_bytes(D·M)
  size_t workspace_bytes = 0;
};

size_t lm_full_softmax_workspace_bytes(int64_t rows);

void lm_full_softmax(const LmFullSoftmaxArgs& args, cudaStream_t stream);

}  // namespace senti::kernels
