#include "engine/optimizer.h"

#include <algorithm>

#include "kernels/common/error.h"
#include "engine/cpu/adam_simd.h"
#include "engine/cpu/parallel.h"
#include "kernels/common/math/optim.h"

namespace senti {

void validate_optimizer_config(const OptimizerConfig& opt) {
  if (opt.clipnorm < 0.f) SENTI_FAIL("clipnorm must be >= 0 (0 = off), got ", opt.clipnorm);
  if (opt.global_clipnorm < 0.f)
    SENTI_FAIL("global_clipnorm must be >= 0 (0 = off), got ", opt.global_clipnorm);
  if (opt.clipnorm > 0.f && opt.global_clipnorm > 0.f)
    SENTI_FAIL("clipnorm and global_clipnorm cannot both be set (Keras raises too); got clipnorm ",
               opt.clipnorm, " and global_clipnorm ", opt.global_clipnorm);
  const math::AdamHyper& a = opt.adam;
  if (!(a.lr > 0.f)) SENTI_FAIL("learning rate must be > 0, got ", a.lr);
  if (!(a.beta1 >= 0.0 && a.beta1 < 1.0)) SENTI_FAIL("beta1 must be in [0, 1), got ", a.beta1);
  if (!(a.beta2 >= 0.0 && a.beta2 < 1.0)) SENTI_FAIL("beta2 must be in [0, 1), got ", a.beta2);
  if (!(a.epsilon > 0.f)) SENTI_FAIL("epsilon must be > 0, got ", a.epsilon);
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
  for (int i = 0; i < kNumParamTensors; ++i) {
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
    for (int i = 0; i < kNumParamTensors; ++i) scales[i] = math::clip_scale(sums[i], opt.clipnorm);
  } else if (opt.global_clipnorm > 0.f) {
    double total = 0;
    for (double s : sums) total += s;
    scales.fill(math::clip_scale(total, opt.global_clipnorm));
  }
  return scales;
}

void apply_clipped_adam(const ParamLayout& layout, const OptimizerConfig& opt, const float* grads,
                        TrainState* state, int threads, ClipReport* report) {
  SENTI_CHECK(state->params.size() == layout.total() && state->m.size() == layout.total() &&
                  state->v.size() == layout.total(),
              "train state does not match the parameter layout (", state->params.size(),
              " params, layout ", layout.total(), ")");
  const TensorSums sums = grad_sums_of_squares(layout, grads);
  const TensorScales scales = clip_scales(sums, opt);
  if (report) *report = ClipReport{sums, scales};
  const math::AdamHyper& h = opt.adam;
  const float alpha = math::adam_alpha(h, state->step + 1);
  float* theta = state->params.data();
  float* m = state->m.data();
  float* v = state->v.data();
  const size_t total = layout.total();
  // Parts take contiguous element ranges (at least 64K elements each: thread start-up is not free).
  const int parts = static_cast<int>(
      std::max<size_t>(1, std::min<size_t>(std::max(threads, 1), total / 65536)));
  run_parts(parts, [&](int part) {
    const size_t lo = total * part / parts, hi = total * (part + 1) / parts;
    for (int i = 0; i < kNumParamTensors; ++i) {
      const TensorInfo& t = layout.tensors()[i];
      const float scale = scales[i];
      const size_t begin = std::max(lo, t.offset), end = std::min(hi, t.offset + t.size);
      if (end > begin)  // SIMD, bit-identical to math::adam_update element by element
        cpu::adam_range(theta + begin, m + begin, v + begin, grads + begin, end - begin, scale,
                        alpha, h.rate1(), h.rate2(), h.epsilon);
    }
  });
  ++state->step;
}

}  // namespace senti
