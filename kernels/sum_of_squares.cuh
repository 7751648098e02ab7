#pragma once
// Σ a[i]² over a float buffer, in double, deterministic: a fixed grid of blocks each sums a fixed
// strided share (block_sum), then one block adds the partials in block order. Two launches, no
// atomics, the result stays on the device. Used for the sparse (TensorFlow IndexedSlices) norm of
// the embedding gradient: the sum of squares of dL/d(embedding output) over the positions read.
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace senti::kernels {

// Device scratch for the partial sums (any n).
size_t sum_of_squares_workspace_bytes();

// *out (device double) = Σ_{i<n} a[i]² (0 for n = 0).
void sum_of_squares(const float* a, int64_t n, double* out, void* workspace, size_t workspace_bytes,
                    cudaStream_t stream);

}  // namespace senti::kernels
