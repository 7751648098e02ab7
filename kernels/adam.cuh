#pragma once
// Adam in the Keras form, fused over every parameter tensor in one launch: each element's gradient
// is multiplied by its tensor's clip scale (from clip_scales, read on the device) and then
// math::adam_update runs with the step size alpha = math::adam_alpha(hyper, t) computed on the host
// from the step count the host already knows (no synchronisation).
#include <cuda_runtime_api.h>

#include "kernels/common/math/optim.h"
#include "kernels/param_tiles.h"

namespace senti::kernels {

// params, m, v, grads: device flat buffers laid out as `tiles` describes. scales: device
// [num_tensors], or null for "no clipping".
void adam(float* params, float* m, float* v, const float* grads, const float* scales,
          const ParamTiles& tiles, float alpha, const math::AdamHyper& hyper, cudaStream_t stream);

}  // namespace senti::kernels
