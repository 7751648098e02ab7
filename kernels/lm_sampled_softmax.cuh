#pragma once
// The language model's training head: Dense(V) + sampled softmax (formulas in
// kernels/common/math/lm.h; CPU twin LmHeadCpu::train, engine/cpu/lm_head_cpu.h), forward and
// backward in one call, with on-device metrics:
//
//   samples_k = lm_sample_id(seed, *step, k, V)      k < S, drawn on the device from the step
//                                                    counter (a replayed CUDA graph draws anew)
//   z_n0 = x_n · W[:, t_n] + b[t_n] - log(S·Q(t_n)), z_n(1+k) = x_n · W[:, s_k] + b[s_k] - log(S·Q(s_k))
//          (kLmRemovedLogit where s_k == t_n: an accidental hit)
//   loss_n, dz_n = math::lm_softmax_ce(z_n, S + 1, weight_n)     (rows with t_n >= 0 only)
//   dx_n = Σ_k dz_n(1+k) W[:, s_k] + dz_n0 W[:, t_n]             (0 for rows without a target)
//   dW[:, s_k] += Σ_n x_n dz_n(1+k), db[s_k] += Σ_n dz_n(1+k)    (per candidate, then scattered)
//   dW[:, t_n] += dz_n0 x_n, db[t_n] += dz_n0                    (rows in order)
//
// Rows: n = d·M + r (kernels/lm_rows.cuh: M = T·B, d the direction); row n's state is
// x + r·ldx + d·H, and its dL/dstate goes to the same place of dx. Launches: the draw, the
// candidates' columns of W gathered in two layouts (coalesced reads for the rows), one block
// a row (logits, loss, dz, dx), one block a candidate (its column of dW and db), one block a range
// of ids for the scatter into dW/db (each id's sums in the fixed order: candidates, then rows),
// one for the metrics (lm_row_metrics). No atomics: bit-reproducible, whatever the grid. dW (H, V)
// and db (V) are overwritten. H at most ~11,700 (shared memory).
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/dense_bce.cuh"  // DeviceMetrics

namespace senti::kernels {

struct LmSampledSoftmaxArgs {
  int D = 1;       // directions
  int64_t M = 0;   // rows of one direction (T·B)
  int H = 0, V = 0, S = 0;
  const float* x = nullptr;  // device: row r of direction d at x + r·ldx + d·H
  int64_t ldx = 0;           // 0 = D·H
  const int32_t* targets = nullptr;  // device (D·M), -1: no target (kernels/lm_rows.cuh)
  const float* weights = nullptr;    // device (D·M)
  const float* w = nullptr;          // device (H, V) "dense/kernel"
  const float* bias = nullptr;       // device (V)
  uint64_t seed = 0;
  const int64_t* step = nullptr;     // device: Adam steps done (the candidates' key)
  DeviceMetrics* metrics = nullptr;  // device, accumulated into
  double* objective = nullptr;       // device, += Σ weight·loss (or null)
  // Backward when dx is set: dx (same addressing as x, every row written), dw (H, V), dbias (V).
  float* dx = nullptr;
  float* dw = nullptr;
  float* dbias = nullptr;
  void* workspace = nullptr;  // lm_sampled_softmax_workspace_bytes(D·M, S, H, V)
  size_t workspace_bytes = 0;
};

size_t lm_sampled_softmax_workspace_bytes(int64_t rows, int S, int H, int V);

// Validates the shapes (senti::Error otherwise) and queues the launches on `stream`.
void lm_sampled_softmax(const LmSampledSoftmaxArgs& args, cudaStream_t stream);

// The step's candidates alone (device (S)): for tests.
void lm_draw_samples(uint64_t seed, const int64_t* step, int S, int V, int32_t* samples,
                     cudaStream_t stream);

}  // namespace senti::kernels
