// How close the CPU backend's float32 gradients of one seed-shape step (B 32, T 500, E 128, H 64,
// post-padded like the seed recipe, no mask) are to the exact gradients computed in double
// (tests/cpu/lstm_bptt_reference.h). The backend is the oracle every GPU result is tested against,
// so its own error must be no worse than a float32 framework's: each tensor is held to PyTorch's
// relative L2 error on this very step (benchmarks/gradient_accuracy.py measures it from the case
// this test writes; torch 2.15 CPU, its ATen LSTM, the closer of its two paths) plus 25 % for the
// variation between CPUs' BLAS kernels (up to 8 % seen across OpenBLAS's core types). Before
// pairwise sums the ~9,300 padding rows of such a batch were added one after another into one
// float: kernel and bias 2.3e-6 from float64 (bounds 6.4e-7, 2.1e-7), and one GEMM over all rows
// gave the recurrent kernel 7.2e-7 (bound 6.0e-7).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "engine/params.h"
#include "lstm_bptt_reference.h"
#include "lstm_reference.h"

namespace senti {
namespace {

// PyTorch 2.15's float32 relative L2 error on this step, per tensor (ATen LSTM; its default
// oneDNN LSTM: 4.05e-6, 9.55e-7, 9.43e-7, 7.97e-6, 3.97e-7, 1.84e-7).
struct Bound {
  const char* tensor;
  double pytorch;
};
constexpr Bound kPyTorchFloat32[] = {
    {"embedding/embeddings", 4.09e-6}, {"lstm/lstm_cell/kernel", 5.12e-7},
    {"lstm/lstm_cell/recurrent_kernel", 4.78e-7}, {"lstm/lstm_cell/bias", 1.68e-7},
    {"dense/kernel", 3.46e-7}, {"dense/bias", 1.84e-7}};
constexpr double kCpuMargin = 1.25;

// A deterministic seed-shape batch: lengths 30..389 words (about 9,300 padding steps in all, as in
// an IMDB batch), ids drawn log-uniformly over [3, V) (a Zipf-like mix of frequent and rare words),
// post-padded with 0 like pad_sequences(padding="post"). Labels all 1: at the initial point every
// row ends in nearly the same state (after its padding), so with mixed labels the rows' gradients
// cancel and the error measured would be that cancellation's (the same in any float32 framework),
// not the sums'.
struct SeedBatch {
  int B = 32, T = 500;
  std::vector<int> ids;
  std::vector<int32_t> ids32, lengths;
  std::vector<float> labels;
};

SeedBatch make_seed_batch(int vocab) {
  SeedBatch s;
  s.ids.assign(static_cast<size_t>(s.B) * s.T, 0);
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next_unit = [&] {  // splitmix64 -> [0, 1)
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
  };
  for (int b = 0; b < s.B; ++b) {
    const int len = 30 + (b * 53) % 360;
    s.lengths.push_back(len);
    s.labels.push_back(1.f);
    for (int t = 0; t < len; ++t) {
      const int id = 3 + static_cast<int>(std::exp(next_unit() * std::log(vocab - 3.0))) - 1;
      s.ids[static_cast<size_t>(b) * s.T + t] = std::min(id, vocab - 1);
    }
  }
  s.ids32.assign(s.ids.begin(), s.ids.end());
  return s;
}

double relative_l2(const float* got, const double* exact, size_t n) {
  double diff = 0, norm = 0;
  for (size_t k = 0; k < n; ++k) {
    const double d = static_cast<double>(got[k]) - exact[k];
    diff += d * d;
    norm += exact[k] * exact[k];
  }
  return std::sqrt(diff / norm);
}

// With $SENTI_GRADIENT_CASE_DUMP set to a folder: the case as raw little-endian arrays (ids.i32
// (B, T), labels.f32 (B), params.f32 in ParamLayout order), for benchmarks/gradient_accuracy.py to
// measure PyTorch's float32 error on the very same step.
void dump_case(const SeedBatch& s, const TrainState& st) {
  const char* dir = std::getenv("SENTI_GRADIENT_CASE_DUMP");
  if (!dir) return;
  auto write = [&](const std::string& name, const void* data, size_t bytes) {
    std::ofstream f(std::string(dir) + "/" + name, std::ios::binary);
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
    ASSERT_TRUE(f.good()) << dir << "/" << name;
  };
  write("ids.i32", s.ids32.data(), s.ids32.size() * sizeof(int32_t));
  write("labels.f32", s.labels.data(), s.labels.size() * sizeof(float));
  write("params.f32", st.params.data(), st.params.size() * sizeof(float));
}

// The double BPTT reference itself against central differences of the independent forward-only
// reference (tests/cpu/lstm_reference.h), on a tiny seed-model case: so the accuracy test below
// measures the backend, not a mistake in the reference.
TEST(SeedGradientReference, MatchesCentralDifferences) {
  ref::Case c;
  c.cfg.vocab_size = 11;
  c.cfg.embed_dim = 3;
  c.cfg.hidden = 2;
  c.B = 2;
  c.T = 5;
  c.ids = {4, 7, 7, 0, 0, 9, 1, 2, 3, 10};
  c.labels = {1.f, 0.f};
  c.lengths = {3, 5};
  TrainState st = init_train_state(c.cfg, 3);
  std::vector<double> theta(st.params.begin(), st.params.end());
  for (double& v : theta) v *= 3;  // away from the gates' linear regime
  const std::vector<int> ids(c.ids.begin(), c.ids.end());
  const ref::SeedGradients exact = ref::seed_gradients(c.cfg, theta, ids, c.labels, c.B, c.T);
  EXPECT_NEAR(exact.loss, ref::loss(c, theta), 1e-12);
  double max_abs = 0;
  for (size_t k = 0; k < theta.size(); ++k) {
    const double numeric = ref::central_difference(c, theta, k, 1e-6);
    EXPECT_NEAR(exact.grads[k], numeric, 1e-8 + 1e-6 * std::fabs(numeric)) << "element " << k;
    max_abs = std::max(max_abs, std::fabs(numeric));
  }
  EXPECT_GT(max_abs, 1e-2);
}

// Every tensor's float32 gradient within PyTorch's float32 level of the exact one (the sums' order
// is fixed by the chunking, not the thread count, so one run speaks for every thread count).
TEST(SeedGradientAccuracy, WithinFloat32FrameworkLevelOfDoubleReference) {
  ModelConfig cfg;  // the seed model
  const SeedBatch s = make_seed_batch(cfg.vocab_size);
  int padding = 0;
  for (int len : s.lengths) padding += s.T - len;
  ASSERT_GT(padding, 9000);
  const TrainState st = init_train_state(cfg, 1234);
  const std::vector<double> theta(st.params.begin(), st.params.end());
  const ref::SeedGradients exact = ref::seed_gradients(cfg, theta, s.ids, s.labels, s.B, s.T);
  dump_case(s, st);

  BackendOptions opts;
  opts.model = cfg;
  auto backend = make_cpu_backend(opts);
  backend->set_state(st);
  const ParamLayout L(cfg);
  std::vector<float> grads(L.total());
  const Batch batch{s.ids32.data(), s.labels.data(), s.lengths.data(), s.B, s.T, PadSide::Post};
  const double loss = backend->loss_and_gradients(batch, grads.data());
  EXPECT_NEAR(loss, exact.loss, 1e-6 * exact.loss);
  ASSERT_EQ(L.tensors().size(), std::size(kPyTorchFloat32));
  for (size_t i = 0; i < L.tensors().size(); ++i) {
    const TensorInfo& t = L.tensors()[i];
    ASSERT_STREQ(t.name, kPyTorchFloat32[i].tensor);
    const double err = relative_l2(&grads[t.offset], &exact.grads[t.offset], t.size);
    const double bound = kCpuMargin * kPyTorchFloat32[i].pytorch;
    std::printf("  %-32s relative L2 error vs double %.3g (PyTorch float32 %.3g)\n", t.name, err,
                kPyTorchFloat32[i].pytorch);
    EXPECT_LE(err, bound) << t.name;
  }
}

}  // namespace
}  // namespace senti
