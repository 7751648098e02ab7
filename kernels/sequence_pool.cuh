#pragma once
// Pooling over time for the classifier input (`--pool last|max|mean|concat`, docs/model.md),
// masked: only each row's real steps count. The features of row b are, for each pool kind that is
// on, in the order last, max, mean, each direction's H values (forward direction first):
//
//   last   hy [B, D·H]: the state after the direction's last real step
//   max    per element, the maximum of h over the real steps; the first step (in the direction's
//          reading order) that attains it keeps the gradient (math::pool_max_update)
//   mean   Σ h over the real steps (in double, reading order) / len
//
// y is the LSTM's output [T, B, D·H] (time-major, direction d in columns [d·H, (d+1)·H); the
// forward direction reads positions in increasing order, the backward one in decreasing order).
// Row b's real positions follow kernels/lstm_fused.cuh: all T without lengths; with them, [0, len)
// (post padding) or [T - len, T) (pre padding), len clamped to [0, T] (a row of length 0 pools to
// zeros). Deterministic (no atomics). Plain C++ declarations, as every .cuh.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/common/math/hd.h"
#include "kernels/lstm_fused.cuh"

namespace senti::kernels {

struct SequencePoolShape {
  int B = 0, T = 0, H = 0;
  int directions = 1;                // D: 1, or 2 (bidirectional, merge concat)
  const int32_t* lengths = nullptr;  // device [B], or null (every row has T real steps)
  Padding padding = Padding::Post;
  bool last = true, max = false, mean = false;
  SENTI_HD int kinds() const { return (last ? 1 : 0) + (max ? 1 : 0) + (mean ? 1 : 0); }
  SENTI_HD int features() const { return kinds() * directions * H; }  // F
};

// hy [B, D·H], y [T, B, D·H] -> features [B, F]. argmax: device [B, D·H] (the position that kept
// each max element, for backward), needed when shape.max.
void sequence_pool_forward(const SequencePoolShape& shape, const float* y, const float* hy,
                           float* features, int32_t* argmax, cudaStream_t stream);

// dL/dfeatures [B, F] -> dhy [B, D·H] (overwritten; zero without `last`) and dy [T, B, D·H]
// (overwritten, zero at the positions that got nothing; may be null when neither max nor mean is
// on). argmax: as written by the forward of the same inputs.
void sequence_pool_backward(const SequencePoolShape& shape, const float* dfeatures,
                            const int32_t* argmax, float* dy, float* dhy, cudaStream_t stream);

}  // namespace senti::kernels
