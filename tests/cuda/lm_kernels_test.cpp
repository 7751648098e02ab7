// The language model's head kernels (kernels/lm_rows, kernels/lm_sampled_softmax,
// kernels/lm_full_softmax) against their CPU twin: the per-element formulas of
// kernels/common/math/lm.h (the ones LmHeadCpu calls) on dot products in double, and the backward
// products in double. Cases: one and two directions, post and pre padding, rows that predict
// nothing (length 1, padding), a tiny vocabulary (many accidental hits and repeated candidates),
// odd H, S and V, more rows than the scatter's tile and H above a block's threads, H above the
// full softmax's eight-row blocks, a data-parallel share (mean over more rows than the batch); the
// targets and weights exactly; bit-reproducible across calls; the shapes refused. Runs on a GPU and
// on the emulated device (|ref - gpu| <= atol + rtol·|ref|).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "host_batch.h"
#include "kernels/common/error.h"
#include "kernels/common/math/lm.h"
#include "kernels/lm_full_softmax.cuh"
#include "kernels/lm_rows.cuh"
#include "kernels/lm_sampled_softmax.cuh"

namespace senti {
namespace {

using test::all_close;
using test::to_device;
using test::to_host;

struct LmCase {
  const char* name;
  int D, B, T, H, V, S;
  bool pre = false;
  int mean_rows = 0;  // 0 = B
  int64_t step = 3;
};

struct LmInputs {
  test::HostBatch batch;
  std::vector<float> x, w, bias;  // x [T, B, D·H] (the LSTM's y)
};

LmInputs inputs(const LmCase& c) {
  LmInputs in;
  in.batch = test::make_batch(c.B, c.T, c.V, 5 + c.V, c.pre ? PadSide::Pre : PadSide::Post);
  in.x = test::random_floats(static_cast<size_t>(c.T) * c.B * c.D * c.H, -1.f, 1.f, 11);
  in.w = test::random_floats(static_cast<size_t>(c.H) * c.V, -0.8f, 0.8f, 12);
  in.bias = test::random_floats(c.V, -0.5f, 0.5f, 13);
  return in;
}

// Row n = d·T·B + t·B + b: what it predicts (the CPU's rule: a direction's state before the step
// of a real token predicts that token) and its weight.
void reference_rows(const LmCase& c, const test::HostBatch& hb, std::vector<int32_t>* targets,
                    std::vector<float>* weights) {
  const int64_t M = static_cast<int64_t>(c.T) * c.B;
  const int N_mean = c.mean_rows ? c.mean_rows : c.B;
  targets->assign(static_cast<size_t>(c.D * M), -1);
  weights->assign(static_cast<size_t>(c.D * M), 0.f);
  const double scale = 1.0 / (static_cast<double>(c.D) * N_mean);
  for (int b = 0; b < c.B; ++b) {
    const int len = hb.lengths[b], first = c.pre ? c.T - len : 0;
    for (int d = 0; d < c.D; ++d)
      for (int s = 1; s < len; ++s) {  // the s-th token this direction reads, predicted by state s-1
        const int read = d == 0 ? s : len - 1 - s, prev = d == 0 ? s - 1 : len - s;
        const size_t n = static_cast<size_t>(d * M + static_cast<int64_t>(first + prev) * c.B + b);
        (*targets)[n] = hb.ids[static_cast<size_t>(b) * c.T + first + read];
        (*weights)[n] = static_cast<float>(scale / (len - 1));
      }
  }
}

const float* row_x(const LmCase& c, const std::vector<float>& x, int64_t n) {
  const int64_t M = static_cast<int64_t>(c.T) * c.B;
  return x.data() + (n % M) * c.D * c.H + (n / M) * c.H;
}

float dot(const float* x, const std::vector<float>& w, int H, int V, int v) {
  double s = 0;
  for (int h = 0; h < H; ++h) s += static_cast<double>(x[h]) * w[static_cast<size_t>(h) * V + v];
  return static_cast<float>(s);
}

struct SampledRef {
  double loss = 0, objective = 0;
  int64_t correct = 0, tokens = 0;
  std::vector<float> dx, dw, db;
};

SampledRef sampled_reference(const LmCase& c, const LmInputs& in, const std::vector<int32_t>& tg,
                             const std::vector<float>& wt) {
  const int H = c.H, V = c.V, S = c.S, Z = S + 1;
  const int64_t N = static_cast<int64_t>(tg.size());
  std::vector<int32_t> samples(S);
  for (int k = 0; k < S; ++k)
    samples[k] = math::lm_sample_id(77, static_cast<uint64_t>(c.step), static_cast<uint32_t>(k), V);
  SampledRef r;
  r.dx.assign(in.x.size(), 0.f);
  std::vector<double> dw(static_cast<size_t>(H) * V, 0.0), db(V, 0.0);
  std::vector<float> z(Z);
  for (int64_t n = 0; n < N; ++n) {
    const int32_t t = tg[n];
    if (t < 0) continue;
    const float* x = row_x(c, in.x, n);
    z[0] = dot(x, in.w, H, V, t) + in.bias[t] - math::lm_log_expected_count(t, V, S);
    for (int k = 0; k < S; ++k)
      z[1 + k] = samples[k] == t ? math::kLmRemovedLogit
                                 : dot(x, in.w, H, V, samples[k]) +
                                       (in.bias[samples[k]] - math::lm_log_expected_count(samples[k], V, S));
    r.correct += math::lm_target_wins(z.data(), Z) ? 1 : 0;
    const float loss = math::lm_softmax_ce(z.data(), Z, wt[n], z.data());
    r.loss += loss;
    r.objective += static_cast<double>(wt[n]) * loss;
    ++r.tokens;
    float* dx = r.dx.data() + (x - in.x.data());
    for (int h = 0; h < H; ++h) {
      double s = static_cast<double>(z[0]) * in.w[static_cast<size_t>(h) * V + t];
      for (int k = 0; k < S; ++k) s += static_cast<double>(z[1 + k]) * in.w[static_cast<size_t>(h) * V + samples[k]];
      dx[h] = static_cast<float>(s);
    }
    for (int k = 0; k < Z; ++k) {
      const int32_t id = k == 0 ? t : samples[k - 1];
      for (int h = 0; h < H; ++h) dw[static_cast<size_t>(h) * V + id] += static_cast<double>(z[k]) * x[h];
      db[id] += z[k];
    }
  }
  r.dw.assign(dw.begin(), dw.end());
  r.db.assign(db.begin(), db.end());
  return r;
}

class LmHeadKernels : public ::testing::TestWithParam<LmCase> {};

TEST_P(LmHeadKernels, TargetsSampledAndFullSoftmaxMatchTwin) {
  SENTI_REQUIRE_GPU();
  const LmCase& c = GetParam();
  const LmInputs in = inputs(c);
  const int64_t M = static_cast<int64_t>(c.T) * c.B, N = c.D * M;
  const int mean_rows = c.mean_rows ? c.mean_rows : c.B;
  std::vector<int32_t> ref_targets;
  std::vector<float> ref_weights;
  reference_rows(c, in.batch, &ref_targets, &ref_weights);

  auto d_ids = to_device(in.batch.ids);
  auto d_len = to_device(in.batch.lengths);
  auto d_x = to_device(in.x), d_w = to_device(in.w), d_b = to_device(in.bias);
  cuda::DeviceBuffer<int32_t> d_tg(N);
  cuda::DeviceBuffer<float> d_wt(N);
  kernels::lm_targets(d_ids.get(), c.B, c.T, c.D, d_len.get(),
                      c.pre ? kernels::Padding::Pre : kernels::Padding::Post, mean_rows,
                      d_tg.get(), d_wt.get(), nullptr);
  EXPECT_EQ(to_host(d_tg), ref_targets);
  EXPECT_TRUE(all_close(ref_weights, to_host(d_wt), 0, 0, "weights"));

  const SampledRef ref = sampled_reference(c, in, ref_targets, ref_weights);
  auto d_step = to_device(std::vector<int64_t>{c.step});
  cuda::DeviceBuffer<kernels::DeviceMetrics> d_metrics(1);
  cuda::DeviceBuffer<double> d_obj(1);
  cuda::DeviceBuffer<float> d_dx(in.x.size()), d_dw(in.w.size()), d_db(c.V);
  cuda::DeviceBuffer<char> ws(
      std::max(kernels::lm_sampled_softmax_workspace_bytes(N, c.S, c.H, c.V),
               kernels::lm_full_softmax_workspace_bytes(N)));
  kernels::LmSampledSoftmaxArgs a;
  a.D = c.D;
  a.M = M;
  a.H = c.H;
  a.V = c.V;
  a.S = c.S;
  a.x = d_x.get();
  a.targets = d_tg.get();
  a.weights = d_wt.get();
  a.w = d_w.get();
  a.bias = d_b.get();
  a.seed = 77;
  a.step = d_step.get();
  a.metrics = d_metrics.get();
  a.objective = d_obj.get();
  a.dx = d_dx.get();
  a.dw = d_dw.get();
  a.dbias = d_db.get();
  a.workspace = ws.get();
  a.workspace_bytes = ws.bytes();
  std::vector<float> first_dw;
  for (int rep = 0; rep < 2; ++rep) {
    SENTI_CUDA_CHECK(cudaMemset(d_metrics.get(), 0, d_metrics.bytes()));
    SENTI_CUDA_CHECK(cudaMemset(d_obj.get(), 0, d_obj.bytes()));
    kernels::lm_sampled_softmax(a, nullptr);
    const kernels::DeviceMetrics m = to_host(d_metrics)[0];
    EXPECT_EQ(static_cast<int64_t>(m.count), ref.tokens);
    EXPECT_EQ(static_cast<int64_t>(m.correct), ref.correct);
    EXPECT_NEAR(m.loss_sum, ref.loss, 1e-5 * ref.loss);
    EXPECT_NEAR(to_host(d_obj)[0], ref.objective, 1e-5 * ref.objective);
    const std::vector<float> dx = to_host(d_dx), dw = to_host(d_dw), db = to_host(d_db);
    const float sx = test::max_abs(ref.dx.data(), ref.dx.size()),
                sw = test::max_abs(ref.dw.data(), ref.dw.size()),
                sb = test::max_abs(ref.db.data(), ref.db.size());
    EXPECT_GT(sx * sw * sb, 0.f);
    EXPECT_TRUE(all_close(ref.dx, dx, 1e-5 * sx, 1e-3, "dx"));
    EXPECT_TRUE(all_close(ref.dw, dw, 1e-5 * sw, 1e-3, "dW"));
    EXPECT_TRUE(all_close(ref.db, db, 1e-5 * sb, 1e-3, "db"));
    if (rep == 0)
      first_dw = dw;
    else
      EXPECT_TRUE(all_close(first_dw, dw, 0, 0, "dW, second call"));  // bit-reproducible
  }

  // The candidates alone (the device's draw from the step counter).
  cuda::DeviceBuffer<int32_t> d_samples(c.S);
  kernels::lm_draw_samples(77, d_step.get(), c.S, c.V, d_samples.get(), nullptr);
  const std::vector<int32_t> samples = to_host(d_samples);
  for (int k = 0; k < c.S; ++k)
    EXPECT_EQ(samples[k], math::lm_sample_id(77, static_cast<uint64_t>(c.step), k, c.V)) << k;

  // The full softmax (evaluation).
  double ref_loss = 0;
  int64_t ref_correct = 0, ref_tokens = 0;
  for (int64_t n = 0; n < N; ++n) {
    if (ref_targets[n] < 0) continue;
    const float* x = row_x(c, in.x, n);
    std::vector<float> z(c.V);
    int best = 0;
    for (int v = 0; v < c.V; ++v) {
      z[v] = dot(x, in.w, c.H, c.V, v) + in.bias[v];
      if (z[v] > z[best]) best = v;
    }
    double e = 0;
    for (int v = 0; v < c.V; ++v) e += std::exp(static_cast<double>(z[v]) - z[best]);
    ref_loss += z[best] + std::log(e) - z[ref_targets[n]];
    ref_correct += best == ref_targets[n] ? 1 : 0;
    ++ref_tokens;
  }
  SENTI_CUDA_CHECK(cudaMemset(d_metrics.get(), 0, d_metrics.bytes()));
  kernels::LmFullSoftmaxArgs f;
  f.D = c.D;
  f.M = M;
  f.H = c.H;
  f.V = c.V;
  f.x = d_x.get();
  f.targets = d_tg.get();
  f.weights = d_wt.get();
  f.w = d_w.get();
  f.bias = d_b.get();
  f.metrics = d_metrics.get();
  f.workspace = ws.get();
  f.workspace_bytes = ws.bytes();
  kernels::lm_full_softmax(f, nullptr);
  const kernels::DeviceMetrics m = to_host(d_metrics)[0];
  EXPECT_EQ(static_cast<int64_t>(m.count), ref_tokens);
  EXPECT_EQ(static_cast<int64_t>(m.correct), ref_correct);
  EXPECT_NEAR(m.loss_sum, ref_loss, 1e-5 * ref_loss);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LmHeadKernels,
    ::testing::Values(LmCase{"Tiny", 1, 2, 3, 1, 4, 1},
                      LmCase{"TinyVocabManyHits", 2, 3, 6, 5, 6, 9},
                      LmCase{"OddShapesPost", 1, 5, 9, 13, 97, 31},
                      LmCase{"OddShapesPreBidirectional", 2, 5, 9, 13, 97, 31, true},
                      LmCase{"DataParallelShare", 2, 4, 7, 8, 41, 16, false, 11, 0},
                      LmCase{"SeedLike", 2, 8, 20, 64, 1000, 128, false, 0, 12345},
                      // 720 rows: the scatter's target tiles (512) and H above a block's threads
                      LmCase{"TilesAndWideH", 2, 9, 40, 150, 700, 64},
                      // H > 1024: the full softmax's one-row blocks (eight rows a block otherwise)
                      LmCase{"HugeH", 1, 2, 3, 1030, 7, 3}),
    [](const ::testing::TestParamInfo<LmCase>& i) { return std::string(i.param.name); });

TEST(LmHeadKernels, RefusesBadShapes) {
  SENTI_REQUIRE_GPU();
  kernels::LmSampledSoftmaxArgs a;
  a.D = 3;
  a.M = 4;
  a.H = 2;
  a.V = 5;
  a.S = 2;
  EXPECT_THROW(kernels::lm_sampled_softmax(a, nullptr), Error);  // three directions
  a.D = 1;
  EXPECT_THROW(kernels::lm_sampled_softmax(a, nullptr), Error);  // null inputs
  kernels::LmFullSoftmaxArgs f;
  f.D = 1;
  f.M = 4;
  f.H = 2;
  f.V = 1;
  EXPECT_THROW(kernels::lm_full_softmax(f, nullptr), Error);  // V < 2
  EXPECT_THROW(kernels::lm_targets(nullptr, 2, 3, 1, nullptr, kernels::Padding::Post, 1, nullptr,
                                   nullptr, nullptr),
               Error);  // mean over fewer rows than the batch
}

}  // namespace
}  // namespace senti
