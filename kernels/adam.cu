// Fused Keras Adam over all tensors, one block a tile, and the device step counter. See adam.cuh.
#include "kernels/adam.cuh"

#include "kernels/common/error.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;

struct LrScales {  // per tensor, by value in the launch (a captured graph keeps it)
  float s[kMaxParamTensors];
};

static __global__ void adam_next_step_kernel(int64_t* __restrict__ steps_done,
                                             math::AdamHyper hyper, float* __restrict__ alpha) {
  const int64_t t = *steps_done + 1;
  *steps_done = t;
  *alpha = math::adam_alpha(hyper, static_cast<long long>(t));
}

static __global__ void __launch_bounds__(kThreads)
adam_kernel(float* __restrict__ params, float* __restrict__ m, float* __restrict__ v,
            const float* __restrict__ grads, const float* __restrict__ scales, ParamTiles tiles,
            const float* __restrict__ alpha_in, LrScales lr, float rate1, float rate2,
            float epsilon) {
  const int tile = blockIdx.x;
  int k = 0;
  while (tile >= tiles.tile_begin[k + 1]) ++k;
  const int64_t begin = tiles.offset[k] + static_cast<int64_t>(tile - tiles.tile_begin[k]) * kParamTileElems;
  const int64_t end = min(begin + kParamTileElems, tiles.offset[k] + tiles.size[k]);
  const float scale = scales ? scales[k] : 1.f;
  const float alpha = lr.s[k] == 1.f ? *alpha_in : *alpha_in * lr.s[k];
  for (int64_t i = begin + threadIdx.x; i < end; i += kThreads)
    math::adam_update(params + i, m + i, v + i, math::adam_scaled_grad(grads[i], scale), alpha,
                      rate1, rate2, epsilon);
}

}  // namespace

void adam_next_step(int64_t* steps_done, const math::AdamHyper& hyper, float* alpha,
                    cudaStream_t stream) {
  SENTI_CHECK(steps_done && alpha, "adam_next_step: null pointer");
  launch(adam_next_step_kernel, 1, 1, 0, stream, steps_done, hyper, alpha);
}

void adam(float* params, float* m, float* v, const float* grads, const float* scales,
          const ParamTiles& tiles, const float* alpha, const math::AdamHyper& hyper,
          cudaStream_t stream, const float* lr_scale) {
  SENTI_CHECK(tiles.num_tensors > 0 && tiles.num_tensors <= kMaxParamTensors &&
                  tiles.total_tiles() > 0,
              "adam: bad tile table (", tiles.num_tensors, " tensors)");
  for (int k = 0; k < tiles.num_tensors; ++k)
    SENTI_CHECK(tiles.size[k] > 0, "adam: empty tensor ", k);
  SENTI_CHECK(params && m && v && grads && alpha, "adam: null pointer");
  LrScales lr;
  for (int k = 0; k < kMaxParamTensors; ++k) lr.s[k] = lr_scale && k < tiles.num_tensors ? lr_scale[k] : 1.f;
  launch(adam_kernel, tiles.total_tiles(), kThreads, 0, stream, params, m, v, grads, scales, tiles,
         alpha, lr, hyper.rate1(), hyper.rate2(), hyper.epsilon);
}

}  // namespace senti::kernels
