// The fused LSTM kernels (kernels/lstm_fused.cuh) against the double-precision twin
// (fused_lstm_reference.h) on a table of shapes: tiny, odd, the fast-path sizes, H = 256 and the
// seed shape; with and without lengths, pre and post padding, both directions, both paths, with a
// sequence gradient dy, and two directions in one launch. Runs on the emulated CUDA device in CI
// and on a real GPU in the GPU check. Every output buffer starts as NaN so a position the kernels
// forget to write fails the comparison.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "fused_lstm_reference.h"
#include "kernels/lstm_fused.cuh"

namespace senti {
namespace {

using kernels::FusedLstmPath;
using kernels::Padding;
namespace ref = test::ref;

struct Case {
  const char* name;
  int B, T, E, H;
  bool lengths, pre, reverse;
  FusedLstmPath path;
  bool dy = false;
  int dirs = 1;        // 2: the case's direction plus the opposite one in the same launch
  bool rerun = true;   // run twice and compare bit for bit (not at the seed shape: emulator time)
};

// Small shapes keep the emulated device fast; one seed-shape case (B32 T500 E128 H64).
const Case kCases[] = {
    {"Tiny", 1, 1, 1, 1, false, false, false, FusedLstmPath::Generic},
    {"OddGenericPreReverse", 3, 7, 5, 3, true, true, true, FusedLstmPath::Generic},
    {"OddGenericPostDy", 5, 6, 4, 17, true, false, false, FusedLstmPath::Generic, true},
    {"H64Plain", 3, 9, 6, 64, false, false, false, FusedLstmPath::Resident},
    {"H64PostLengths", 4, 9, 6, 64, true, false, false, FusedLstmPath::Resident},
    {"H64PreReverse", 4, 8, 3, 64, true, true, true, FusedLstmPath::Resident},
    {"H64PostReverseDy", 3, 7, 2, 64, true, false, true, FusedLstmPath::Resident, true},
    {"H64GenericPre", 3, 6, 5, 64, true, true, false, FusedLstmPath::Generic},
    {"H128PostLengths", 2, 5, 3, 128, true, false, false, FusedLstmPath::Resident},
    {"H128PreReverseDy", 2, 4, 2, 128, true, true, true, FusedLstmPath::Resident, true},
    {"H256Generic", 2, 3, 2, 256, true, false, true, FusedLstmPath::Generic},
    {"BidirectionalH64", 3, 6, 4, 64, true, false, false, FusedLstmPath::Resident, false, 2},
    {"BidirectionalGeneric", 2, 5, 3, 6, true, true, false, FusedLstmPath::Generic, true, 2},
    {"SeedB32T500E128H64", 32, 500, 128, 64, true, false, false, FusedLstmPath::Resident, false, 1,
     false},
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<float> nan_floats(size_t n) { return std::vector<float>(n, std::nanf("")); }

// One direction's weights, inputs and reference.
struct Dir {
  ref::FusedLstmRef twin;
  std::vector<float> W, R, bias, pre;
  cuda::DeviceBuffer<float> dR, dRt, dbias, dpre, dgates, dc, dtc, ddz;
};

struct Outputs {
  std::vector<float> y, hy;                        // shared by the directions (ld = dirs * H)
  std::vector<std::vector<float>> gates, c, dz;    // per direction
};

class FusedLstmKernels : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    SENTI_REQUIRE_GPU();
    const Case& k = GetParam();
    const int G = 4 * k.H;
    const size_t TB = static_cast<size_t>(k.T) * k.B;
    x_ = test::random_floats(TB * k.E, -1.f, 1.f, 11);
    dhy_ = test::random_floats(static_cast<size_t>(k.B) * k.dirs * k.H, -1.f, 1.f, 12);
    if (k.dy) dy_ = test::random_floats(TB * k.dirs * k.H, -0.5f, 0.5f, 13);
    if (k.lengths) {
      std::mt19937 rng(14);
      lengths_.resize(k.B);
      for (int b = 0; b < k.B; ++b) lengths_[b] = 1 + static_cast<int>(rng() % k.T);
      lengths_[0] = k.T;  // one full row and, when there are two, one of a single token
      if (k.B > 1) lengths_[1] = 1;
      dlengths_ = test::to_device(lengths_);
    }
    const float scale = 1.f / std::sqrt(static_cast<float>(k.H));
    dirs_.resize(k.dirs);
    for (int i = 0; i < k.dirs; ++i) {
      Dir& d = dirs_[i];
      d.W = test::random_floats(static_cast<size_t>(k.E) * G, -scale, scale, 20 + i);
      d.R = test::random_floats(static_cast<size_t>(k.H) * G, -scale, scale, 30 + i);
      d.bias = test::random_floats(G, -0.5f, 0.5f, 40 + i);
      ref::FusedLstmRef& r = d.twin;
      r.B = k.B, r.T = k.T, r.E = k.E, r.H = k.H;
      r.reverse = (i == 0) ? k.reverse : !k.reverse;
      r.pre_padding = k.pre;
      r.lengths = lengths_;
      r.W = ref::widen(d.W), r.R = ref::widen(d.R), r.bias = ref::widen(d.bias);
      // pre = x·W in double, rounded once: the kernels' input, as the GEMM would give it; the
      // reference reads the same rounded values.
      r.project(x_);
      d.pre = ref::narrow(r.pre);
      r.pre = ref::widen(d.pre);
      r.forward(x_);
      std::vector<float> dhy(static_cast<size_t>(k.B) * k.H), dy;
      for (int b = 0; b < k.B; ++b)
        for (int u = 0; u < k.H; ++u)
          dhy[static_cast<size_t>(b) * k.H + u] = dhy_[(static_cast<size_t>(b) * k.dirs + i) * k.H + u];
      if (k.dy) {
        dy.resize(TB * k.H);
        for (size_t row = 0; row < TB; ++row)
          for (int u = 0; u < k.H; ++u) dy[row * k.H + u] = dy_[(row * k.dirs + i) * k.H + u];
      }
      r.backward(dhy, dy, /*weights=*/false);
      std::vector<float> rt(static_cast<size_t>(G) * k.H);
      for (int m = 0; m < k.H; ++m)
        for (int j = 0; j < G; ++j) rt[static_cast<size_t>(j) * k.H + m] = d.R[static_cast<size_t>(m) * G + j];
      d.dR = test::to_device(d.R);
      d.dRt = test::to_device(rt);
      d.dbias = test::to_device(d.bias);
      d.dpre = test::to_device(d.pre);
    }
  }

  // Forward and backward on the device, every output starting as NaN.
  Outputs run() {
    const Case& k = GetParam();
    const int G = 4 * k.H, ld = k.dirs * k.H;
    const size_t TB = static_cast<size_t>(k.T) * k.B;
    auto y = test::to_device(nan_floats(TB * ld));
    auto hy = test::to_device(nan_floats(static_cast<size_t>(k.B) * ld));
    auto dhy = test::to_device(dhy_);
    cuda::DeviceBuffer<float> dy;
    if (k.dy) dy = test::to_device(dy_);
    kernels::FusedLstmBatch bt;
    bt.B = k.B, bt.T = k.T, bt.H = k.H;
    bt.lengths = k.lengths ? dlengths_.get() : nullptr;
    bt.padding = k.pre ? Padding::Pre : Padding::Post;
    bt.path = k.path;
    std::vector<kernels::FusedLstmForwardDir> fwd(k.dirs);
    std::vector<kernels::FusedLstmBackwardDir> bwd(k.dirs);
    for (int i = 0; i < k.dirs; ++i) {
      Dir& d = dirs_[i];
      d.dgates = test::to_device(nan_floats(TB * G));
      d.dc = test::to_device(nan_floats(TB * k.H));
      d.dtc = test::to_device(nan_floats(TB * k.H));
      d.ddz = test::to_device(nan_floats(TB * G));
      fwd[i] = {d.dR.get(), d.dbias.get(), d.dpre.get(), d.twin.reverse, y.get() + i * k.H, ld,
                hy.get() + i * k.H, ld, d.dgates.get(), d.dc.get(), d.dtc.get()};
      bwd[i] = {d.dR.get(), d.dRt.get(), d.twin.reverse, d.dgates.get(), d.dc.get(), d.dtc.get(),
                dhy.get() + i * k.H, ld, k.dy ? dy.get() + i * k.H : nullptr, ld, d.ddz.get()};
    }
    kernels::fused_lstm_forward(bt, fwd.data(), k.dirs, nullptr);
    kernels::fused_lstm_backward(bt, bwd.data(), k.dirs, nullptr);
    Outputs out;
    out.y = test::to_host(y);
    out.hy = test::to_host(hy);
    for (Dir& d : dirs_) {
      out.gates.push_back(test::to_host(d.dgates));
      out.c.push_back(test::to_host(d.dc));
      out.dz.push_back(test::to_host(d.ddz));
    }
    return out;
  }

  // Column block i of a [rows, dirs*H] buffer.
  std::vector<float> column_block(const std::vector<float>& v, int i) const {
    const Case& k = GetParam();
    const size_t rows = v.size() / (k.dirs * k.H);
    std::vector<float> out(rows * k.H);
    for (size_t r = 0; r < rows; ++r)
      std::memcpy(&out[r * k.H], &v[(r * k.dirs + i) * k.H], sizeof(float) * k.H);
    return out;
  }

  std::vector<float> x_, dhy_, dy_;
  std::vector<int32_t> lengths_;
  cuda::DeviceBuffer<int32_t> dlengths_;
  std::vector<Dir> dirs_;
};

TEST_P(FusedLstmKernels, FusedMatchesDoublePrecisionTwin) {
  const Case& k = GetParam();
  const Outputs got = run();
  for (int i = 0; i < k.dirs; ++i) {
    const ref::FusedLstmRef& r = dirs_[i].twin;
    const std::string dir = r.reverse ? "reverse" : "forward";
    EXPECT_TRUE(test::all_close(ref::narrow(r.hy), column_block(got.hy, i), 2e-5, 1e-4, "hy " + dir));
    EXPECT_TRUE(test::all_close(ref::narrow(r.y), column_block(got.y, i), 2e-5, 1e-4, "y " + dir));
    // The reference zeroes gates and c at padded positions; the kernels leave them (never read).
    std::vector<float> gates = got.gates[i], c = got.c[i];
    for (size_t n = 0; n < gates.size(); ++n)
      if (r.gates[n] == 0.0 && std::isnan(gates[n])) gates[n] = 0.f;
    for (size_t n = 0; n < c.size(); ++n)
      if (r.c[n] == 0.0 && std::isnan(c[n])) c[n] = 0.f;
    EXPECT_TRUE(test::all_close(ref::narrow(r.gates), gates, 2e-5, 1e-4, "gates " + dir));
    EXPECT_TRUE(test::all_close(ref::narrow(r.c), c, 2e-5, 1e-4, "c " + dir));
    EXPECT_TRUE(test::all_close(ref::narrow(r.dz), got.dz[i], 2e-5, 1e-4, "dz " + dir));
  }
  // Padded positions: y and dz exactly zero (the dR GEMM relies on it).
  const int G = 4 * k.H;
  int padded = 0;
  for (int b = 0; b < k.B; ++b)
    for (int t = 0; t < k.T; ++t) {
      const int len = k.lengths ? lengths_[b] : k.T, first = k.pre ? k.T - len : 0;
      if (t >= first && t < first + len) continue;
      ++padded;
      const size_t row = static_cast<size_t>(t) * k.B + b;
      for (int i = 0; i < k.dirs; ++i) {
        for (int u = 0; u < k.H; ++u)
          ASSERT_EQ(got.y[(row * k.dirs + i) * k.H + u], 0.f) << "y at b " << b << " t " << t;
        for (int j = 0; j < G; ++j)
          ASSERT_EQ(got.dz[i][row * G + j], 0.f) << "dz at b " << b << " t " << t;
      }
    }
  EXPECT_EQ(padded > 0, k.lengths && k.B > 1);  // every case with lengths has a 1-token row
  if (!k.rerun) return;
  const Outputs again = run();  // deterministic: bit-identical
  auto same = [](const std::vector<float>& p, const std::vector<float>& q) {
    return p.size() == q.size() && std::memcmp(p.data(), q.data(), sizeof(float) * p.size()) == 0;
  };
  EXPECT_TRUE(same(got.y, again.y) && same(got.hy, again.hy));
  for (int i = 0; i < k.dirs; ++i)
    EXPECT_TRUE(same(got.dz[i], again.dz[i]) && same(got.c[i], again.c[i]) &&
                same(got.gates[i], again.gates[i]));
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Table, FusedLstmKernels, ::testing::ValuesIn(kCases), case_name);

}  // namespace
}  // namespace senti
