// Clipping and Adam (engine/optimizer.h) against values worked out by hand from Keras 3's formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/common/error.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_adam.h"
#include "engine/optimizer.h"

namespace senti {
namespace {

// V 1, E 1, H 1: 15 parameters, the first (the single embedding weight) is the one we follow.
ModelConfig scalar_model() {
  ModelConfig cfg;
  cfg.vocab_size = 1;
  cfg.embed_dim = 1;
  cfg.hidden = 1;
  return cfg;
}

TrainState zero_state(const ParamLayout& L, float value) {
  TrainState s;
  s.params.assign(L.total(), value);
  s.m.assign(L.total(), 0.f);
  s.v.assign(L.total(), 0.f);
  return s;
}

// theta0 = 0.5, lr 0.01, gradients 0.2 then -0.1, no clipping. As in Keras, the moment rates
// 1 - beta are the decimal values (0.1f, 0.001f), the beta powers use float32 betas:
//   t=1: m = 0.1·0.2 = 0.02; v = 0.001·0.04 = 4e-5; alpha = 0.01·sqrt(0.001)/0.1
//        = 0.00316227766
//        theta = 0.5 - alpha·0.02/(sqrt(4e-5) + 1e-7) = 0.49000015811
//   t=2: m = 0.02 + (-0.1-0.02)·0.1 = 0.008; v = 4e-5 + (0.01-4e-5)·0.001 = 4.996e-5
//        alpha = 0.01·sqrt(1-0.999²)/(1-0.9²) = 0.00235316725
//        theta = 0.49000015811 - alpha·0.008/(sqrt(4.996e-5) + 1e-7) = 0.48733682540
TEST(AdamOptimizer, TwoStepsMatchKerasFormulaByHand) {
  const ParamLayout L(scalar_model());
  OptimizerConfig opt;
  opt.adam.lr = 0.01f;
  opt.clipnorm = 0.f;
  TrainState s = zero_state(L, 0.5f);
  std::vector<float> g(L.total(), 0.f);

  g[0] = 0.2f;
  apply_clipped_adam(L, opt, g.data(), &s);
  EXPECT_EQ(s.step, 1);
  EXPECT_NEAR(s.m[0], 0.02, 1e-8);
  EXPECT_NEAR(s.v[0], 4e-5, 2e-11);  // float32 rounding; 1 - 0.999f would be 5e-10 off
  EXPECT_NEAR(s.params[0], 0.49000015811, 2e-7);

  g[0] = -0.1f;
  apply_clipped_adam(L, opt, g.data(), &s);
  EXPECT_EQ(s.step, 2);
  EXPECT_NEAR(s.m[0], 0.008, 1e-8);
  EXPECT_NEAR(s.v[0], 4.996e-5, 2e-11);
  EXPECT_NEAR(s.params[0], 0.48733682540, 2e-7);

  // Parameters with zero gradient and zero moments do not move; the step count is shared.
  for (size_t k = 1; k < L.total(); ++k) {
    EXPECT_EQ(s.params[k], 0.5f);
    EXPECT_EQ(s.m[k], 0.f);
  }
}

TEST(AdamOptimizer, StepSizeFollowsBiasCorrection) {
  math::AdamHyper h;  // lr 1e-3, beta1 0.9, beta2 0.999 (powers of the float32 betas, like Keras)
  const double b1 = 0.9f, b2 = 0.999f;
  EXPECT_NEAR(math::adam_alpha(h, 1), 1e-3 * std::sqrt(1 - b2) / (1 - b1), 1e-10);
  EXPECT_NEAR(math::adam_alpha(h, 1), 1e-3 * std::sqrt(0.001) / 0.1, 3e-9);  // the decimal value
  EXPECT_NEAR(math::adam_alpha(h, 10),
              1e-3 * std::sqrt(1 - std::pow(b2, 10)) / (1 - std::pow(b1, 10)), 1e-10);
  EXPECT_NEAR(math::adam_alpha(h, 100000), 1e-3, 1e-9);  // bias corrections vanish
}

// Embedding gradient with norm 50, every other tensor tiny (0.01 per element).
struct ClipCase {
  ParamLayout L{[] {
    ModelConfig c;
    c.vocab_size = 2;
    c.embed_dim = 2;
    c.hidden = 1;
    return c;
  }()};
  std::vector<float> g;
  ClipCase() : g(L.total(), 0.01f) {
    float* emb = &g[L[ParamId::Embedding].offset];  // (2, 2)
    emb[0] = 30.f;
    emb[1] = 40.f;
    emb[2] = 0.f;
    emb[3] = 0.f;
  }
};

TEST(AdamOptimizer, ClipnormClipsEachTensorOnItsOwn) {
  ClipCase cc;
  OptimizerConfig opt;
  opt.clipnorm = 1.f;
  const TensorScales s = clip_scales(grad_sums_of_squares(cc.L, cc.g.data()), opt);
  EXPECT_NEAR(s[0], 1.0 / 50.0, 1e-7);                          // clipped to norm 1
  for (int i = 1; i < kNumParamTensors; ++i) EXPECT_EQ(s[i], 1.f);  // already below 1

  // Through Adam: the first moment after one step is 0.1 · clipped gradient.
  TrainState st = zero_state(cc.L, 0.f);
  apply_clipped_adam(cc.L, opt, cc.g.data(), &st);
  EXPECT_NEAR(st.m[cc.L[ParamId::Embedding].offset], 0.1 * 30.0 / 50.0, 1e-7);
  EXPECT_NEAR(st.m[cc.L[ParamId::Kernel].offset], 0.1 * 0.01, 1e-9);
}

TEST(AdamOptimizer, GlobalClipnormScalesAllTensorsTogether) {
  ClipCase cc;
  OptimizerConfig opt;
  opt.clipnorm = 0.f;
  opt.global_clipnorm = 1.f;
  const TensorSums sums = grad_sums_of_squares(cc.L, cc.g.data());
  EXPECT_DOUBLE_EQ(sums[0], 2500.0);
  double total = 0;
  for (double x : sums) total += x;
  const double expected = 1.0 / std::sqrt(total);  // ~0.02 for every tensor
  const TensorScales s = clip_scales(sums, opt);
  for (int i = 0; i < kNumParamTensors; ++i) EXPECT_NEAR(s[i], expected, 1e-8);

  TrainState st = zero_state(cc.L, 0.f);
  apply_clipped_adam(cc.L, opt, cc.g.data(), &st);
  // The small kernel gradient is scaled down 50x here, unlike with per-tensor clipnorm.
  EXPECT_NEAR(st.m[cc.L[ParamId::Kernel].offset], 0.1 * 0.01 * expected, 1e-10);
}

TEST(AdamOptimizer, NoClippingWhenNormBelowThresholdOrOff) {
  ClipCase cc;
  OptimizerConfig opt;
  opt.clipnorm = 100.f;  // above every norm
  for (float s : clip_scales(grad_sums_of_squares(cc.L, cc.g.data()), opt)) EXPECT_EQ(s, 1.f);
  opt.clipnorm = 0.f;  // off
  for (float s : clip_scales(grad_sums_of_squares(cc.L, cc.g.data()), opt)) EXPECT_EQ(s, 1.f);
}

TEST(AdamOptimizer, ThreadCountDoesNotChangeResults) {
  ModelConfig cfg;
  cfg.vocab_size = 3000;  // 384K embedding elements: enough for several parts
  const ParamLayout L(cfg);
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> g(L.total());
  for (float& x : g) x = u(rng);
  TrainState one = zero_state(L, 0.25f);
  TrainState three = one;
  OptimizerConfig opt;  // seed recipe: clipnorm 0.1
  for (int step = 0; step < 2; ++step) {
    apply_clipped_adam(L, opt, g.data(), &one, 1);
    apply_clipped_adam(L, opt, g.data(), &three, 3);
  }
  EXPECT_EQ(one.params, three.params);
  EXPECT_EQ(one.m, three.m);
  EXPECT_EQ(one.v, three.v);
  EXPECT_NE(one.params[L.total() - 1], 0.25f);  // the last element (dense bias) was updated
}

TEST(AdamOptimizer, BothClipOptionsAreAUsageError) {
  OptimizerConfig opt;
  opt.clipnorm = 0.1f;
  opt.global_clipnorm = 1.f;
  EXPECT_THROW(validate_optimizer_config(opt), UsageError);
  BackendOptions bo;
  bo.model = scalar_model();
  bo.optimizer = opt;
  EXPECT_THROW(make_cpu_backend(bo), UsageError);
  opt.global_clipnorm = 0.f;
  opt.clipnorm = -1.f;
  EXPECT_THROW(validate_optimizer_config(opt), UsageError);
  opt.clipnorm = 0.1f;
  EXPECT_NO_THROW(validate_optimizer_config(opt));
}

}  // namespace
}  // namespace senti
