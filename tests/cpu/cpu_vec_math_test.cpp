// engine/cpu/vec_math.h: the CPU backend's vectorizable exp, sigmoid and tanh against double
// precision over a dense sweep of every float range, in each instruction set the backend's target
// clones run (x86-64, x86-64-v3 = AVX2+FMA, x86-64-v4 = AVX-512, where the CPU has them), plus the special values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/cpu/vec_math.h"
#include "lstm_reference.h"  // ref::sigmoid, the double sigmoid every CPU test compares with

namespace senti {
namespace {

// Row versions of the three functions, compiled for one instruction set each (loops as in
// engine/cpu/lstm_cpu.cpp, so the compiler vectorizes them the same way).
#define SENTI_ROW_FUNCS(SUFFIX, ATTR)                                               \
  ATTR void exp_row_##SUFFIX(const float* x, float* y, int n) {                     \
    for (int i = 0; i < n; ++i) y[i] = cpu::vexp(x[i]);                             \
  }                                                                                 \
  ATTR void sigmoid_row_##SUFFIX(const float* x, float* y, int n) {                 \
    for (int i = 0; i < n; ++i) y[i] = cpu::vsigmoid(x[i]);                         \
  }                                                                                 \
  ATTR void tanh_row_##SUFFIX(const float* x, float* y, int n) {                    \
    for (int i = 0; i < n; ++i) y[i] = cpu::vtanh(x[i]);                            \
  }

SENTI_ROW_FUNCS(base, )
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
SENTI_ROW_FUNCS(avx2, __attribute__((target("arch=x86-64-v3"))))
SENTI_ROW_FUNCS(avx512, __attribute__((target("arch=x86-64-v4"))))
#endif

using RowFn = void (*)(const float*, float*, int);
struct Isa {
  std::string name;
  RowFn exp, sigmoid, tanh;
};

std::vector<Isa> isas() {
  std::vector<Isa> v{{"x86-64", exp_row_base, sigmoid_row_base, tanh_row_base}};
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  if (__builtin_cpu_supports("x86-64-v3"))
    v.push_back({"x86-64-v3", exp_row_avx2, sigmoid_row_avx2, tanh_row_avx2});
  if (__builtin_cpu_supports("x86-64-v4"))
    v.push_back({"x86-64-v4", exp_row_avx512, sigmoid_row_avx512, tanh_row_avx512});
#endif
  return v;
}

// Position of a float in the ordered sequence of all floats (-0 and +0 both 0): the difference of
// two positions is their distance in ulps, across binades and into the subnormals.
int64_t ordinal(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i < 0 ? -static_cast<int64_t>(i & 0x7fffffff) : static_cast<int64_t>(i);
}

// Every 101st float bit pattern in [lo, hi] (about 42 million over all finite floats; stride 0
// skips that part), plus the interval [-30, 30] in steps of 1/4096 where the activations change
// fastest.
std::vector<float> sweep(float lo, float hi, uint64_t stride = 101) {
  std::vector<float> xs;
  for (uint64_t u = 0; stride > 0 && u <= 0xffffffffull; u += stride) {
    const uint32_t bits = static_cast<uint32_t>(u);
    float x;
    std::memcpy(&x, &bits, sizeof x);
    if (x >= lo && x <= hi) xs.push_back(x);
  }
  for (int k = -30 * 4096; k <= 30 * 4096; ++k) {
    const float x = static_cast<float>(k) / 4096.f;
    if (x >= lo && x <= hi) xs.push_back(x);
  }
  return xs;
}

// Largest ulp distance of fn(x) from the double reference rounded to float.
template <typename Ref>
int64_t max_ulp_error(RowFn fn, Ref ref, const std::vector<float>& xs, float* worst_x) {
  std::vector<float> ys(xs.size());
  fn(xs.data(), ys.data(), static_cast<int>(xs.size()));
  int64_t worst = 0;
  *worst_x = 0.f;
  for (size_t i = 0; i < xs.size(); ++i) {
    const float want = static_cast<float>(ref(static_cast<double>(xs[i])));
    const int64_t d = std::llabs(ordinal(ys[i]) - ordinal(want));
    if (d > worst) {
      worst = d;
      *worst_x = xs[i];
    }
  }
  return worst;
}

TEST(CpuVecMath, ExpWithinTwoUlpFromSubnormalsToOverflow) {
  const std::vector<float> xs = sweep(-103.f, 88.f);
  for (const Isa& isa : isas()) {
    float at;
    const int64_t ulp = max_ulp_error(isa.exp, [](double x) { return std::exp(x); }, xs, &at);
    EXPECT_LE(ulp, 2) << isa.name << ": exp(" << at << ")";
  }
}

TEST(CpuVecMath, SigmoidWithinFourUlpOverAllFloats) {
  const float big = std::numeric_limits<float>::max();
  const std::vector<float> xs = sweep(-big, big);
  for (const Isa& isa : isas()) {
    float at;
    const int64_t ulp = max_ulp_error(isa.sigmoid, ref::sigmoid, xs, &at);
    EXPECT_LE(ulp, 4) << isa.name << ": sigmoid(" << at << ")";
  }
}

TEST(CpuVecMath, TanhWithinTwoUlpOverAllFloats) {
  const float big = std::numeric_limits<float>::max();
  const std::vector<float> xs = sweep(-big, big);
  for (const Isa& isa : isas()) {
    float at;
    const int64_t ulp = max_ulp_error(isa.tanh, [](double x) { return std::tanh(x); }, xs, &at);
    EXPECT_LE(ulp, 2) << isa.name << ": tanh(" << at << ")";
  }
}

TEST(CpuVecMath, SaturatesAndPropagatesNan) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> xs{inf, -inf, 1e30f, -1e30f, 3e38f, -3e38f, 200.f, -200.f, nan};
  const int n = static_cast<int>(xs.size());
  for (const Isa& isa : isas()) {
    std::vector<float> s(n), t(n), e(n);
    isa.sigmoid(xs.data(), s.data(), n);
    isa.tanh(xs.data(), t.data(), n);
    isa.exp(xs.data(), e.data(), n);
    for (int i = 0; i + 1 < n; ++i) {
      const float want_s = xs[i] > 0 ? 1.f : 0.f, want_t = xs[i] > 0 ? 1.f : -1.f;
      EXPECT_EQ(s[i], want_s) << isa.name << ": sigmoid(" << xs[i] << ")";
      EXPECT_EQ(t[i], want_t) << isa.name << ": tanh(" << xs[i] << ")";
      EXPECT_TRUE(std::isfinite(e[i])) << isa.name << ": exp(" << xs[i] << ") = " << e[i];
    }
    EXPECT_TRUE(std::isnan(s[n - 1])) << isa.name;
    EXPECT_TRUE(std::isnan(t[n - 1])) << isa.name;
    EXPECT_TRUE(std::isnan(e[n - 1])) << isa.name;
    EXPECT_EQ(e[0], e[4]) << isa.name << ": exp clamps large arguments";
  }
}

TEST(CpuVecMath, ExactAtZeroAndDeterministic) {
  for (const Isa& isa : isas()) {
    const float zero = 0.f;
    float s, t, e;
    isa.sigmoid(&zero, &s, 1);
    isa.tanh(&zero, &t, 1);
    isa.exp(&zero, &e, 1);
    EXPECT_EQ(s, 0.5f) << isa.name;
    EXPECT_EQ(t, 0.f) << isa.name;
    EXPECT_EQ(e, 1.f) << isa.name;
    // The same input gives the same bits, alone or inside a vectorized row.
    const std::vector<float> xs = sweep(-20.f, 20.f, 0);
    std::vector<float> row(xs.size());
    isa.sigmoid(xs.data(), row.data(), static_cast<int>(xs.size()));
    for (size_t i = 0; i < xs.size(); i += 9973) {
      float one;
      isa.sigmoid(&xs[i], &one, 1);
      EXPECT_EQ(std::memcmp(&one, &row[i], sizeof one), 0) << isa.name << " at " << xs[i];
    }
  }
}

}  // namespace
}  // namespace senti
