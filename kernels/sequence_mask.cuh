#pragma once
// Zeroes the padded positions of a time-major sequence buffer: for every row b, the positions that
// are not among its len = lengths[b] real tokens (post padding: [len, T); pre padding: [0, T-len);
// lengths outside [0, T] are clamped, as the fused LSTM clamps them).
//
//   buf[(t*B + b)*width + e] = 0   for every padded position t of row b, e < width
//
// For layers that do not promise zeros there: cuDNN documents its padding fill for the RNN's
// outputs (y), not for dx, and the embedding gradient and the sparse clip norm read every row of
// dx (a padded position carries padding id 0, whose embedding row must get no gradient).
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/lstm_fused.cuh"

namespace senti::kernels {

// buf: device [T, B, width]; lengths: device [B] (not null). Asynchronous on `stream`.
void zero_padded_positions(float* buf, int B, int T, int width, const int32_t* lengths,
                           Padding padding, cudaStream_t stream);

}  // namespace senti::kernels
