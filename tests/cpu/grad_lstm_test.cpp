// The CPU backend's forward pass and gradients against an independent, naive double-precision
// implementation of Embedding -> LSTM (Keras semantics, no mask) -> Dense(1) -> mean BCE, written
// here from the formulas (it does not use kernels/common/math or any engine GEMM).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "engine/params.h"

namespace senti {
namespace {

double ref_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Logits of every sample, in double, one sample and one step at a time.
std::vector<double> reference_logits(const ModelConfig& cfg, const std::vector<double>& theta,
                                     const std::vector<int32_t>& ids, int B, int T) {
  const ParamLayout L(cfg);
  const int E = cfg.embed_dim, H = cfg.hidden, G = 4 * H;
  const double* emb = &theta[L[ParamId::Embedding].offset];       // (V, E)
  const double* W = &theta[L[ParamId::Kernel].offset];            // (E, 4H)
  const double* R = &theta[L[ParamId::RecurrentKernel].offset];   // (H, 4H)
  const double* bias = &theta[L[ParamId::Bias].offset];           // (4H)
  const double* dk = &theta[L[ParamId::DenseKernel].offset];      // (H)
  const double db = theta[L[ParamId::DenseBias].offset];
  std::vector<double> logits(B);
  for (int b = 0; b < B; ++b) {
    std::vector<double> h(H, 0.0), c(H, 0.0), z(G);
    for (int t = 0; t < T; ++t) {
      const double* x = emb + static_cast<size_t>(ids[b * T + t]) * E;
      for (int k = 0; k < G; ++k) {
        double s = bias[k];
        for (int e = 0; e < E; ++e) s += x[e] * W[e * G + k];
        for (int j = 0; j < H; ++j) s += h[j] * R[j * G + k];
        z[k] = s;
      }
      for (int j = 0; j < H; ++j) {
        const double i = ref_sigmoid(z[j]), f = ref_sigmoid(z[H + j]);
        const double g = std::tanh(z[2 * H + j]), o = ref_sigmoid(z[3 * H + j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * std::tanh(c[j]);
      }
    }
    double s = db;
    for (int j = 0; j < H; ++j) s += h[j] * dk[j];
    logits[b] = s;
  }
  return logits;
}

// Mean binary cross-entropy, -[y log p + (1-y) log(1-p)].
double reference_loss(const ModelConfig& cfg, const std::vector<double>& theta,
                      const std::vector<int32_t>& ids, const std::vector<float>& labels, int B,
                      int T) {
  const std::vector<double> z = reference_logits(cfg, theta, ids, B, T);
  double sum = 0;
  for (int b = 0; b < B; ++b) {
    const double p = ref_sigmoid(z[b]);
    sum += -(labels[b] * std::log(p) + (1.0 - labels[b]) * std::log(1.0 - p));
  }
  return sum / B;
}

struct TinyCase {
  ModelConfig cfg;
  int B = 3, T = 6;
  std::vector<int32_t> ids;
  std::vector<float> labels;
  std::vector<int32_t> lengths;
  TrainState state;
  Batch batch() const { return Batch{ids.data(), labels.data(), lengths.data(), B, T}; }
};

// V 13, E 5, H 4, B 3, T 6: repeated ids, padding (0) at the front as pad_sequences does, and
// parameters scaled up from the initializer so every gate is away from its linear regime.
TinyCase make_tiny_case() {
  TinyCase tc;
  tc.cfg.vocab_size = 13;
  tc.cfg.embed_dim = 5;
  tc.cfg.hidden = 4;
  tc.ids = {0, 0, 1, 7, 7, 3,     // padding then a repeated id
            4, 4, 4, 12, 1, 2,    // id 4 three times
            0, 0, 0, 0, 9, 7};    // mostly padding
  tc.labels = {1.f, 0.f, 1.f};
  tc.lengths = {4, 6, 2};
  tc.state = init_train_state(tc.cfg, 42);
  const ParamLayout L(tc.cfg);
  for (size_t k = 0; k < L.total(); ++k) tc.state.params[k] *= 4.f;  // livelier dynamics
  // Non-zero LSTM and dense biases, so their gradients are tested at a general point.
  for (size_t k = 0; k < L[ParamId::Bias].size; ++k)
    tc.state.params[L[ParamId::Bias].offset + k] += 0.1f * static_cast<float>(k % 5) - 0.2f;
  tc.state.params[L[ParamId::DenseBias].offset] = 0.3f;
  return tc;
}

std::unique_ptr<Backend> make_tiny_backend(const TinyCase& tc) {
  BackendOptions opts;
  opts.model = tc.cfg;
  opts.max_batch = 4;  // larger than B and T: buffers sized for the maximum, used partially
  opts.maxlen = 8;
  auto backend = make_cpu_backend(opts);
  backend->set_state(tc.state);
  return backend;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

TEST(CpuLstmForward, LogitsMatchNaiveReference) {
  const TinyCase tc = make_tiny_case();
  auto backend = make_tiny_backend(tc);
  std::vector<float> probs(tc.B);
  backend->eval_step(tc.batch(), probs.data());
  const std::vector<double> z =
      reference_logits(tc.cfg, to_double(tc.state.params), tc.ids, tc.B, tc.T);
  double spread = 0;
  for (int b = 0; b < tc.B; ++b) {
    EXPECT_NEAR(probs[b], ref_sigmoid(z[b]), 2e-6) << "sample " << b;
    spread = std::max(spread, std::fabs(ref_sigmoid(z[b]) - ref_sigmoid(z[0])));
  }
  EXPECT_GT(spread, 1e-3) << "samples should give different outputs, or the test proves little";

  const Metrics m = backend->take_metrics();
  EXPECT_EQ(m.count, tc.B);
  EXPECT_NEAR(m.loss(), reference_loss(tc.cfg, to_double(tc.state.params), tc.ids, tc.labels,
                                       tc.B, tc.T), 1e-5);
}

// Central differences of the double reference loss vs the backend's analytic float gradient, for
// every element of every tensor.
TEST(CpuLstmGrad, EveryTensorMatchesCentralDifferences) {
  const TinyCase tc = make_tiny_case();
  auto backend = make_tiny_backend(tc);
  const ParamLayout L(tc.cfg);
  std::vector<float> grads(L.total(), -1.f);
  const double loss = backend->loss_and_gradients(tc.batch(), grads.data());
  std::vector<double> theta = to_double(tc.state.params);
  EXPECT_NEAR(loss, reference_loss(tc.cfg, theta, tc.ids, tc.labels, tc.B, tc.T), 1e-5);

  const double h = 1e-5;
  for (const TensorInfo& t : L.tensors()) {
    double max_abs = 0, max_err = 0;
    for (size_t k = t.offset; k < t.offset + t.size; ++k) {
      const double saved = theta[k];
      theta[k] = saved + h;
      const double up = reference_loss(tc.cfg, theta, tc.ids, tc.labels, tc.B, tc.T);
      theta[k] = saved - h;
      const double down = reference_loss(tc.cfg, theta, tc.ids, tc.labels, tc.B, tc.T);
      theta[k] = saved;
      const double numeric = (up - down) / (2 * h);
      max_abs = std::max(max_abs, std::fabs(numeric));
      max_err = std::max(max_err, std::fabs(numeric - grads[k]));
      // Per element: float rounding of the analytic gradient is ~1e-7 here; FD error ~1e-10.
      EXPECT_NEAR(grads[k], numeric, 2e-6 + 1e-4 * std::fabs(numeric))
          << t.name << " element " << (k - t.offset);
    }
    // A gradient of zeros would match a flat loss; this one must carry signal.
    EXPECT_GT(max_abs, 1e-3) << t.name << " gradient is (nearly) all zeros";
    EXPECT_LT(max_err, 1e-3 * max_abs) << t.name;
  }
}

// Embedding rows of ids absent from the batch get exactly zero gradient; padding id 0 does not
// (no mask_zero: padding steps run through the LSTM and their embedding row is trained).
TEST(CpuLstmGrad, EmbeddingGradientIsDensePerId) {
  const TinyCase tc = make_tiny_case();
  auto backend = make_tiny_backend(tc);
  const ParamLayout L(tc.cfg);
  std::vector<float> grads(L.total());
  backend->loss_and_gradients(tc.batch(), grads.data());
  const float* demb = &grads[L[ParamId::Embedding].offset];
  const int E = tc.cfg.embed_dim;
  for (int id = 0; id < tc.cfg.vocab_size; ++id) {
    const bool used = std::find(tc.ids.begin(), tc.ids.end(), id) != tc.ids.end();
    double norm = 0;
    for (int e = 0; e < E; ++e) norm += std::fabs(demb[id * E + e]);
    if (used)
      EXPECT_GT(norm, 0.0) << "id " << id;
    else
      EXPECT_EQ(norm, 0.0) << "id " << id;
  }
}

// Gradients and loss with a batch of 1 and a single step (edge shapes of the time loop).
TEST(CpuLstmGrad, SingleStepSingleSampleMatchesCentralDifferences) {
  TinyCase tc = make_tiny_case();
  tc.B = 1;
  tc.T = 1;
  tc.ids = {7};
  tc.labels = {0.f};
  tc.lengths = {1};
  auto backend = make_tiny_backend(tc);
  const ParamLayout L(tc.cfg);
  std::vector<float> grads(L.total());
  backend->loss_and_gradients(tc.batch(), grads.data());
  std::vector<double> theta = to_double(tc.state.params);
  const double h = 1e-5;
  double max_abs = 0;
  for (size_t k = 0; k < L.total(); ++k) {
    const double saved = theta[k];
    theta[k] = saved + h;
    const double up = reference_loss(tc.cfg, theta, tc.ids, tc.labels, 1, 1);
    theta[k] = saved - h;
    const double down = reference_loss(tc.cfg, theta, tc.ids, tc.labels, 1, 1);
    theta[k] = saved;
    const double numeric = (up - down) / (2 * h);
    max_abs = std::max(max_abs, std::fabs(numeric));
    EXPECT_NEAR(grads[k], numeric, 2e-6 + 1e-4 * std::fabs(numeric)) << "element " << k;
  }
  EXPECT_GT(max_abs, 1e-2);
}

}  // namespace
}  // namespace senti
