// The n-gram kernels (kernels/ngram_features.cuh) against their CPU twin, engine/cpu/ngram_cpu.h
// (NgramFeatures): the feature lists exactly, the logits and the gradient within float rounding.
// Cases: rows with pre and post padding in one batch (ngram.h: padding is never part of an
// n-gram, so the side does not matter to the rule), ids from a tiny range (many repeated words and
// phrases: each feature once), bucket counts of 1 and 3 (every or most n-grams collide), ngrams 1,
// 2 and 3, a row of padding only, a row of one word, T = 1 and a T whose N·T is not a power of two;
// each with O = 1, 3 and 257 outputs (the dense kernel's (W, O) n-gram rows).
// Runs on a GPU and on the emulated device.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "engine/cpu/ngram_cpu.h"
#include "kernels/dense_bce.cuh"
#include "kernels/ngram_features.cuh"

namespace senti {
namespace {

using test::all_close;
using test::to_device;
using test::to_host;

struct NgramCase {
  const char* name;
  int B, T, ngrams, vocab, buckets;
};

// Row 0 padding only, row 1 one word, then random lengths; even rows post-padded, odd rows
// pre-padded; ids in [1, vocab) (a tiny vocab repeats words and phrases).
std::vector<int32_t> make_ids(const NgramCase& c, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> id(1, c.vocab - 1);
  std::uniform_int_distribution<int> len(0, c.T);
  std::vector<int32_t> ids(static_cast<size_t>(c.B) * c.T, 0);
  for (int b = 0; b < c.B; ++b) {
    const int n = b == 0 ? 0 : b == 1 ? 1 : len(rng);
    const int first = b % 2 ? c.T - n : 0;
    for (int k = 0; k < n; ++k) ids[static_cast<size_t>(b) * c.T + first + k] = id(rng);
  }
  return ids;
}

class NgramKernels : public ::testing::TestWithParam<NgramCase> {};

TEST_P(NgramKernels, FeaturesLogitsAndGradientMatchCpuTwin) {
  SENTI_REQUIRE_GPU();
  const NgramCase& c = GetParam();
  ModelConfig cfg;
  cfg.vocab_size = c.vocab;
  cfg.ngrams = c.ngrams;
  cfg.ngram_buckets = c.buckets;
  const int64_t W = cfg.ngram_width();
  const auto ids = make_ids(c, 7);
  Batch batch;
  batch.ids = ids.data();
  batch.batch = c.B;
  batch.maxlen = c.T;
  NgramFeatures ref;
  ref.compute(batch, cfg);

  // A workspace sized for a larger batch and longer rows, as the backend's is.
  const size_t ws_ints = kernels::ngram_workspace_ints(c.B + 3, c.T + 5, c.ngrams);
  cuda::DeviceBuffer<int32_t> ws(ws_ints);
  SENTI_CUDA_CHECK(cudaMemset(ws.get(), 0x7f, ws.bytes()));  // garbage the kernels must overwrite
  const kernels::NgramRows rows = kernels::ngram_rows(ws.get(), ws_ints, c.B, c.T, c.ngrams);
  auto d_ids = to_device(ids);
  kernels::ngram_collect(d_ids.get(), c.T, c.ngrams, c.vocab, c.buckets, rows, nullptr);

  const auto counts = to_host(rows.counts, c.B);
  const auto features = to_host(rows.features, static_cast<size_t>(c.B) * rows.capacity);
  for (int b = 0; b < c.B; ++b) {
    const std::vector<int32_t> want(ref.begin(b), ref.end(b));
    ASSERT_EQ(counts[b], static_cast<int32_t>(want.size())) << "row " << b;
    const auto* got = features.data() + static_cast<size_t>(b) * rows.capacity;
    EXPECT_EQ(std::vector<int32_t>(got, got + counts[b]), want) << "row " << b;
  }
  EXPECT_EQ(counts[0], 0) << "a row of padding has no features";

  // O outputs: 1 (the sigmoid head), 3 and 257 (K-output heads: more outputs than a block's threads).
  for (const int O : {1, 3, 257}) {
    const size_t WO = static_cast<size_t>(W) * O, BO = static_cast<size_t>(c.B) * O;
    const auto w = test::random_floats(WO, -1.f, 1.f, 8 + O);
    const auto dz = test::random_floats(BO, -1.f, 1.f, 9 + O);
    std::vector<float> logits_ref(BO, 0.f), dw_ref(WO);
    ref.add_logits(w.data(), O, logits_ref.data());
    ref.gradient(dz.data(), O, W, dw_ref.data());
    auto d_w = to_device(w), d_dz = to_device(dz);
    cuda::DeviceBuffer<float> logits(BO), dw(WO);
    SENTI_CUDA_CHECK(cudaMemset(dw.get(), 0x7f, dw.bytes()));
    kernels::ngram_logits(rows, d_w.get(), O, logits.get(), nullptr);
    kernels::ngram_gradient(rows, d_dz.get(), O, dw.get(), W, nullptr);
    const std::string at = " (O = " + std::to_string(O) + ")";
    if (O == 1) {  // a tree sum over the row's features
      EXPECT_TRUE(all_close(logits_ref, to_host(logits), 1e-5, 1e-5, "n-gram logits" + at));
    } else {  // a thread per output adds the features in the CPU's order: equal bit for bit
      EXPECT_EQ(logits_ref, to_host(logits)) << "n-gram logits" << at;
    }
    // Summed in the CPU's order (batch order): equal bit for bit.
    EXPECT_EQ(dw_ref, to_host(dw)) << "n-gram gradient" << at;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NgramKernels,
    ::testing::Values(NgramCase{"Words", 6, 9, 1, 5, 1},
                      NgramCase{"PairsOneBucket", 5, 8, 2, 4, 1},
                      NgramCase{"PairsCollide", 9, 12, 2, 6, 3},
                      NgramCase{"TriplesCollide", 7, 11, 3, 5, 3},
                      NgramCase{"TriplesManyBuckets", 12, 40, 3, 50, 1 << 12},
                      NgramCase{"OneStep", 3, 1, 3, 4, 2},
                      NgramCase{"LongRows", 4, 130, 2, 30, 64}),
    [](const ::testing::TestParamInfo<NgramCase>& i) { return std::string(i.param.name); });

// dense_bce's n-gram inputs: extra_logits shifts z_b (as a per-row bias would), dz is dL/dz_b.
TEST(NgramKernels, DenseBceAddsExtraLogitsAndGivesDz) {
  SENTI_REQUIRE_GPU();
  const int B = 5, H = 3;
  const auto h = test::random_floats(B * H, -1.f, 1.f, 3);
  const auto w = test::random_floats(H, -1.f, 1.f, 4);
  const auto extra = test::random_floats(B, -2.f, 2.f, 5);
  const std::vector<float> labels{0.f, 1.f, 1.f, 0.f, 1.f};
  auto d_h = to_device(h), d_w = to_device(w), d_x = to_device(extra), d_y = to_device(labels);
  auto d_bias = to_device(std::vector<float>{0.5f});
  cuda::DeviceBuffer<kernels::DeviceMetrics> metrics(1);
  SENTI_CUDA_CHECK(cudaMemset(metrics.get(), 0, metrics.bytes()));
  cuda::DeviceBuffer<float> probs(B), dh(B * H), dw(H), db(1), dz(B);
  kernels::dense_bce(d_h.get(), B, H, d_w.get(), d_bias.get(), d_y.get(), metrics.get(),
                     probs.get(), dh.get(), dw.get(), db.get(), nullptr, d_x.get(), dz.get());
  std::vector<float> p_ref(B), dz_ref(B);
  for (int b = 0; b < B; ++b) {
    float z = 0.f;
    for (int k = 0; k < H; ++k) z += h[b * H + k] * w[k];
    z = z + 0.5f + extra[b];
    p_ref[b] = 1.f / (1.f + std::exp(-z));
    dz_ref[b] = (p_ref[b] - labels[b]) / B;
  }
  EXPECT_TRUE(all_close(p_ref, to_host(probs), 1e-6, 1e-5, "probabilities"));
  EXPECT_TRUE(all_close(dz_ref, to_host(dz), 1e-6, 1e-5, "dL/dz"));
}

}  // namespace
}  // namespace senti
