// The kernels around the fused LSTM that the model options need, each against its CPU twin:
// masked pooling over time (tests/cuda/reference.h SequencePoolRef: tiny, odd and seed shapes,
// without lengths, post and pre padding, out-of-range lengths clamped, many ties for the max rule,
// one and two directions, every pool kind), the dropout masks (keyed as the CPU backend keys them,
// docs/model.md; the step read from device memory), the deterministic sum of squares (the sparse
// embedding norm) and the device step counter. Runs on a GPU and on the emulated device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/common/math/dropout.h"
#include "kernels/common/math/sequence.h"
#include "kernels/dropout.cuh"
#include "kernels/sequence_mask.cuh"
#include "kernels/sequence_pool.cuh"
#include "kernels/adam.cuh"
#include "kernels/sum_of_squares.cuh"
#include "reference.h"

namespace senti {
namespace {

using kernels::Padding;
using test::all_close;
using test::to_device;
using test::to_host;

enum class Lengths { None, Post, Pre, PostOutOfRange };

struct PoolCase {
  const char* name;
  int B, T, H, D;
  Lengths lengths;
  bool last, max, mean;
};

// Values on a coarse grid so that many elements tie (the first-step max rule decides).
std::vector<float> tied_values(size_t n, uint64_t seed) {
  std::vector<float> v = test::random_floats(n, -1.f, 1.f, seed);
  for (float& x : v) x = std::round(x * 3.f) / 3.f;
  return v;
}

class FusedModelKernelsPool : public ::testing::TestWithParam<PoolCase> {};

TEST_P(FusedModelKernelsPool, ForwardAndBackwardMatchCpuTwin) {
  SENTI_REQUIRE_GPU();
  const PoolCase& c = GetParam();
  test::ref::SequencePoolRef r;
  r.B = c.B, r.T = c.T, r.H = c.H, r.D = c.D;
  r.pre = c.lengths == Lengths::Pre;
  r.last = c.last, r.max = c.max, r.mean = c.mean;
  if (c.lengths != Lengths::None)
    for (int b = 0; b < c.B; ++b) {
      int n = 1 + (b * 5 + 2) % c.T;
      if (c.lengths == Lengths::PostOutOfRange) n = b % 3 == 0 ? c.T + 4 : b % 3 == 1 ? 0 : -3;
      r.lengths.push_back(n);
    }
  const int DH = c.D * c.H;
  const auto y = tied_values(static_cast<size_t>(c.T) * c.B * DH, 3);
  const auto hy = test::random_floats(static_cast<size_t>(c.B) * DH, -1.f, 1.f, 4);
  r.forward(y, hy);
  const auto df = test::random_floats(static_cast<size_t>(c.B) * r.F(), -1.f, 1.f, 5);
  std::vector<float> dy_ref, dhy_ref;
  r.backward(df, &dy_ref, &dhy_ref);

  kernels::SequencePoolShape s;
  s.B = c.B, s.T = c.T, s.H = c.H, s.directions = c.D;
  s.padding = r.pre ? Padding::Pre : Padding::Post;
  s.last = c.last, s.max = c.max, s.mean = c.mean;
  ASSERT_EQ(s.features(), r.F());
  std::vector<int32_t> len32(r.lengths.begin(), r.lengths.end());
  auto d_len = to_device(len32);
  s.lengths = r.lengths.empty() ? nullptr : d_len.get();
  auto d_y = to_device(y), d_hy = to_device(hy), d_df = to_device(df);
  cuda::DeviceBuffer<float> feat(static_cast<size_t>(c.B) * r.F()), dhy(hy.size());
  cuda::DeviceBuffer<int32_t> argmax(static_cast<size_t>(c.B) * DH);
  const bool seq = c.max || c.mean;
  std::vector<float> garbage(y.size(), 7.f);  // dy is overwritten everywhere
  auto dy = to_device(garbage);
  kernels::sequence_pool_forward(s, d_y.get(), d_hy.get(), feat.get(), argmax.get(), nullptr);
  kernels::sequence_pool_backward(s, d_df.get(), argmax.get(), seq ? dy.get() : nullptr, dhy.get(),
                                  nullptr);
  EXPECT_TRUE(all_close(r.features, to_host(feat), 1e-7, 1e-6, "features"));
  EXPECT_TRUE(all_close(dhy_ref, to_host(dhy), 0, 0, "dhy"));
  if (seq) {
    EXPECT_TRUE(all_close(dy_ref, to_host(dy), 1e-7, 1e-6, "dy"));
  }
}

const PoolCase kPoolCases[] = {
    {"Tiny_LastMaxMean", 1, 1, 1, 1, Lengths::None, true, true, true},
    {"Odd_Max_Post", 5, 7, 3, 1, Lengths::Post, false, true, false},
    {"Odd_Mean_Pre_Bidirectional", 5, 7, 3, 2, Lengths::Pre, false, false, true},
    {"Odd_Concat_Pre_Bidirectional", 6, 11, 5, 2, Lengths::Pre, true, true, true},
    {"Odd_Concat_Unmasked_Bidirectional", 4, 6, 4, 2, Lengths::None, true, true, true},
    {"Odd_Concat_LengthsClamped", 6, 5, 3, 2, Lengths::PostOutOfRange, true, true, true},
    {"Odd_LastOnly_Post", 3, 4, 6, 2, Lengths::Post, true, false, false},
    {"Seed_Concat_Post", 32, 500, 64, 1, Lengths::Post, true, true, true},
};

INSTANTIATE_TEST_SUITE_P(Cases, FusedModelKernelsPool, ::testing::ValuesIn(kPoolCases),
                         [](const ::testing::TestParamInfo<PoolCase>& i) { return i.param.name; });

// The CPU backend's masks (engine/cpu/lstm_cpu.cpp): element dropout keyed (r << 32) | k for the
// k-th real token of global row r = first_row + b, spatial keyed r, dense keyed r; the factor of
// element e from dropout_factors.
std::vector<float> embedding_dropout_twin(std::vector<float> x, int B, int T, int E,
                                          const std::vector<int32_t>& lengths, bool pre,
                                          bool spatial, uint64_t seed, uint64_t step, float rate,
                                          uint64_t first_row) {
  const uint32_t th = math::dropout_threshold(rate);
  const float keep = math::dropout_keep_scale(rate);
  std::vector<float> f(E);
  for (int b = 0; b < B; ++b) {
    const int len = lengths.empty() ? T : lengths[b];
    for (int k = 0; k < len; ++k) {
      const int t = math::real_token_position(k, len, T, pre);
      const uint64_t r = first_row + uint64_t{uint32_t(b)};
      const uint64_t key = spatial
          ? math::dropout_row_key(seed, step, math::kDropoutSpatial, r)
          : math::dropout_row_key(seed, step, math::kDropoutEmbedding, (r << 32) | k);
      math::dropout_factors(key, E, th, keep, f.data());
      for (int e = 0; e < E; ++e) x[(static_cast<size_t>(t) * B + b) * E + e] *= f[e];
    }
  }
  return x;
}

struct DropCase {
  const char* name;
  int B, T, E;
  Lengths lengths;
  bool spatial;
  uint64_t first_row = 0;  // a data-parallel share's first global row (Batch::row_offset)
};

class FusedModelKernelsDropout : public ::testing::TestWithParam<DropCase> {};

TEST_P(FusedModelKernelsDropout, EmbeddingMasksAreTheCpuBackends) {
  SENTI_REQUIRE_GPU();
  const DropCase& c = GetParam();
  std::vector<int32_t> lengths;
  if (c.lengths != Lengths::None)
    for (int b = 0; b < c.B; ++b) lengths.push_back(1 + (b * 3 + 1) % c.T);
  const bool pre = c.lengths == Lengths::Pre;
  const auto x = test::random_floats(static_cast<size_t>(c.T) * c.B * c.E, -1.f, 1.f, 9);
  const uint64_t seed = 77;
  const float rate = 0.3f;
  auto d_len = to_device(lengths);
  for (int64_t step : {int64_t{0}, int64_t{5}}) {
    auto d_step = to_device(std::vector<int64_t>{step});
    auto d_x = to_device(x);
    kernels::embedding_dropout(d_x.get(), c.B, c.T, c.E, lengths.empty() ? nullptr : d_len.get(),
                               pre ? Padding::Pre : Padding::Post, c.spatial,
                               kernels::DropoutKey{seed, d_step.get(), rate, c.first_row}, nullptr);
    const auto ref = embedding_dropout_twin(x, c.B, c.T, c.E, lengths, pre, c.spatial, seed,
                                            static_cast<uint64_t>(step), rate, c.first_row);
    EXPECT_EQ(ref, to_host(d_x)) << "step " << step;
  }
}

const DropCase kDropCases[] = {
    {"Tiny_Element", 1, 1, 1, Lengths::None, false},
    {"Odd_Element_Post", 5, 7, 13, Lengths::Post, false},
    {"Odd_Element_Pre", 5, 7, 13, Lengths::Pre, false},
    {"Odd_Spatial_Pre", 4, 6, 9, Lengths::Pre, true},
    {"Odd_Spatial_Unmasked", 3, 5, 7, Lengths::None, true},
    {"Odd_Element_Pre_Share", 5, 7, 13, Lengths::Pre, false, 6},
    {"Odd_Spatial_Post_Share", 4, 6, 9, Lengths::Post, true, 3},
};

INSTANTIATE_TEST_SUITE_P(Cases, FusedModelKernelsDropout, ::testing::ValuesIn(kDropCases),
                         [](const ::testing::TestParamInfo<DropCase>& i) { return i.param.name; });

// A data-parallel rank's share (rows [first_row, first_row + B) of a global batch) draws exactly
// the masks of those rows when one process runs the whole batch: the ranks together train with
// the single process's masks. Element and spatial embedding dropout, and the dense dropout.
TEST(FusedModelKernelsDropout, ShareDrawsTheGlobalBatchsRows) {
  SENTI_REQUIRE_GPU();
  const int G = 7, T = 5, E = 6, F = 11, first = 3, B = 4;  // the share: rows 3..6 of 7
  const float rate = 0.4f;
  std::vector<int32_t> lengths;
  for (int b = 0; b < G; ++b) lengths.push_back(1 + (b * 2) % T);
  const auto x = test::random_floats(static_cast<size_t>(T) * G * E, -1.f, 1.f, 21);
  const auto f = test::random_floats(static_cast<size_t>(G) * F, -1.f, 1.f, 22);
  auto d_step = to_device(std::vector<int64_t>{4});
  const kernels::DropoutKey whole{5, d_step.get(), rate}, share{5, d_step.get(), rate, first};
  for (bool spatial : {false, true}) {
    // x [T, G, E] -> the share's rows [T, B, E], and its lengths.
    std::vector<float> xs;
    for (int t = 0; t < T; ++t)
      xs.insert(xs.end(), x.begin() + (static_cast<size_t>(t) * G + first) * E,
                x.begin() + (static_cast<size_t>(t) * G + first + B) * E);
    const std::vector<int32_t> ls(lengths.begin() + first, lengths.end());
    auto d_x = to_device(x), d_xs = to_device(xs);
    auto d_len = to_device(lengths), d_ls = to_device(ls);
    kernels::embedding_dropout(d_x.get(), G, T, E, d_len.get(), Padding::Post, spatial, whole,
                               nullptr);
    kernels::embedding_dropout(d_xs.get(), B, T, E, d_ls.get(), Padding::Post, spatial, share,
                               nullptr);
    const auto gx = to_host(d_x), gs = to_host(d_xs);
    for (int t = 0; t < T; ++t)
      for (int b = 0; b < B; ++b)
        for (int e = 0; e < E; ++e)
          ASSERT_EQ(gx[(static_cast<size_t>(t) * G + first + b) * E + e],
                    gs[(static_cast<size_t>(t) * B + b) * E + e])
              << (spatial ? "spatial" : "element") << " t " << t << " b " << b << " e " << e;
    EXPECT_NE(gs, xs) << "the rate drops something";
  }
  auto d_f = to_device(f);
  auto d_fs = to_device(std::vector<float>(f.begin() + first * F, f.end()));
  kernels::feature_dropout(d_f.get(), G, F, whole, nullptr);
  kernels::feature_dropout(d_fs.get(), B, F, share, nullptr);
  const auto gf = to_host(d_f);
  EXPECT_EQ(std::vector<float>(gf.begin() + first * F, gf.end()), to_host(d_fs)) << "dense";
}

TEST(FusedModelKernelsDropout, DenseMasksAreTheCpuBackendsAndFollowTheDeviceStep) {
  SENTI_REQUIRE_GPU();
  const int B = 7, F = 45;
  const float rate = 0.25f;
  const auto f = test::random_floats(static_cast<size_t>(B) * F, -1.f, 1.f, 2);
  auto d_step = to_device(std::vector<int64_t>{3});
  auto d_f = to_device(f);
  kernels::feature_dropout(d_f.get(), B, F, kernels::DropoutKey{11, d_step.get(), rate}, nullptr);
  std::vector<float> ref = f, m(F);
  for (int b = 0; b < B; ++b) {
    math::dropout_factors(math::dropout_row_key(11, 3, math::kDropoutDense, b), F,
                          math::dropout_threshold(rate), math::dropout_keep_scale(rate), m.data());
    for (int j = 0; j < F; ++j) ref[static_cast<size_t>(b) * F + j] *= m[j];
  }
  EXPECT_EQ(ref, to_host(d_f));
  // The step comes from device memory: advancing the counter (as the train step's Adam does)
  // changes the masks.
  cuda::DeviceBuffer<float> alpha(1);
  kernels::adam_next_step(d_step.get(), math::AdamHyper{}, alpha.get(), nullptr);
  auto d_g = to_device(f);
  kernels::feature_dropout(d_g.get(), B, F, kernels::DropoutKey{11, d_step.get(), rate}, nullptr);
  EXPECT_NE(ref, to_host(d_g));
}

TEST(FusedModelKernels, SumOfSquaresMatchesDoubleTwin) {
  SENTI_REQUIRE_GPU();
  cuda::DeviceBuffer<char> ws(kernels::sum_of_squares_workspace_bytes());
  cuda::DeviceBuffer<double> out(1);
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{1000}, int64_t{3 * 128 * 256 + 5}}) {
    const auto a = test::random_floats(static_cast<size_t>(n), -2.f, 2.f, 8);
    auto d_a = to_device(a);
    kernels::sum_of_squares(n ? d_a.get() : nullptr, n, out.get(), ws.get(), ws.bytes(), nullptr);
    double ref = 0;
    for (float v : a) ref += static_cast<double>(v) * v;
    const double got = to_host(out)[0];
    EXPECT_NEAR(got, ref, 1e-12 * ref) << "n " << n;
    // Deterministic: the same bits again.
    kernels::sum_of_squares(n ? d_a.get() : nullptr, n, out.get(), ws.get(), ws.bytes(), nullptr);
    EXPECT_EQ(to_host(out)[0], got);
  }
}

// The twin: the real-token rule of kernels/common/math/sequence.h, position by position.
TEST(FusedModelKernels, ZeroPaddedPositionsLeavesExactlyTheRealTokens) {
  SENTI_REQUIRE_GPU();
  const int B = 5, T = 7, W = 300;  // W > the block's threads: every thread strides
  const std::vector<int32_t> lengths = {7, 0, 3, -2, 9};  // full, empty, partial, clamped both ways
  const auto buf = test::random_floats(static_cast<size_t>(T) * B * W, -1.f, 1.f, 11);
  auto d_len = to_device(lengths);
  for (kernels::Padding pad : {kernels::Padding::Post, kernels::Padding::Pre}) {
    auto d_buf = to_device(buf);
    kernels::zero_padded_positions(d_buf.get(), B, T, W, d_len.get(), pad, nullptr);
    const auto got = to_host(d_buf);
    for (int b = 0; b < B; ++b) {
      const int len = std::max(0, std::min(T, lengths[b]));
      std::vector<bool> real(T, false);
      for (int k = 0; k < len; ++k)
        real[math::real_token_position(k, len, T, pad == kernels::Padding::Pre)] = true;
      for (int t = 0; t < T; ++t)
        for (int e = 0; e < W; ++e) {
          const size_t i = (static_cast<size_t>(t) * B + b) * W + e;
          ASSERT_EQ(got[i], real[t] ? buf[i] : 0.f)
              << "b " << b << " t " << t << " e " << e << (pad == kernels::Padding::Pre ? " pre" : " post");
        }
    }
  }
}

}  // namespace
}  // namespace senti
