// FusedLstm (engine/cuda/fused_lstm.h: the fused kernels plus the GEMMs) with per-row lengths
// against the double-precision twin: hy, y, dx and the Keras-layout dW, dR, db, for both padding
// sides and both paths; the masking rule that results do not depend on T beyond the real tokens;
// and gradient checks: the twin against central differences of its own loss (in double), and the
// fused layer against central differences of the fused forward (in float, a tiny shape).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "cuda_test_util.h"
#include "engine/cuda/fused_lstm.h"
#include "engine/cuda/stream.h"
#include "fused_lstm_reference.h"

namespace senti {
namespace {

using kernels::FusedLstmPath;
using kernels::Padding;
namespace ref = test::ref;

struct Shape {
  int B, T, E, H;
};

struct Inputs {
  std::vector<float> block, x, dhy;  // Keras block W | R | b
  std::vector<int32_t> lengths;
};

Inputs make_inputs(const Shape& s, uint64_t seed) {
  const int G = 4 * s.H;
  Inputs in;
  const float scale = 1.f / std::sqrt(static_cast<float>(s.H));
  in.block = test::random_floats(static_cast<size_t>(s.E + s.H + 1) * G, -scale, scale, seed);
  in.x = test::random_floats(static_cast<size_t>(s.T) * s.B * s.E, -1.f, 1.f, seed + 1);
  in.dhy = test::random_floats(static_cast<size_t>(s.B) * s.H, -1.f, 1.f, seed + 2);
  in.lengths.resize(s.B);
  for (int b = 0; b < s.B; ++b) in.lengths[b] = 1 + (b * 7 + 3) % s.T;
  in.lengths[0] = s.T;
  return in;
}

ref::FusedLstmRef make_ref(const Shape& s, const Inputs& in, bool pre) {
  const size_t G = 4 * s.H, nW = static_cast<size_t>(s.E) * G, nR = static_cast<size_t>(s.H) * G;
  ref::FusedLstmRef r;
  r.B = s.B, r.T = s.T, r.E = s.E, r.H = s.H;
  r.pre_padding = pre;
  r.lengths.assign(in.lengths.begin(), in.lengths.end());
  r.W.assign(in.block.begin(), in.block.begin() + nW);
  r.R.assign(in.block.begin() + nW, in.block.begin() + nW + nR);
  r.bias.assign(in.block.begin() + nW + nR, in.block.end());
  return r;
}

struct Outputs {
  std::vector<float> y, hy, dx, grad;  // grad: the Keras block's gradient
};

// One forward(training) + backward of a FusedLstm on the device.
Outputs run_fused(const Shape& s, const Inputs& in, Padding padding, FusedLstmPath path,
                  bool with_lengths = true) {
  cuda::Stream stream;
  cuda::FusedLstm lstm({s.E, s.H, s.B, s.T}, stream, padding, path);
  auto block = test::to_device(in.block);
  auto x = test::to_device(in.x);
  auto dhy = test::to_device(in.dhy);
  auto lengths = test::to_device(in.lengths);
  const int32_t* len = with_lengths ? lengths.get() : nullptr;
  cuda::DeviceBuffer<float> y(static_cast<size_t>(s.T) * s.B * s.H), hy(static_cast<size_t>(s.B) * s.H),
      dx(in.x.size()), grad(in.block.size());
  lstm.load_keras(block.get());
  lstm.forward(s.B, s.T, len, x.get(), y.get(), hy.get(), true);
  lstm.backward(s.B, s.T, len, x.get(), y.get(), nullptr, dhy.get(), dx.get());
  lstm.gradient_to_keras(grad.get());
  SENTI_CUDA_CHECK(cudaStreamSynchronize(stream));
  return {test::to_host(y), test::to_host(hy), test::to_host(dx), test::to_host(grad)};
}

struct LayerCase {
  const char* name;
  Shape shape;
  bool pre;
  FusedLstmPath path;
};

class FusedLstmLayer : public ::testing::TestWithParam<LayerCase> {};

TEST_P(FusedLstmLayer, FusedLayerWithLengthsMatchesDoublePrecisionTwin) {
  SENTI_REQUIRE_GPU();
  const LayerCase& c = GetParam();
  const Shape& s = c.shape;
  const Inputs in = make_inputs(s, 5);
  ref::FusedLstmRef r = make_ref(s, in, c.pre);
  r.forward(in.x);
  r.backward(in.dhy, {});
  const Outputs got = run_fused(s, in, c.pre ? Padding::Pre : Padding::Post, c.path);
  std::vector<double> grad(r.dW);
  grad.insert(grad.end(), r.dR.begin(), r.dR.end());
  grad.insert(grad.end(), r.db.begin(), r.db.end());
  EXPECT_TRUE(test::all_close(ref::narrow(r.hy), got.hy, 2e-5, 1e-4, "hy"));
  EXPECT_TRUE(test::all_close(ref::narrow(r.y), got.y, 2e-5, 1e-4, "y"));
  EXPECT_TRUE(test::all_close(ref::narrow(r.dx), got.dx, 2e-5, 1e-4, "dx"));
  EXPECT_TRUE(test::all_close(ref::narrow(grad), got.grad, 5e-5, 1e-4, "dW|dR|db"));
}

const LayerCase kLayerCases[] = {
    {"ResidentPost", {5, 9, 7, 64}, false, FusedLstmPath::Resident},
    {"ResidentPre", {4, 8, 3, 64}, true, FusedLstmPath::Resident},
    {"GenericPost", {5, 7, 6, 5}, false, FusedLstmPath::Generic},
    {"GenericPre", {3, 6, 4, 9}, true, FusedLstmPath::Generic},
};

INSTANTIATE_TEST_SUITE_P(Cases, FusedLstmLayer, ::testing::ValuesIn(kLayerCases),
                         [](const ::testing::TestParamInfo<LayerCase>& i) { return i.param.name; });

// docs/model.md: with a mask, results do not depend on T beyond the real tokens. The same rows,
// post-padded to T = 7 or to their longest length 4, give bit-identical hy (each row's block runs
// the same steps) and the same gradients (different GEMM sizes: within rounding).
TEST(FusedLstmMasking, FusedResultsDoNotDependOnPaddedLength) {
  SENTI_REQUIRE_GPU();
  const Shape small{3, 4, 5, 64}, big{3, 7, 5, 64};
  Inputs a = make_inputs(small, 9);
  a.lengths = {4, 2, 3};
  Inputs b = a;
  b.x.assign(static_cast<size_t>(big.T) * big.B * big.E, 123.f);  // padding content is never read
  std::memcpy(b.x.data(), a.x.data(), sizeof(float) * a.x.size());  // time-major: steps 0..3 first
  const Outputs ga = run_fused(small, a, Padding::Post, FusedLstmPath::Auto);
  const Outputs gb = run_fused(big, b, Padding::Post, FusedLstmPath::Auto);
  EXPECT_EQ(std::memcmp(ga.hy.data(), gb.hy.data(), sizeof(float) * ga.hy.size()), 0);
  EXPECT_TRUE(test::all_close(ga.grad, gb.grad, 1e-6, 1e-5, "gradient"));
  for (size_t i = a.x.size(); i < b.x.size(); ++i) ASSERT_EQ(gb.dx[i], 0.f) << "dx at padded " << i;
}

// Central differences of L = sum(hy · dhy) over every weight.
template <typename Loss>
std::vector<double> numeric_gradient(std::vector<float> block, double eps, Loss loss) {
  std::vector<double> g(block.size());
  for (size_t i = 0; i < block.size(); ++i) {
    const float keep = block[i];
    block[i] = static_cast<float>(keep + eps);
    const double up = loss(block);
    block[i] = static_cast<float>(keep - eps);
    const double down = loss(block);
    block[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

TEST(FusedLstmGradcheck, DoublePrecisionTwinMatchesFiniteDifferences) {
  const Shape s{3, 5, 2, 3};
  Inputs in = make_inputs(s, 21);
  for (bool pre : {false, true})
    for (bool reverse : {false, true}) {
      auto loss = [&](const std::vector<float>& block) {
        Inputs p = in;
        p.block = block;
        ref::FusedLstmRef r = make_ref(s, p, pre);
        r.reverse = reverse;
        r.forward(in.x);
        double l = 0;
        for (size_t i = 0; i < r.hy.size(); ++i) l += r.hy[i] * in.dhy[i];
        return l;
      };
      // eps on float weights: the perturbation is what float can represent, close enough.
      const std::vector<double> num = numeric_gradient(in.block, 1e-3, loss);
      ref::FusedLstmRef r = make_ref(s, in, pre);
      r.reverse = reverse;
      r.forward(in.x);
      r.backward(in.dhy, {});
      std::vector<double> ana(r.dW);
      ana.insert(ana.end(), r.dR.begin(), r.dR.end());
      ana.insert(ana.end(), r.db.begin(), r.db.end());
      EXPECT_TRUE(test::all_close(ref::narrow(ana), ref::narrow(num), 1e-6, 1e-4,
                                  pre ? "pre" : "post"));
    }
}

TEST(FusedLstmGradcheck, FusedLayerMatchesFiniteDifferences) {
  SENTI_REQUIRE_GPU();
  const Shape s{3, 5, 2, 3};
  const Inputs in = make_inputs(s, 31);
  auto loss = [&](const std::vector<float>& block) {
    Inputs p = in;
    p.block = block;
    const Outputs o = run_fused(s, p, Padding::Pre, FusedLstmPath::Generic);
    double l = 0;
    for (size_t i = 0; i < o.hy.size(); ++i) l += static_cast<double>(o.hy[i]) * in.dhy[i];
    return l;
  };
  const std::vector<double> num = numeric_gradient(in.block, 1e-2, loss);
  const Outputs got = run_fused(s, in, Padding::Pre, FusedLstmPath::Generic);
  // Float forward, eps 1e-2: truncation ~eps^2 and rounding ~1e-7/eps, so 1e-3 absolute.
  EXPECT_TRUE(test::all_close(ref::narrow(num), got.grad, 1e-3, 1e-2, "fused vs finite differences"));
}

}  // namespace
}  // namespace senti
