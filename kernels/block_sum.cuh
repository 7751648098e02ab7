#pragma once
// Deterministic block-wide sum shared by the reduction kernels: per-thread partials, then a fixed
// tree over shared memory, so the result does not depend on scheduling. Every thread of a block of
// `Threads` threads must call it; scratch holds `Threads` values. Safe to call repeatedly: it
// synchronises before returning so the next call can reuse the scratch.
namespace senti::kernels {

template <int Threads, typename T>
__device__ __forceinline__ T block_sum(T v, T* scratch) {
  static_assert((Threads & (Threads - 1)) == 0, "block_sum needs a power-of-two block");
  scratch[threadIdx.x] = v;
  __syncthreads();
  for (int s = Threads / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) scratch[threadIdx.x] += scratch[threadIdx.x + s];
    __syncthreads();
  }
  const T total = scratch[0];
  __syncthreads();
  return total;
}

}  // namespace senti::kernels
