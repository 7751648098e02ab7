// The CPU backend's training GEMMs (engine/cpu/small_gemm.h): both libraries against a naive
// double product, on the LSTM's shapes (seed and odd sizes, A or A^T, beta 0 or 1, leading
// dimensions wider than the matrices), |got - ref| <= atol + rtol·|ref|; the same shape twice gives
// the same bits; and the process-wide choice, made by $SENTI_CPU_GEMM, as a user sees it through
// `senti bench`.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/small_gemm.h"
#include "test_env.h"

namespace senti {
namespace {

struct GemmCase {
  bool trans_a;
  int m, n, k;
  float beta;
  int pad;  // extra columns in every leading dimension
};

// Seed-shape products of engine/cpu/lstm_cpu.cpp (recurrence, dh, dR block, dW, dX, projection),
// then tiny and odd ones (a masked batch's last rows, a last chunk of slots).
const GemmCase kCases[] = {
    {false, 16, 256, 64, 0.f, 0},  {false, 16, 64, 256, 0.f, 0}, {true, 64, 128, 256, 0.f, 0},
    {true, 128, 128, 3001, 0.f, 0}, {false, 512, 128, 256, 1.f, 0}, {false, 512, 256, 128, 1.f, 0},
    {false, 1, 1, 1, 0.f, 0},       {false, 3, 7, 5, 1.f, 3},     {true, 5, 3, 7, 0.f, 1},
    {false, 13, 36, 9, 1.f, 2},     {true, 9, 20, 1, 1.f, 0},     {false, 17, 100, 33, 0.f, 5},
};

struct Operands {
  std::vector<float> a, b, c;
  int lda, ldb, ldc;
};

Operands make_operands(const GemmCase& g, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  Operands o;
  const int a_rows = g.trans_a ? g.k : g.m, a_cols = g.trans_a ? g.m : g.k;
  o.lda = a_cols + g.pad;
  o.ldb = g.n + g.pad;
  o.ldc = g.n + g.pad;
  o.a.resize(static_cast<size_t>(a_rows) * o.lda);
  o.b.resize(static_cast<size_t>(g.k) * o.ldb);
  o.c.resize(static_cast<size_t>(g.m) * o.ldc);
  for (float& v : o.a) v = u(rng);
  for (float& v : o.b) v = u(rng);
  for (float& v : o.c) v = u(rng);
  return o;
}

// Naive double: C = op(A) · B + beta · C.
std::vector<double> reference(const GemmCase& g, const Operands& o) {
  std::vector<double> c(o.c.begin(), o.c.end());
  for (int i = 0; i < g.m; ++i)
    for (int j = 0; j < g.n; ++j) {
      double s = 0;
      for (int p = 0; p < g.k; ++p) {
        const float a = g.trans_a ? o.a[static_cast<size_t>(p) * o.lda + i]
                                  : o.a[static_cast<size_t>(i) * o.lda + p];
        s += static_cast<double>(a) * o.b[static_cast<size_t>(p) * o.ldb + j];
      }
      double& out = c[static_cast<size_t>(i) * o.ldc + j];
      out = s + g.beta * out;
    }
  return c;
}

std::string name(const GemmCase& g) {
  return std::string(g.trans_a ? "A^T" : "A") + " m" + std::to_string(g.m) + " n" +
         std::to_string(g.n) + " k" + std::to_string(g.k) + " beta " +
         std::to_string(static_cast<int>(g.beta)) + " pad " + std::to_string(g.pad);
}

TEST(SmallGemm, EveryLibraryMatchesDoubleReferenceAndRepeatsBitForBit) {
  for (const cpu::GemmLibrary lib : {cpu::GemmLibrary::OpenBlas, cpu::GemmLibrary::Libxsmm}) {
    const char* lib_name = lib == cpu::GemmLibrary::Libxsmm ? "libxsmm" : "openblas";
    for (const GemmCase& g : kCases) {
      const Operands o = make_operands(g, static_cast<uint32_t>(g.m * 131 + g.n * 7 + g.k));
      const std::vector<double> ref = reference(g, o);
      std::vector<float> c1 = o.c, c2 = o.c;
      if (!cpu::gemm_with(lib, g.trans_a, g.m, g.n, g.k, o.a.data(), o.lda, o.b.data(), o.ldb,
                          g.beta, c1.data(), o.ldc)) {
        // Only libxsmm may decline, and only on a CPU without its JIT (then never chosen).
        ASSERT_EQ(lib, cpu::GemmLibrary::Libxsmm);
        ASSERT_EQ(cpu::gemm_library(), cpu::GemmLibrary::OpenBlas) << name(g);
        continue;
      }
      cpu::gemm_with(lib, g.trans_a, g.m, g.n, g.k, o.a.data(), o.lda, o.b.data(), o.ldb, g.beta,
                     c2.data(), o.ldc);
      EXPECT_EQ(c1, c2) << lib_name << " " << name(g) << ": not the same bits twice";
      size_t bad = 0;
      for (size_t i = 0; i < c1.size(); ++i) {
        const bool inside = static_cast<int>(i % o.ldc) < g.n;
        if (!inside) {  // the padding columns of C are not written
          EXPECT_EQ(c1[i], o.c[i]) << lib_name << " " << name(g) << " wrote padding at " << i;
          continue;
        }
        const double tol = 1e-6 * std::sqrt(static_cast<double>(g.k)) * (1 + std::fabs(ref[i])) +
                           2e-7 * g.k;
        if (std::fabs(c1[i] - ref[i]) > tol && ++bad <= 3)
          ADD_FAILURE() << lib_name << " " << name(g) << " element " << i << ": " << c1[i]
                        << " vs " << ref[i];
      }
    }
  }
}

std::string bench_describe(const char* gemm_env, int* rc) {
  std::string out;
  const std::string env = gemm_env ? std::string("SENTI_CPU_GEMM=") + gemm_env + " " : "";
  *rc = test::run_command(env + test::senti_bin() +
                              " bench --device cpu --steps 1 --warmup 0 --batch 2 --maxlen 5 "
                              "--hidden 4 --embed 4 --threads 1",
                          &out);
  return out;
}

TEST(SmallGemm, SentiCpuGemmPicksTheLibraryOrFailsNamingTheVariable) {
  int rc = 0;
  std::string out = bench_describe("openblas", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("cpu (OpenBLAS "), std::string::npos) << out;
  out = bench_describe(nullptr, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(cpu::gemm_library() == cpu::GemmLibrary::Libxsmm ? "cpu (libxsmm "
                                                                      : "cpu (OpenBLAS "),
            std::string::npos)
      << out;
  out = bench_describe("mkl", &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("SENTI_CPU_GEMM must be 'libxsmm' or 'openblas', got 'mkl'"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace senti
