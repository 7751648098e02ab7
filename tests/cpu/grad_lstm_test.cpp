// The CPU backend's forward pass and gradients for the seed model, Embedding -> LSTM (Keras
// semantics, no mask) -> Dense(1) -> mean BCE, against the independent, naive double-precision
// reference of tests/cpu/lstm_reference.h (no GEMM, no engine math; its only shared pieces, the
// dropout masks and the n-gram hash, are off here) and the central-difference check of
// tests/cpu/gradient_check.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "engine/params.h"
#include "gradient_check.h"
#include "lstm_reference.h"

namespace senti {
namespace {

// The seed model's case: a reference case (tests/cpu/lstm_reference.h) and the state it is run at.
struct TinyCase {
  ref::Case c;
  TrainState state;
};

// V 13, E 5, H 4, B 3, T 6: repeated ids, padding (0) at the front as pad_sequences does, and
// parameters scaled up from the initializer so every gate is away from its linear regime. No mask
// (the seed model): the lengths are carried but not read.
TinyCase make_tiny_case() {
  TinyCase tc;
  ref::Case& c = tc.c;
  c.cfg.vocab_size = 13;
  c.cfg.embed_dim = 5;
  c.cfg.hidden = 4;
  c.B = 3;
  c.T = 6;
  c.ids = {0, 0, 1, 7, 7, 3,     // padding then a repeated id
           4, 4, 4, 12, 1, 2,    // id 4 three times
           0, 0, 0, 0, 9, 7};    // mostly padding
  c.labels = {1.f, 0.f, 1.f};
  c.lengths = {4, 6, 2};
  tc.state = init_train_state(c.cfg, 42);
  const ParamLayout L(c.cfg);
  for (size_t k = 0; k < L.total(); ++k) tc.state.params[k] *= 4.f;  // livelier dynamics
  // Non-zero LSTM and dense biases, so their gradients are tested at a general point.
  for (size_t k = 0; k < L[ParamId::Bias].size; ++k)
    tc.state.params[L[ParamId::Bias].offset + k] += 0.1f * static_cast<float>(k % 5) - 0.2f;
  tc.state.params[L[ParamId::DenseBias].offset] = 0.3f;
  return tc;
}

std::unique_ptr<Backend> make_tiny_backend(const TinyCase& tc) {
  BackendOptions opts;
  opts.model = tc.c.cfg;
  opts.max_batch = 4;  // larger than B and T: buffers sized for the maximum, used partially
  opts.maxlen = 8;
  auto backend = make_cpu_backend(opts);
  backend->set_state(tc.state);
  return backend;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

TEST(CpuLstmForward, LogitsMatchNaiveReference) {
  const TinyCase tc = make_tiny_case();
  const ref::Case& c = tc.c;
  auto backend = make_tiny_backend(tc);
  std::vector<float> probs(c.B);
  backend->eval_step(c.batch(), probs.data());
  const std::vector<double> theta = to_double(tc.state.params);
  const std::vector<double> z = ref::logits(c, theta);
  double spread = 0;
  for (int b = 0; b < c.B; ++b) {
    EXPECT_NEAR(probs[b], ref::sigmoid(z[b]), 2e-6) << "sample " << b;
    spread = std::max(spread, std::fabs(ref::sigmoid(z[b]) - ref::sigmoid(z[0])));
  }
  EXPECT_GT(spread, 1e-3) << "samples should give different outputs, or the test proves little";

  const Metrics m = backend->take_metrics();
  EXPECT_EQ(m.count, c.B);
  EXPECT_NEAR(m.loss(), ref::loss(c, theta), 1e-5);
}

// Central differences of the double reference loss vs the backend's analytic float gradient, for
// every element of every tensor (tests/cpu/gradient_check.h).
TEST(CpuLstmGrad, EveryTensorMatchesCentralDifferences) {
  const TinyCase tc = make_tiny_case();
  auto backend = make_tiny_backend(tc);
  std::vector<float> grads(ParamLayout(tc.c.cfg).total(), -1.f);
  const double loss = backend->loss_and_gradients(tc.c.batch(), grads.data());
  const std::vector<double> theta = to_double(tc.state.params);
  EXPECT_NEAR(loss, ref::loss(tc.c, theta), 1e-5);
  test::expect_gradients_match_central_differences(tc.c, theta, grads);
}

// Embedding rows of ids absent from the batch get exactly zero gradient; padding id 0 does not
// (no mask_zero: padding steps run through the LSTM and their embedding row is trained).
TEST(CpuLstmGrad, EmbeddingGradientIsDensePerId) {
  const TinyCase tc = make_tiny_case();
  const ref::Case& c = tc.c;
  auto backend = make_tiny_backend(tc);
  const ParamLayout L(c.cfg);
  std::vector<float> grads(L.total());
  backend->loss_and_gradients(c.batch(), grads.data());
  const float* demb = &grads[L[ParamId::Embedding].offset];
  const int E = c.cfg.embed_dim;
  for (int id = 0; id < c.cfg.vocab_size; ++id) {
    const bool used = std::find(c.ids.begin(), c.ids.end(), id) != c.ids.end();
    double norm = 0;
    for (int e = 0; e < E; ++e) norm += std::fabs(demb[id * E + e]);
    if (used)
      EXPECT_GT(norm, 0.0) << "id " << id;
    else
      EXPECT_EQ(norm, 0.0) << "id " << id;
  }
}

// Gradients and loss with a batch of 1 and a single step (edge shapes of the time loop). h_0 = 0,
// so the recurrent kernel's gradient is exactly zero; every other tensor must carry signal.
TEST(CpuLstmGrad, SingleStepSingleSampleMatchesCentralDifferences) {
  TinyCase tc = make_tiny_case();
  ref::Case& c = tc.c;
  c.B = 1;
  c.T = 1;
  c.ids = {7};
  c.labels = {0.f};
  c.lengths = {1};
  auto backend = make_tiny_backend(tc);
  std::vector<float> grads(ParamLayout(c.cfg).total());
  const double loss = backend->loss_and_gradients(c.batch(), grads.data());
  const std::vector<double> theta = to_double(tc.state.params);
  EXPECT_NEAR(loss, ref::loss(c, theta), 1e-5);
  const double max_abs = test::expect_gradients_match_central_differences(
      c, theta, grads, {ParamId::RecurrentKernel});
  EXPECT_GT(max_abs, 1e-2);
}

}  // namespace
}  // namespace senti
