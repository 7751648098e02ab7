// The K-output heads' kernel (kernels/dense_softmax_ce.cuh) against its CPU twin: the CPU backend's
// head (engine/cpu/head_cpu.h) on logits from a plain double-precision dense product, and the
// backward products in double. Softmax and multi-label; tiny K (1, 2, 3), odd K (7, 129), large K
// (1000+ and the largest, 65536), class weights, the n-gram part's extra logits (and the dz output),
// B = 1, odd B and the backend's largest batch, exact ties (the first maximum is the prediction),
// a data-parallel share (the mean over N > B rows); bit-reproducible across calls; the shapes it
// refuses. Also dense_bce's class weights and shares (the sigmoid head). Runs on a GPU and on the
// emulated device (|ref - gpu| <= atol + rtol·|ref|).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "engine/cpu/head_cpu.h"
#include "kernels/common/error.h"
#include "kernels/dense_bce.cuh"
#include "kernels/dense_softmax_ce.cuh"

namespace senti {
namespace {

using kernels::DenseHead;
using test::all_close;
using test::to_device;
using test::to_host;

struct HeadCase {
  const char* name;
  DenseHead head;
  int B, F, K;
  bool weights = false, extra = false, ties = false, backward = true;
  int N = 0;  // the rows of the mean (a data-parallel share's global batch); 0 = B
};

struct HeadRef {
  std::vector<float> probs, dz, dh, dw, dbias;
  HeadSums sums;
};

// The CPU twin: logits (float of the double dense product, + extra), head_loss, then dh = dz·wᵀ,
// dw = hᵀ·dz and dbias = Σ_b dz in double.
HeadRef reference(const HeadCase& c, const std::vector<float>& h, const std::vector<float>& w,
                  const std::vector<float>& bias, const std::vector<float>& extra,
                  const std::vector<float>& labels, const std::vector<float>& cw) {
  const int B = c.B, F = c.F, K = c.K;
  std::vector<float> z(static_cast<size_t>(B) * K);
  for (int b = 0; b < B; ++b)
    for (int k = 0; k < K; ++k) {
      double s = bias[k];
      for (int j = 0; j < F; ++j) s += static_cast<double>(h[b * F + j]) * w[static_cast<size_t>(j) * K + k];
      z[static_cast<size_t>(b) * K + k] = static_cast<float>(s) + (c.extra ? extra[static_cast<size_t>(b) * K + k] : 0.f);
    }
  ModelConfig cfg;
  cfg.head = c.head == DenseHead::Softmax ? Head::Softmax : Head::MultiLabel;
  cfg.classes = K;
  HeadRef r;
  r.probs.resize(z.size());
  r.dz.resize(z.size());
  r.sums = head_loss(cfg, z.data(), B, labels.data(), c.weights ? cw.data() : nullptr, r.dz.data(),
                     r.probs.data(), c.N);
  r.dh.resize(static_cast<size_t>(B) * F);
  r.dw.resize(static_cast<size_t>(F) * K);
  r.dbias.resize(K);
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < F; ++j) {
      double s = 0;
      for (int k = 0; k < K; ++k) s += static_cast<double>(r.dz[static_cast<size_t>(b) * K + k]) * w[static_cast<size_t>(j) * K + k];
      r.dh[static_cast<size_t>(b) * F + j] = static_cast<float>(s);
    }
  for (int k = 0; k < K; ++k) {
    double sb = 0;
    for (int b = 0; b < B; ++b) sb += r.dz[static_cast<size_t>(b) * K + k];
    r.dbias[k] = static_cast<float>(sb);
    for (int j = 0; j < F; ++j) {
      double s = 0;
      for (int b = 0; b < B; ++b) s += static_cast<double>(h[b * F + j]) * r.dz[static_cast<size_t>(b) * K + k];
      r.dw[static_cast<size_t>(j) * K + k] = static_cast<float>(s);
    }
  }
  return r;
}

// atol scaled to the tensor: 1e-5 of its largest reference value.
::testing::AssertionResult close(const std::vector<float>& ref, const std::vector<float>& got,
                                 const char* what) {
  const double scale = test::max_abs(ref.data(), ref.size());
  return all_close(ref, got, 1e-5 * scale + 1e-9, 1e-4, what);
}

class DenseSoftmaxCe : public ::testing::TestWithParam<HeadCase> {};

TEST_P(DenseSoftmaxCe, ForwardBackwardAndMetricsMatchCpuTwin) {
  SENTI_REQUIRE_GPU();
  const HeadCase& c = GetParam();
  const int B = c.B, F = c.F, K = c.K;
  const size_t BK = static_cast<size_t>(B) * K;
  const auto h = test::random_floats(static_cast<size_t>(B) * F, -1.f, 1.f, 3 + K);
  auto w = test::random_floats(static_cast<size_t>(F) * K, -0.5f, 0.5f, 4 + K);
  auto bias = test::random_floats(K, -0.3f, 0.3f, 5);
  if (c.ties) {  // column k a copy of column k % 3: logits tie exactly (the same operations);
    // classes 0, 3, 6, ... lead every row, and the first of them (0) is the prediction
    for (int j = 0; j < F; ++j)
      for (int k = 0; k < K; ++k) w[static_cast<size_t>(j) * K + k] = w[static_cast<size_t>(j) * K + k % 3];
    for (int k = 0; k < K; ++k) bias[k] = k % 3 == 0 ? 5.f : bias[k % 3];
  }
  const auto extra = test::random_floats(BK, -1.f, 1.f, 6);
  const auto cw = test::random_floats(K, 0.25f, 3.f, 7);
  std::vector<float> labels;
  std::mt19937_64 rng(8 + B);
  if (c.head == DenseHead::Softmax)
    for (int b = 0; b < B; ++b) labels.push_back(static_cast<float>(c.ties ? (b % 2 ? 3 % K : 0) : rng() % K));
  else
    for (size_t i = 0; i < BK; ++i) labels.push_back(static_cast<float>(rng() % 2));
  const HeadRef r = reference(c, h, w, bias, extra, labels, cw);

  auto d_h = to_device(h), d_w = to_device(w), d_bias = to_device(bias), d_extra = to_device(extra);
  auto d_labels = to_device(labels), d_cw = to_device(cw);
  cuda::DeviceBuffer<kernels::DeviceMetrics> metrics(1);
  SENTI_CUDA_CHECK(cudaMemset(metrics.get(), 0, metrics.bytes()));
  cuda::DeviceBuffer<float> probs(BK), dz(BK), dh(static_cast<size_t>(B) * F),
      dw(static_cast<size_t>(F) * K), db(K);
  cuda::DeviceBuffer<char> ws(kernels::dense_softmax_ce_workspace_bytes(B, K) + 100);
  kernels::DenseSoftmaxCeArgs a;
  a.head = c.head;
  a.B = B, a.F = F, a.K = K;
  a.mean_rows = c.N;
  a.h = d_h.get(), a.w = d_w.get(), a.bias = d_bias.get(), a.labels = d_labels.get();
  a.class_weights = c.weights ? d_cw.get() : nullptr;
  a.extra_logits = c.extra ? d_extra.get() : nullptr;
  a.metrics = metrics.get();
  a.probs = probs.get();
  if (c.backward) {
    a.dh = dh.get(), a.dw = dw.get(), a.dbias = db.get();
    a.dz = c.extra ? dz.get() : nullptr;  // the n-gram gradient's input when there are n-grams
  }
  a.workspace = ws.get();
  a.workspace_bytes = ws.bytes();
  for (int call = 0; call < 2; ++call) kernels::dense_softmax_ce(a, nullptr);  // metrics accumulate

  EXPECT_TRUE(close(r.probs, to_host(probs), "probabilities"));
  const auto m = to_host(metrics)[0];
  EXPECT_NEAR(m.loss_sum, 2 * r.sums.loss_sum, 1e-5 * std::fabs(2 * r.sums.loss_sum) + 1e-5 * B);
  EXPECT_EQ(m.correct, static_cast<unsigned long long>(2 * r.sums.correct));
  EXPECT_EQ(m.count, static_cast<unsigned long long>(2 * B));
  if (c.ties) {
    EXPECT_EQ(r.sums.correct, (B + 1) / 2) << "label 0 right, its tie 3 wrong";
  }
  if (!c.backward) return;
  const auto got_dh = to_host(dh), got_dw = to_host(dw), got_db = to_host(db);
  EXPECT_TRUE(close(r.dh, got_dh, "dL/dh"));
  EXPECT_TRUE(close(r.dw, got_dw, "dL/dw"));
  EXPECT_TRUE(close(r.dbias, got_db, "dL/dbias"));
  if (c.extra) {
    EXPECT_TRUE(close(r.dz, to_host(dz), "dL/dz"));
  }

  // Deterministic: a third call gives the same bits.
  kernels::dense_softmax_ce(a, nullptr);
  EXPECT_EQ(0, std::memcmp(got_dh.data(), to_host(dh).data(), got_dh.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(got_dw.data(), to_host(dw).data(), got_dw.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(got_db.data(), to_host(db).data(), got_db.size() * sizeof(float)));
}

constexpr DenseHead kSm = DenseHead::Softmax, kMl = DenseHead::MultiLabel;
const HeadCase kHeadCases[] = {
    {"Softmax_K1_B1_F1", kSm, 1, 1, 1},
    {"Softmax_K2_B5_F3", kSm, 5, 3, 2},
    {"Softmax_K3_B7_F5_Weights", kSm, 7, 5, 3, true},
    {"Softmax_K7_B9_F33_Extra", kSm, 9, 33, 7, false, true},
    {"Softmax_K7_B37_F17_WeightsExtra", kSm, 37, 17, 7, true, true},
    {"Softmax_K129_B13_F17_WeightsExtra", kSm, 13, 17, 129, true, true},
    {"Softmax_K12_B9_F4_Ties", kSm, 9, 4, 12, false, false, true},
    {"Softmax_K1031_B3_F20_Weights", kSm, 3, 20, 1031, true},
    {"Softmax_K1000_B32_F64_Extra", kSm, 32, 64, 1000, false, true},
    {"Softmax_K5_LargeMaxBatch_F4_Weights", kSm, kernels::kDenseBceMaxBatch, 4, 5, true},
    {"Softmax_K65536_LargeB2_F2_Forward", kSm, 2, 2, 65536, false, false, false, false},
    {"MultiLabel_K1_B1_F1", kMl, 1, 1, 1},
    {"MultiLabel_K4_B6_F8_Extra", kMl, 6, 8, 4, false, true},
    {"MultiLabel_K3_B19_F5", kMl, 19, 5, 3},
    {"MultiLabel_K129_B5_F9_Extra", kMl, 5, 9, 129, false, true},
    {"MultiLabel_K1000_B3_F16", kMl, 3, 16, 1000},
    // A data-parallel rank's share: the gradient of the mean over N > B rows.
    {"Softmax_K3_B5_F6_WeightsExtra_Share_N13", kSm, 5, 6, 3, true, true, false, true, 13},
    {"MultiLabel_K3_B4_F5_Share_N11", kMl, 4, 5, 3, false, false, false, true, 11},
};

INSTANTIATE_TEST_SUITE_P(Cases, DenseSoftmaxCe, ::testing::ValuesIn(kHeadCases),
                         [](const ::testing::TestParamInfo<HeadCase>& i) { return i.param.name; });

void expect_refused(const kernels::DenseSoftmaxCeArgs& a, const std::string& words) {
  try {
    kernels::dense_softmax_ce(a, nullptr);
    ADD_FAILURE() << "accepted; expected: " << words;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

// What the kernel cannot run is a clear error before anything is launched.
TEST(DenseSoftmaxCe, RefusesShapesItCannotRun) {
  SENTI_REQUIRE_GPU();
  cuda::DeviceBuffer<float> any(16);
  cuda::DeviceBuffer<kernels::DeviceMetrics> metrics(1);
  kernels::DenseSoftmaxCeArgs a;
  a.B = 2, a.F = 2, a.K = 2;
  a.h = a.w = a.bias = a.labels = any.get();
  a.metrics = metrics.get();
  a.workspace = any.get();
  a.workspace_bytes = 16;
  expect_refused(a, "workspace of 16 bytes");
  a.K = 65537;
  expect_refused(a, "65537 classes, at most 65536");
  a.K = 0;
  expect_refused(a, "bad shape");
  a.K = 2, a.B = 0;
  expect_refused(a, "bad shape");
  a.B = 2, a.mean_rows = 1;
  expect_refused(a, "the mean's 1 rows are fewer than the batch's 2");
  a.mean_rows = 0;
  a.B = 2, a.head = DenseHead::MultiLabel, a.class_weights = any.get();
  expect_refused(a, "class weights are not defined for a multi-label head");
  a.head = DenseHead::Softmax, a.class_weights = nullptr, a.dh = any.get();
  expect_refused(a, "backward needs dh, dw and dbias");
}

// dense_bce's class weights (the sigmoid head): against the CPU head; weights of 1 give exactly
// the unweighted bits (the seed path's arithmetic is unchanged).
TEST(DenseBce, ClassWeightsMatchCpuTwinAndOnesAreUnweighted) {
  SENTI_REQUIRE_GPU();
  const int B = 9, H = 6;
  const auto h = test::random_floats(B * H, -1.f, 1.f, 31);
  const auto w = test::random_floats(H, -1.f, 1.f, 32);
  const std::vector<float> labels{0, 1, 1, 0, 1, 0, 0, 1, 1}, cw{0.3f, 2.5f}, ones{1.f, 1.f};
  auto d_h = to_device(h), d_w = to_device(w), d_y = to_device(labels), d_cw = to_device(cw);
  auto d_ones = to_device(ones);
  auto d_bias = to_device(std::vector<float>{0.2f});
  struct Out {
    std::vector<float> dh, dw, db, dz;
    kernels::DeviceMetrics m;
  };
  auto run = [&](const float* weights) {
    cuda::DeviceBuffer<kernels::DeviceMetrics> metrics(1);
    SENTI_CUDA_CHECK(cudaMemset(metrics.get(), 0, metrics.bytes()));
    cuda::DeviceBuffer<float> dh(B * H), dw(H), db(1), dz(B);
    kernels::dense_bce(d_h.get(), B, H, d_w.get(), d_bias.get(), d_y.get(), metrics.get(), nullptr,
                       dh.get(), dw.get(), db.get(), nullptr, nullptr, dz.get(), weights);
    return Out{to_host(dh), to_host(dw), to_host(db), to_host(dz), to_host(metrics)[0]};
  };
  const Out plain = run(nullptr), one = run(d_ones.get()), weighted = run(d_cw.get());
  EXPECT_EQ(0, std::memcmp(plain.dh.data(), one.dh.data(), plain.dh.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(plain.dw.data(), one.dw.data(), plain.dw.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(&plain.m.loss_sum, &one.m.loss_sum, sizeof(double)));

  std::vector<float> z(B), dz_ref(B);
  for (int b = 0; b < B; ++b) {
    double s = 0.2;
    for (int k = 0; k < H; ++k) s += static_cast<double>(h[b * H + k]) * w[k];
    z[b] = static_cast<float>(s);
  }
  ModelConfig cfg;  // the sigmoid head
  const HeadSums sums = head_loss(cfg, z.data(), B, labels.data(), cw.data(), dz_ref.data(), nullptr);
  EXPECT_TRUE(all_close(dz_ref, weighted.dz, 1e-7, 1e-5, "weighted dL/dz"));
  EXPECT_NEAR(weighted.m.loss_sum, sums.loss_sum, 1e-5 * sums.loss_sum);
  EXPECT_NE(weighted.m.loss_sum, plain.m.loss_sum);
}

// A data-parallel share (B rows of a global batch of N): dL/dz is the N-row mean's, as the CPU
// backend's head (head_loss with mean_rows) computes it, and N = B passed explicitly gives exactly
// the bits of the default (the single-process arithmetic is unchanged). Two shares of one batch
// add up to the whole batch's dense gradient.
TEST(DenseBce, ShareOfAGlobalBatchIsTheGlobalMeansGradient) {
  SENTI_REQUIRE_GPU();
  const int G = 9, H = 5, first = 4;  // shares [0, 4) and [4, 9)
  const auto h = test::random_floats(G * H, -1.f, 1.f, 41);
  const auto w = test::random_floats(H, -1.f, 1.f, 42);
  const std::vector<float> labels{1, 0, 0, 1, 1, 0, 1, 1, 0};
  auto d_w = to_device(w), d_bias = to_device(std::vector<float>{-0.1f});
  struct Out {
    std::vector<float> dh, dw, db, dz;
  };
  auto run = [&](int from, int B, int mean_rows) {
    auto d_h = to_device(std::vector<float>(h.begin() + from * H, h.begin() + (from + B) * H));
    auto d_y = to_device(std::vector<float>(labels.begin() + from, labels.begin() + from + B));
    cuda::DeviceBuffer<kernels::DeviceMetrics> metrics(1);
    SENTI_CUDA_CHECK(cudaMemset(metrics.get(), 0, metrics.bytes()));
    cuda::DeviceBuffer<float> dh(B * H), dw(H), db(1), dz(B);
    kernels::dense_bce(d_h.get(), B, H, d_w.get(), d_bias.get(), d_y.get(), metrics.get(), nullptr,
                       dh.get(), dw.get(), db.get(), nullptr, nullptr, dz.get(), nullptr,
                       mean_rows);
    EXPECT_EQ(to_host(metrics)[0].count, static_cast<unsigned long long>(B)) << "the share's rows";
    return Out{to_host(dh), to_host(dw), to_host(db), to_host(dz)};
  };
  const Out whole = run(0, G, 0), explicit_n = run(0, G, G);
  EXPECT_EQ(0, std::memcmp(whole.dz.data(), explicit_n.dz.data(), G * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(whole.dw.data(), explicit_n.dw.data(), H * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(whole.dh.data(), explicit_n.dh.data(), G * H * sizeof(float)));
  const Out a = run(0, first, G), b = run(first, G - first, G);

  std::vector<float> z(G), dz_ref(G);
  for (int r = 0; r < G; ++r) {
    double s = -0.1;
    for (int k = 0; k < H; ++k) s += static_cast<double>(h[r * H + k]) * w[k];
    z[r] = static_cast<float>(s);
  }
  ModelConfig cfg;  // the sigmoid head; the share's rows, the mean over G
  head_loss(cfg, z.data() + first, G - first, labels.data() + first, nullptr, dz_ref.data(),
            nullptr, G);
  dz_ref.resize(G - first);
  EXPECT_TRUE(all_close(dz_ref, b.dz, 1e-7, 1e-5, "share dL/dz (N = 9)"));
  std::vector<float> dw_sum(H), db_sum{a.db[0] + b.db[0]};
  for (int k = 0; k < H; ++k) dw_sum[k] = a.dw[k] + b.dw[k];
  EXPECT_TRUE(all_close(whole.dw, dw_sum, 1e-7, 1e-5, "dL/dw of the two shares"));
  EXPECT_TRUE(all_close(whole.db, db_sum, 1e-7, 1e-5, "dL/dbias of the two shares"));
  for (int r = 0; r < first; ++r)  // the rows' input gradients are the whole batch's rows'
    for (int k = 0; k < H; ++k) EXPECT_EQ(whole.dh[r * H + k], a.dh[r * H + k]);
}

}  // namespace
}  // namespace senti
