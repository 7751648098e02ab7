#pragma once
// Adam in the Keras form, fused over every parameter tensor in one launch: each element's gradient
// is multiplied by its tensor's clip scale (from clip_scales, read on the device) and then
// math::adam_update runs with the step size alpha, also read on the device. adam_next_step makes
// alpha there: it advances the device's count of Adam steps and evaluates math::adam_alpha (the
// CPU optimizer's formula) for the new step. Nothing in a step's launches depends on the step
// number, so the CUDA backend can capture the whole train step in a CUDA graph and replay it.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/common/math/optim.h"
#include "kernels/param_tiles.h"

namespace senti::kernels {

// One thread: t = *steps_done + 1; *steps_done = t; *alpha = math::adam_alpha(hyper, t).
// steps_done: device int64 (Adam steps done so far); alpha: device float.
void adam_next_step(int64_t* steps_done, const math::AdamHyper& hyper, float* alpha,
                    cudaStream_t stream);

// params, m, v, grads: device flat buffers laid out as `tiles` describes. scales: device
// [num_tensors], or null for "no clipping". alpha: device float, the step size (adam_next_step).
// lr_scale: host [num_tensors] per-tensor rate factors (OptimizerConfig::lr_scale; copied into
// the launch), or null: tensor k steps with alpha · lr_scale[k], one float product (alpha itself
// where the factor is 1), as engine/cpu/cpu_adam.cpp.
void adam(float* params, float* m, float* v, const float* grads, const float* scales,
          const ParamTiles& tiles, const float* alpha, const math::AdamHyper& hyper,
          cudaStream_t stream, const float* lr_scale = nullptr);

}  // namespace senti::kernels
