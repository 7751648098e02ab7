// Keras-layout <-> cuDNN weight-space copies through an index map. See weight_map.cuh.
#include "kernels/weight_map.cuh"

#include "kernels/common/error.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;

static __global__ void scatter_kernel(const float* __restrict__ keras, const int32_t* __restrict__ map,
                                      int64_t n, float* __restrict__ ws) {
  const int64_t k = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (k < n) ws[map[k]] = keras[k];
}

static __global__ void gather_kernel(const float* __restrict__ ws, const int32_t* __restrict__ map,
                                     int64_t n, float* __restrict__ keras) {
  const int64_t k = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (k < n) keras[k] = ws[map[k]];
}

unsigned blocks_for(int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

}  // namespace

void scatter_to_weight_space(const float* keras, const int32_t* map, int64_t n, float* ws,
                             cudaStream_t stream) {
  SENTI_CHECK(n > 0 && keras && map && ws, "scatter_to_weight_space: bad arguments");
  launch(scatter_kernel, blocks_for(n), kThreads, 0, stream, keras, map, n, ws);
}

void gather_from_weight_space(const float* ws, const int32_t* map, int64_t n, float* keras,
                              cudaStream_t stream) {
  SENTI_CHECK(n > 0 && keras && map && ws, "gather_from_weight_space: bad arguments");
  launch(gather_kernel, blocks_for(n), kThreads, 0, stream, ws, map, n, keras);
}

}  // namespace senti::kernels
