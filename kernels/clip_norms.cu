// Per-tensor squared norms and clip scales in one launch ("last block finishes" reduction).
// See clip_norms.cuh.
#include "kernels/clip_norms.cuh"

#include "kernels/common/error.h"
#include "kernels/common/math/optim.h"
#include "kernels/block_sum.cuh"
#include "kernels/launch.cuh"
#include "kernels/workspace.h"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;

// One block a tile. Each block stores its tile's sum of squares; the last block to finish adds the
// tiles of each tensor in tile order and turns the sums into scales.
static __global__ void __launch_bounds__(kThreads)
clip_scales_kernel(const float* __restrict__ grads, ParamTiles tiles, float clipnorm,
                   float global_clipnorm, double* partial, unsigned int* counter,
                   float* __restrict__ scales, double* __restrict__ sumsq_out,
                   const double* __restrict__ first_sumsq) {
  __shared__ double scratch[kThreads];
  __shared__ double sums[kMaxParamTensors];
  __shared__ bool is_last;

  const int tile = blockIdx.x;
  int k = 0;
  while (tile >= tiles.tile_begin[k + 1]) ++k;
  const int64_t begin = tiles.offset[k] + static_cast<int64_t>(tile - tiles.tile_begin[k]) * kParamTileElems;
  const int64_t end = min(begin + kParamTileElems, tiles.offset[k] + tiles.size[k]);
  double acc = 0.0;
  for (int64_t i = begin + threadIdx.x; i < end; i += kThreads) {
    const double g = grads[i];
    acc += g * g;
  }
  const double tile_sum = block_sum<kThreads>(acc, scratch);
  if (threadIdx.x == 0) {
    partial[tile] = tile_sum;
    __threadfence();  // make the partial visible before counting this block as done
    is_last = atomicAdd(counter, 1u) == gridDim.x - 1;
  }
  __syncthreads();
  if (!is_last) return;

  __threadfence();
  if (threadIdx.x < tiles.num_tensors) {
    const int t = threadIdx.x;
    double s = 0.0;
    for (int j = tiles.tile_begin[t]; j < tiles.tile_begin[t + 1]; ++j) s += __ldcg(partial + j);
    sums[t] = t == 0 && first_sumsq ? *first_sumsq : s;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    double global = 0.0;
    for (int t = 0; t < tiles.num_tensors; ++t) global += sums[t];
    for (int t = 0; t < tiles.num_tensors; ++t) {
      float scale = 1.f;
      if (clipnorm > 0.f)
        scale = math::clip_scale(sums[t], clipnorm);
      else if (global_clipnorm > 0.f)
        scale = math::clip_scale(global, global_clipnorm);
      scales[t] = scale;
      if (sumsq_out) sumsq_out[t] = sums[t];
    }
    *counter = 0u;  // ready for the next launch (stream order makes this safe)
  }
}

}  // namespace

size_t clip_workspace_bytes(const ParamTiles& tiles) {
  return align256(sizeof(double) * static_cast<size_t>(tiles.total_tiles())) + 256;
}

void clip_scales(const float* grads, const ParamTiles& tiles, float clipnorm,
                 float global_clipnorm, void* workspace, size_t workspace_bytes, float* scales,
                 double* sumsq, cudaStream_t stream, const double* first_sumsq) {
  SENTI_CHECK(tiles.num_tensors > 0 && tiles.num_tensors <= kMaxParamTensors &&
                  tiles.total_tiles() > 0,
              "clip_scales: bad tile table (", tiles.num_tensors, " tensors)");
  for (int k = 0; k < tiles.num_tensors; ++k)
    SENTI_CHECK(tiles.size[k] > 0, "clip_scales: empty tensor ", k);
  SENTI_CHECK(grads && scales && workspace, "clip_scales: null pointer");
  SENTI_CHECK(workspace_bytes >= clip_workspace_bytes(tiles), "clip_scales: workspace too small");
  auto* partial = static_cast<double*>(workspace);
  auto* counter = reinterpret_cast<unsigned int*>(
      static_cast<char*>(workspace) + align256(sizeof(double) * tiles.total_tiles()));
  launch(clip_scales_kernel, tiles.total_tiles(), kThreads, 0, stream, grads, tiles, clipnorm,
         global_clipnorm, partial, counter, scales, sumsq, first_sumsq);
}

}  // namespace senti::kernels
