// Each custom kernel against its CPU twin (tests/cuda/reference.h, engine/optimizer.h) on random and
// edge inputs: repeated ids, all-padding rows, one id everywhere, V and E not multiples of the block
// sizes, single samples, the largest batch. Skipped with the reason when no GPU is present.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "engine/cpu/cpu_adam.h"
#include "engine/optimizer.h"
#include "engine/params.h"
#include "kernels/adam.cuh"
#include "kernels/clip_norms.cuh"
#include "kernels/dense_bce.cuh"
#include "kernels/embedding_backward.cuh"
#include "kernels/embedding_forward.cuh"
#include "kernels/weight_map.cuh"
#include "reference.h"

namespace senti {
namespace {

using test::all_close;
using test::to_device;
using test::to_host;
namespace ref = test::ref;

enum class IdPattern { Random, AllPadding, OneId, PaddedTail };

std::vector<int32_t> make_ids(int B, int T, int V, IdPattern pattern, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> id(0, V - 1);
  std::uniform_int_distribution<int> len(1, T);
  std::vector<int32_t> ids(static_cast<size_t>(B) * T, 0);
  for (int b = 0; b < B; ++b) {
    const bool padding_row = pattern == IdPattern::AllPadding || (pattern == IdPattern::PaddedTail && b == 0);
    const int n = pattern == IdPattern::PaddedTail ? len(rng) : T;
    for (int t = 0; t < T; ++t) {
      if (padding_row) continue;  // all zeros
      if (pattern == IdPattern::OneId) ids[b * T + t] = V - 1;
      else if (t < n) ids[b * T + t] = id(rng);
    }
  }
  return ids;
}

struct EmbCase {
  int B, T, V, E;
  IdPattern pattern;
};

class EmbeddingKernels : public ::testing::TestWithParam<EmbCase> {};

std::string emb_case_name(const ::testing::TestParamInfo<EmbCase>& i) {
  static const char* const patterns[] = {"Random", "AllPadding", "OneId", "PaddedTail"};
  const EmbCase& c = i.param;
  return "B" + std::to_string(c.B) + "_T" + std::to_string(c.T) + "_V" + std::to_string(c.V) +
         "_E" + std::to_string(c.E) + "_" + patterns[static_cast<int>(c.pattern)];
}

TEST_P(EmbeddingKernels, ForwardAndBackwardMatchCpuTwin) {
  SENTI_REQUIRE_GPU();
  const EmbCase c = GetParam();
  const auto ids = make_ids(c.B, c.T, c.V, c.pattern, 7 + c.V);
  const auto table = test::random_floats(static_cast<size_t>(c.V) * c.E, -1.f, 1.f, 11);
  const auto dx = test::random_floats(static_cast<size_t>(c.T) * c.B * c.E, -1.f, 1.f, 13);

  auto d_ids = to_device(ids);
  auto d_table = to_device(table);
  cuda::DeviceBuffer<float> d_x(static_cast<size_t>(c.T) * c.B * c.E);
  kernels::embedding_forward(d_ids.get(), c.B, c.T, d_table.get(), c.V, c.E, d_x.get(), nullptr);
  EXPECT_EQ(ref::embedding_forward(ids, c.B, c.T, table, c.E), to_host(d_x)) << "gather is a copy";

  auto d_dx = to_device(dx);
  const size_t ws_bytes = kernels::embedding_backward_workspace_bytes(int64_t{c.B} * c.T, c.V, c.E);
  cuda::DeviceBuffer<char> ws(ws_bytes);
  cuda::DeviceBuffer<float> d_grad(static_cast<size_t>(c.V) * c.E);
  SENTI_CUDA_CHECK(cudaMemset(d_grad.get(), 0x7f, d_grad.bytes()));  // must be fully overwritten
  kernels::embedding_backward(d_ids.get(), c.B, c.T, d_dx.get(), c.V, c.E, d_grad.get(), ws.get(),
                              ws_bytes, nullptr);
  const auto ref_grad = ref::embedding_backward(ids, c.B, c.T, dx, c.V, c.E);
  const auto got = to_host(d_grad);
  // Float sums of up to B*T terms of magnitude <= 1 against a double reference.
  const double atol = 1e-6 * c.B * c.T;
  EXPECT_TRUE(all_close(ref_grad, got, atol, 1e-5, "embedding gradient"));
  std::vector<char> present(c.V, 0);
  for (int32_t id : ids) present[id] = 1;
  for (int v = 0; v < c.V; ++v) {
    if (present[v]) continue;
    for (int e = 0; e < c.E; ++e) {
      ASSERT_EQ(got[static_cast<size_t>(v) * c.E + e], 0.f) << "absent id " << v;
    }
  }

  // Deterministic: a second run is bit-identical.
  kernels::embedding_backward(d_ids.get(), c.B, c.T, d_dx.get(), c.V, c.E, d_grad.get(), ws.get(),
                              ws_bytes, nullptr);
  const auto again = to_host(d_grad);
  EXPECT_EQ(0, std::memcmp(got.data(), again.data(), got.size() * sizeof(float)));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, EmbeddingKernels,
    ::testing::Values(EmbCase{8, 50, 1000, 128, IdPattern::Random},       // float4 path
                      EmbCase{5, 37, 1003, 37, IdPattern::PaddedTail},    // odd V and E, scalar path
                      EmbCase{3, 40, 17, 33, IdPattern::Random},          // many repeats of few ids
                      EmbCase{4, 64, 100, 16, IdPattern::AllPadding},     // every position is id 0
                      EmbCase{32, 500, 10000, 128, IdPattern::OneId},     // one run of 16000 rows
                      EmbCase{1, 1, 1, 1, IdPattern::Random},             // smallest
                      EmbCase{32, 500, 10000, 128, IdPattern::PaddedTail}),  // seed recipe shape
    emb_case_name);

// One block a row group of kRowsPerBlock = 8 rows: more rows than 8 * (2^31 - 1) do not fit one
// grid (the check used to allow up to 8 * 65535^2 rows, whose grid no device accepts).
TEST(EmbeddingKernels, RowsBeyondOneGridAreRefused) {
  try {
    kernels::embedding_forward(nullptr, 1 << 17, 1 << 17, nullptr, 10, 4, nullptr, nullptr);
    FAIL() << "2^34 rows accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too many rows for one grid"), std::string::npos) << e.what();
  }
}

struct DenseCase {
  int B, H;
};
class DenseBce : public ::testing::TestWithParam<DenseCase> {};

std::string dense_case_name(const ::testing::TestParamInfo<DenseCase>& i) {
  return "B" + std::to_string(i.param.B) + "_H" + std::to_string(i.param.H);
}

TEST_P(DenseBce, ForwardBackwardAndMetricsMatchCpuTwin) {
  SENTI_REQUIRE_GPU();
  const auto [B, H] = GetParam();
  const auto h = test::random_floats(static_cast<size_t>(B) * H, -1.f, 1.f, 3);
  const auto w = test::random_floats(H, -0.5f, 0.5f, 4);
  std::vector<float> labels(B);
  for (int b = 0; b < B; ++b) labels[b] = static_cast<float>((b * 7 + 3) % 2);
  const float bias = 0.25f;
  const ref::DenseOut r = ref::dense_bce(h, B, H, w, bias, labels);

  auto d_h = to_device(h), d_w = to_device(w), d_labels = to_device(labels);
  auto d_bias = to_device(std::vector<float>{bias});
  cuda::DeviceBuffer<kernels::DeviceMetrics> metrics(1);
  SENTI_CUDA_CHECK(cudaMemset(metrics.get(), 0, metrics.bytes()));
  cuda::DeviceBuffer<float> probs(B), dh(static_cast<size_t>(B) * H), dw(H), db(1);
  for (int call = 0; call < 2; ++call)  // metrics accumulate across calls
    kernels::dense_bce(d_h.get(), B, H, d_w.get(), d_bias.get(), d_labels.get(), metrics.get(),
                       probs.get(), dh.get(), dw.get(), db.get(), nullptr);
  EXPECT_TRUE(all_close(r.probs, to_host(probs), 1e-6, 1e-5, "probabilities"));
  EXPECT_TRUE(all_close(r.dh, to_host(dh), 1e-7, 1e-5, "dL/dh"));
  EXPECT_TRUE(all_close(r.dw, to_host(dw), 1e-6, 1e-4, "dL/dw"));
  EXPECT_TRUE(all_close(std::vector<float>{r.dbias}, to_host(db), 1e-6, 1e-4, "dL/dbias"));
  const auto m = to_host(metrics)[0];
  EXPECT_NEAR(m.loss_sum, 2 * r.loss_sum, 1e-5 * B);
  EXPECT_EQ(m.correct, static_cast<unsigned long long>(2 * r.correct));
  EXPECT_EQ(m.count, static_cast<unsigned long long>(2 * B));

  // Forward only: no gradient outputs touched.
  kernels::dense_bce(d_h.get(), B, H, d_w.get(), d_bias.get(), d_labels.get(), metrics.get(),
                     nullptr, nullptr, nullptr, nullptr, nullptr);
  EXPECT_EQ(to_host(metrics)[0].count, static_cast<unsigned long long>(3 * B));
}

INSTANTIATE_TEST_SUITE_P(Cases, DenseBce,
                         ::testing::Values(DenseCase{1, 1}, DenseCase{32, 64}, DenseCase{7, 100},
                                           DenseCase{kernels::kDenseBceMaxBatch, 64}),
                         dense_case_name);

struct ClipCase {
  float clipnorm, global_clipnorm, grad_scale;
  bool lr_scale = false;  // per-tensor rates (OptimizerConfig::lr_scale, fine-tuning; 0 freezes)
};
class ClipAndAdam : public ::testing::TestWithParam<ClipCase> {};

std::string clip_case_name(const ::testing::TestParamInfo<ClipCase>& i) {
  const ClipCase& c = i.param;
  if (c.lr_scale) return "PerTensorLrScale";
  if (c.clipnorm > 0) return c.grad_scale > 0.01f ? "ClipnormClips" : "ClipnormIdle";
  return c.global_clipnorm > 0 ? "GlobalClipnorm" : "NoClipping";
}

// Clip scales and one fused Adam step against the CPU optimizer (engine/optimizer.h).
TEST_P(ClipAndAdam, MatchCpuOptimizer) {
  SENTI_REQUIRE_GPU();
  const ClipCase c = GetParam();
  ModelConfig cfg;
  cfg.vocab_size = 1003;
  cfg.embed_dim = 37;
  cfg.hidden = 13;
  const ParamLayout L(cfg);
  OptimizerConfig opt;
  opt.clipnorm = c.clipnorm;
  opt.global_clipnorm = c.global_clipnorm;
  if (c.lr_scale) {  // a lower rate for some tensors, one frozen, the dense layer's unchanged
    const float f[] = {0.1f, 0.25f, 0.f, 0.5f, 1.f, 1.f, 0.3f, 0.7f, 0.9f};
    std::copy(std::begin(f), std::end(f), opt.lr_scale);
  }
  const size_t P = L.total();
  TrainState s;
  s.params = test::random_floats(P, -0.1f, 0.1f, 21);
  s.m = test::random_floats(P, -1e-3f, 1e-3f, 22);
  s.v = test::random_floats(P, 0.f, 1e-5f, 23);
  s.step = 4;
  auto grads = test::random_floats(P, -c.grad_scale, c.grad_scale, 24);
  std::fill(grads.begin(), grads.begin() + 5 * cfg.embed_dim, 0.f);  // unused rows: exact zeros

  const kernels::ParamTiles tiles = kernels::ParamTiles::of(L.tensors());
  auto d_g = to_device(grads), d_p = to_device(s.params), d_m = to_device(s.m), d_v = to_device(s.v);
  cuda::DeviceBuffer<char> ws(kernels::clip_workspace_bytes(tiles));
  SENTI_CUDA_CHECK(cudaMemset(ws.get(), 0, ws.bytes()));
  cuda::DeviceBuffer<float> scales(kNumParamTensors);
  cuda::DeviceBuffer<double> sumsq(kNumParamTensors);
  for (int rep = 0; rep < 2; ++rep)  // the completion counter resets itself
    kernels::clip_scales(d_g.get(), tiles, opt.clipnorm, opt.global_clipnorm, ws.get(), ws.bytes(),
                         scales.get(), sumsq.get(), nullptr);

  const TensorSums ref_sums = grad_sums_of_squares(L, grads.data());
  const TensorScales ref_scales = clip_scales(ref_sums, opt);
  const auto got_sums = to_host(sumsq);
  const auto got_scales = to_host(scales);
  for (int k = 0; k < kNumParamTensors; ++k) {
    EXPECT_NEAR(got_sums[k], ref_sums[k], 1e-12 * ref_sums[k] + 1e-300) << "tensor " << k;
    EXPECT_NEAR(got_scales[k], ref_scales[k], 1e-6f * ref_scales[k]) << "tensor " << k;
  }

  // The step size comes from the device step counter (s.step steps done), as in the backend.
  auto d_step = to_device(std::vector<int64_t>{s.step});
  cuda::DeviceBuffer<float> d_alpha(1);
  kernels::adam_next_step(d_step.get(), opt.adam, d_alpha.get(), nullptr);
  kernels::adam(d_p.get(), d_m.get(), d_v.get(), d_g.get(), scales.get(), tiles, d_alpha.get(),
                opt.adam, nullptr, opt.uniform_lr() ? nullptr : opt.lr_scale);
  EXPECT_EQ(to_host(d_step)[0], s.step + 1);
  EXPECT_EQ(to_host(d_alpha)[0], math::adam_alpha(opt.adam, s.step + 1));
  // Given the device's sums (they differ from the host's in summation order, within the allowance
  // above), the scales are the same double sqrt and division on both, and the Adam update rounds
  // the same operations in the same order (kernels/common/math/optim.h: never an FMA): the CPU
  // optimizer on those sums must give the device's state bit for bit.
  TensorSums device_sums{};
  std::copy(got_sums.begin(), got_sums.end(), device_sums.begin());
  const TensorScales device_scales = clip_scales(device_sums, opt);
  for (int k = 0; k < kNumParamTensors; ++k)
    EXPECT_EQ(got_scales[k], device_scales[k]) << "tensor " << k << ": the scale of the same sum";
  TrainState r = s;
  apply_clipped_adam(L, opt, grads.data(), &r, 1, &device_sums);
  EXPECT_TRUE(all_close(r.m, to_host(d_m), 0, 0, "m"));
  EXPECT_TRUE(all_close(r.v, to_host(d_v), 0, 0, "v"));
  EXPECT_TRUE(all_close(r.params, to_host(d_p), 0, 0, "params"));
}

INSTANTIATE_TEST_SUITE_P(Cases, ClipAndAdam,
                         ::testing::Values(ClipCase{0.1f, 0.f, 1.f},     // every tensor clipped
                                           ClipCase{100.f, 0.f, 1e-3f},  // none clipped
                                           ClipCase{0.f, 0.5f, 1.f},     // global clip
                                           ClipCase{0.f, 0.f, 1.f},      // no clipping
                                           ClipCase{0.1f, 0.f, 1.f, true}),  // lr_scale
                         clip_case_name);

TEST(WeightMapKernels, ScatterThenGatherIsIdentity) {
  SENTI_REQUIRE_GPU();
  const int64_t n = 10007, ws_size = 2 * n + 5;
  std::vector<int32_t> map(n);
  for (int64_t k = 0; k < n; ++k) map[k] = static_cast<int32_t>((k * 7919) % ws_size);  // injective
  const auto src = test::random_floats(n, -1.f, 1.f, 5);
  auto d_map = to_device(map);
  auto d_src = to_device(src);
  cuda::DeviceBuffer<float> ws(ws_size), back(n);
  SENTI_CUDA_CHECK(cudaMemset(ws.get(), 0, ws.bytes()));
  kernels::scatter_to_weight_space(d_src.get(), d_map.get(), n, ws.get(), nullptr);
  kernels::gather_from_weight_space(ws.get(), d_map.get(), n, back.get(), nullptr);
  EXPECT_EQ(src, to_host(back));
  const auto w = to_host(ws);
  for (int64_t k = 0; k < n; ++k) ASSERT_EQ(w[map[k]], src[k]);
}

}  // namespace
}  // namespace senti
