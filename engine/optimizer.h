#pragma once
// The optimizer's rules, exactly as Keras 3 applies them: validation, per-tensor norms and clip
// scales (the per-element formulas are kernels/common/math/optim.h, shared with the CUDA kernels;
// the CPU backend's update is engine/cpu/cpu_adam.h, the GPU's kernels/adam.cuh):
//
//   clipnorm c         each of the 6 tensors on its own: g *= c / max(||g||, c)
//   global_clipnorm c  all tensors together:          g *= c / max(||all g||, c)
//   Adam (t = step+1)  m += (g-m)(1-b1); v += (g²-v)(1-b2); alpha = lr·sqrt(1-b2^t)/(1-b1^t);
//                      theta -= alpha·m / (sqrt(v) + eps)
//
// Adam is dense: every element of every tensor is updated every step, including embedding rows no
// token in the batch used (their m and v decay), as Keras's Adam does.
//
// The embedding gradient is the dense (V, E) gradient, summed per token id, and its norm is taken
// over that dense tensor. TensorFlow's IndexedSlices path would instead sum squares per occurrence
// (a token used twice contributes 2·|g|² rather than |2g|²), which is not the norm of the true
// gradient; the dense norm is what PyTorch, JAX and Keras on JAX compute. See docs/model.md.
#include <array>

#include "engine/model_config.h"
#include "engine/params.h"

namespace senti {

// Throws UsageError for a negative clip or when both clipnorm and global_clipnorm are set (Keras
// raises for that combination too).
void validate_optimizer_config(const OptimizerConfig& opt);

using TensorSums = std::array<double, kNumParamTensors>;   // one value per ParamId
using TensorScales = std::array<float, kNumParamTensors>;  // one value per ParamId

// Sum of squares of each gradient tensor, accumulated in double in a fixed order (deterministic).
TensorSums grad_sums_of_squares(const ParamLayout& layout, const float* grads);

// The factor each tensor's gradient is multiplied by before Adam, from its sums of squares:
// per tensor for clipnorm, one shared factor for global_clipnorm, 1 when neither is set.
TensorScales clip_scales(const TensorSums& sums_of_squares, const OptimizerConfig& opt);

// What clipping saw and did in one optimizer step (training logs: Backend::last_gradient_stats).
struct ClipReport {
  TensorSums sums_of_squares{};  // of each gradient tensor, before clipping
  TensorScales scales{};         // the factor each tensor was multiplied by
};

}  // namespace senti
