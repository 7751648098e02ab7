#include "engine/optimizer.h"

#include <algorithm>
#include <cmath>

#include "kernels/common/error.h"
#include "kernels/common/math/optim.h"

namespace senti {

void validate_optimizer_config(const OptimizerConfig& opt) {
  // Written as !(ok) so that NaN, which fails every comparison, is refused too.
  if (!(std::isfinite(opt.clipnorm) && opt.clipnorm >= 0.f))
    SENTI_FAIL_SETTING("clipnorm", "must be a finite number >= 0 (0 = off), got ", opt.clipnorm);
  if (!(std::isfinite(opt.global_clipnorm) && opt.global_clipnorm >= 0.f))
    SENTI_FAIL_SETTING("global_clipnorm", "must be a finite number >= 0 (0 = off), got ",
                       opt.global_clipnorm);
  if (opt.clipnorm > 0.f && opt.global_clipnorm > 0.f)
    SENTI_FAIL_SETTING("clipnorm+global_clipnorm",
                       "cannot both be set (Keras raises too): set one of them to 0; got clipnorm ",
                       opt.clipnorm, " and global_clipnorm ", opt.global_clipnorm);
  const math::AdamHyper& a = opt.adam;
  if (!(a.lr > 0.f && a.lr <= kMaxLearningRate))
    SENTI_FAIL_SETTING("lr", "must be a number in (0, ", kMaxLearningRate, "], got ", a.lr);
  if (!(a.beta1 >= 0.0 && a.beta1 < 1.0)) SENTI_FAIL_SETTING("beta1", "must be in [0, 1), got ", a.beta1);
  if (!(a.beta2 >= 0.0 && a.beta2 < 1.0)) SENTI_FAIL_SETTING("beta2", "must be in [0, 1), got ", a.beta2);
  if (!(std::isfinite(a.epsilon) && a.epsilon > 0.f))
    SENTI_FAIL_SETTING("epsilon", "must be a finite number > 0, got ", a.epsilon);
  for (float s : opt.lr_scale)
    if (!(s >= 0.f && s <= 1.f))
      SENTI_FAIL_SETTING("lr_scale", "must be in [0, 1] (0 freezes a tensor), got ", s);
}

namespace {
// Eight independent partial sums (in a fixed order, so deterministic) let the loop pipeline.
double sum_of_squares(const float* x, size_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += static_cast<double>(x[i + k]) * x[i + k];
  for (; i < n; ++i) acc[0] += static_cast<double>(x[i]) * x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}
}  // namespace

TensorSums grad_sums_of_squares(const ParamLayout& layout, const float* grads) {
  TensorSums sums{};
  for (int i = 0; i < layout.count(); ++i) {
    const TensorInfo& t = layout.tensors()[i];
    sums[i] = sum_of_squares(grads + t.offset, t.size);
  }
  return sums;
}

TensorScales clip_scales(const TensorSums& sums, const OptimizerConfig& opt) {
  validate_optimizer_config(opt);
  TensorScales scales;
  scales.fill(1.f);
  if (opt.clipnorm > 0.f) {
    for (int i = 0; i < kMaxParamTensors; ++i) scales[i] = math::clip_scale(sums[i], opt.clipnorm);
  } else if (opt.global_clipnorm > 0.f) {
    double total = 0;
    for (double s : sums) total += s;
    scales.fill(math::clip_scale(total, opt.global_clipnorm));
  }
  return scales;
}

}  // namespace senti
