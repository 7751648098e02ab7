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
// The embedding gradient's norm follows OptimizerConfig::embedding_clip_norm (docs/model.md): Dense
// takes it over the (V, E) gradient, which is what grad_sums_of_squares computes; Sparse
// (TensorFlow's IndexedSlices rule) over the per-position rows, which only the backend that
// produced the gradient can compute: it passes the sums with that entry replaced.
#include <array>

#include "engine/model_config.h"
#include "engine/params.h"

namespace senti {

// One Adam step moves a weight by up to about lr, and the model multiplies weights together: above
// ~sqrt(FLT_MAX) = 1.8e19 the next forward pass overflows float32 whatever the data. Larger rates
// cannot train anything, so they are refused rather than left to the divergence guard.
constexpr float kMaxLearningRate = 1e18f;

// The one owner of the optimizer settings' rules: throws InvalidSetting (named "lr", "beta1",
// "beta2", "epsilon", "clipnorm", "global_clipnorm", "clipnorm+global_clipnorm") for a non-finite
// or out-of-range value, or when both clipnorm and global_clipnorm are set (Keras raises too).
void validate_optimizer_config(const OptimizerConfig& opt);

// One value per ParamId; entries past ParamLayout::count() are 0 (sums) and 1 (scales).
using TensorSums = std::array<double, kMaxParamTensors>;
using TensorScales = std::array<float, kMaxParamTensors>;

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
