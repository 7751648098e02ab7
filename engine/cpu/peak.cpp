#include "engine/cpu/peak.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "engine/cpu/lstm_cpu.h"
#include "engine/cpu/small_gemm.h"
#include "kernels/common/error.h"

namespace senti::cpu {
namespace {

using Clock = std::chrono::steady_clock;

// 12 independent accumulators hide the FMA latency (4 cycles) on two pipes; returns FLOPs done.
// The multiplier and addend keep values finite; the result is consumed so nothing is elided.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) double fma_loop_avx512(long iters, float* sink) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-6f);
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], mul, add);
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
  float out[16];
  _mm512_storeu_ps(out, s);
  *sink = out[0];
  return 2.0 * 16 * 12 * static_cast<double>(iters);
}

__attribute__((target("avx2,fma"))) double fma_loop_avx2(long iters, float* sink) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-6f);
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], mul, add);
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  *sink = out[0];
  return 2.0 * 8 * 12 * static_cast<double>(iters);
}
#endif

double fma_loop_scalar(long iters, float* sink) {
  float acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = static_cast<float>(i);
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = acc[i] * 0.999999f + 1e-6f;
  *sink = acc[0] + acc[11];
  return 2.0 * 12 * static_cast<double>(iters);
}

using FmaLoop = double (*)(long, float*);

FmaLoop pick_loop(std::string* isa) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return *isa = "avx512f", fma_loop_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return *isa = "avx2+fma", fma_loop_avx2;
#endif
  *isa = "scalar";
  return fma_loop_scalar;
}

// GFLOP/s of `threads` threads each running the loop at once; best of 3 rounds.
double run_loops(FmaLoop loop, int threads) {
  constexpr long kIters = 4'000'000;
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    std::vector<double> flops(threads);
    std::vector<float> sink(threads);
    std::atomic<int> ready{0};
    const auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        ++ready;
        while (ready.load() < threads) {
        }
        flops[t] = loop(kIters, &sink[t]);
      });
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    double total = 0;
    for (double f : flops) total += f;
    best = std::max(best, total / s / 1e9);
  }
  return best;
}

// GFLOP/s of one shape through one library, best of 5 rounds of enough calls for ~20 ms.
double gemm_gflops(GemmLibrary lib, bool trans_a, int m, int n, int k) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> a(static_cast<size_t>(m) * k), b(static_cast<size_t>(k) * n),
      c(static_cast<size_t>(m) * n);
  for (float& v : a) v = u(rng);
  for (float& v : b) v = u(rng);
  const int lda = trans_a ? m : k;
  if (!gemm_with(lib, trans_a, m, n, k, a.data(), lda, b.data(), n, 0.f, c.data(), n)) return 0;
  const double flop = 2.0 * m * n * k;
  const int calls = std::max(1, static_cast<int>(2e8 / flop));  // ~20 ms at 10 GFLOP/s
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = Clock::now();
    for (int i = 0; i < calls; ++i)
      gemm_with(lib, trans_a, m, n, k, a.data(), lda, b.data(), n, 0.f, c.data(), n);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, flop * calls / s / 1e9);
  }
  return best;
}

}  // namespace

FmaPeak measure_fma_peak(int threads) {
  SENTI_CHECK(threads >= 1, "measure_fma_peak needs threads >= 1, got ", threads);
  FmaPeak p;
  const FmaLoop loop = pick_loop(&p.isa);
  p.threads = threads;
  p.gflops_per_thread = run_loops(loop, 1);
  p.gflops_all = threads == 1 ? p.gflops_per_thread : run_loops(loop, threads);
  return p;
}

std::vector<GemmRate> measure_gemm_rates(int batch, int embed, int hidden) {
  const int G = 4 * hidden, group = std::min(batch, LstmCpu::kSamplesPerGroup);
  struct Shape {
    std::string name;
    bool trans_a;
    int m, n, k;
  };
  const Shape shapes[] = {
      {"recurrence h·R", false, group, G, hidden},
      {"backward dZ·R^T", false, group, hidden, G},
      {"input projection X·W", false, LstmCpu::kSlotRowsPerChunk, G, embed},
      {"dR block h^T·dZ", true, hidden, std::min(G, LstmCpu::kGateColumnsPerChunk),
       LstmCpu::kRowsPerGemmBlock},
      {"slot gradients S·W^T", false, LstmCpu::kSlotRowsPerChunk, embed, G},
  };
  std::vector<GemmRate> out;
  for (const Shape& s : shapes) {
    GemmRate r;
    r.shape = s.name + " " + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
              std::to_string(s.k);
    r.openblas_gflops = gemm_gflops(GemmLibrary::OpenBlas, s.trans_a, s.m, s.n, s.k);
    r.libxsmm_gflops = gemm_gflops(GemmLibrary::Libxsmm, s.trans_a, s.m, s.n, s.k);
    out.push_back(r);
  }
  return out;
}

double lstm_step_model_flops(int batch, int maxlen, int embed, int hidden, int directions) {
  const double per_position = 2.0 * (embed + hidden) * 4.0 * hidden;
  return 3.0 * per_position * batch * maxlen * directions;
}

}  // namespace senti::cpu
