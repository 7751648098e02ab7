// The CPU backend's optimizer step: the shared clipping rule (engine/optimizer.h) then Adam over
// contiguous element ranges with the SIMD update (bit-identical to math::adam_update).
#include "engine/cpu/cpu_adam.h"

#include <algorithm>

#include "engine/cpu/adam_simd.h"
#include "engine/cpu/parallel.h"
#include "engine/optimizer.h"
#include "kernels/common/error.h"
#include "kernels/common/math/optim.h"

namespace senti {

void apply_clipped_adam(const ParamLayout& layout, const OptimizerConfig& opt, const float* grads,
                        TrainState* state, int threads, const TensorSums* given_sums,
                        ClipReport* report) {
  SENTI_CHECK(state->params.size() == layout.total() && state->m.size() == layout.total() &&
                  state->v.size() == layout.total(),
              "train state does not match the parameter layout (", state->params.size(),
              " params, layout ", layout.total(), ")");
  const TensorSums sums = given_sums ? *given_sums : grad_sums_of_squares(layout, grads);
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
    for (int i = 0; i < layout.count(); ++i) {
      const TensorInfo& t = layout.tensors()[i];
      const float scale = scales[i];
      // A per-tensor rate (fine-tuning): alpha · lr_scale, one float product, as on the GPU.
      const float tensor_alpha = opt.lr_scale[i] == 1.f ? alpha : alpha * opt.lr_scale[i];
      const size_t begin = std::max(lo, t.offset), end = std::min(hi, t.offset + t.size);
      if (end > begin)  // SIMD, bit-identical to math::adam_update element by element
        cpu::adam_range(theta + begin, m + begin, v + begin, grads + begin, end - begin, scale,
                        tensor_alpha, h.rate1(), h.rate2(), h.epsilon);
    }
  });
  ++state->step;
}

}  // namespace senti
