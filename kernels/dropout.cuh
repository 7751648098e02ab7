#pragma once
// Training-mode dropout on the device (docs/model.md, "Dropout"): multiplies a buffer in place by
// the masks of kernels/common/math/dropout.h, keyed exactly as the CPU backend keys them, so both
// backends draw the same masks. Applying the same call to the gradient of the buffer gives the
// backward pass (d/dx of x·m is m). Inverted scaling: kept elements are scaled by 1/(1-rate).
//
// The optimizer step of the key is read from device memory (`step`, the backend's count of Adam
// steps done), so a captured graph replays with the current step; no per-step host value is part
// of a launch.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/lstm_fused.cuh"

namespace senti::kernels {

struct DropoutKey {
  uint64_t seed = 0;            // the run's seed
  const int64_t* step = nullptr;  // device [1]: the optimizer step this batch trains
  float rate = 0.f;             // in (0, 1)
  // The global row of the batch's row 0 (Batch::row_offset): a data-parallel rank's share draws
  // the masks one process would draw for those rows of the global batch.
  uint64_t first_row = 0;
};

// The embedding output x [T, B, E] (time-major). Element dropout: row key (r << 32) | k for the
// k-th real token of row b, r = first_row + b its global row (with lengths: k is its index among
// the real tokens, post or pre padding; without: k = the position). Spatial: one mask per (row b,
// feature e), key r, at every position.
// With lengths, padded positions are left alone (the LSTM does not read them).
void embedding_dropout(float* x, int B, int T, int E, const int32_t* lengths, Padding padding,
                       bool spatial, const DropoutKey& key, cudaStream_t stream);

// The classifier input f [B, F]: row key first_row + b (the dense stream).
void feature_dropout(float* f, int B, int F, const DropoutKey& key, cudaStream_t stream);

}  // namespace senti::kernels
