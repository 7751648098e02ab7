#pragma once
// Helpers for the CUDA suite: the GPU-present guard, device round trips, seeded random data and the
// llm.c-style closeness check |ref - got| <= atol + rtol * |ref| that reports the worst element.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/cuda/cuda_backend.h"
#include "engine/params.h"
#include "engine/cuda/device_buffer.h"

// First statement of every GPU test: skips with the reason when no device is usable.
#define SENTI_REQUIRE_GPU()                                                 \
  do {                                                                      \
    std::string senti_why_;                                                 \
    if (!::senti::cuda_device_present(&senti_why_))                         \
      GTEST_SKIP() << "no CUDA device: " << senti_why_;                     \
  } while (0)

namespace senti::test {

template <typename T>
cuda::DeviceBuffer<T> to_device(const std::vector<T>& host) {
  cuda::DeviceBuffer<T> d(host.size());
  if (!host.empty())
    SENTI_CUDA_CHECK(cudaMemcpy(d.get(), host.data(), d.bytes(), cudaMemcpyHostToDevice));
  // A pageable cudaMemcpy may return before its DMA lands, and the code under test runs on
  // non-blocking streams that do not wait for the legacy stream: wait here.
  SENTI_CUDA_CHECK(cudaDeviceSynchronize());
  return d;
}

template <typename T>
std::vector<T> to_host(const T* device, size_t count) {
  SENTI_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<T> host(count);
  if (count)
    SENTI_CUDA_CHECK(cudaMemcpy(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost));
  return host;
}

template <typename T>
std::vector<T> to_host(const cuda::DeviceBuffer<T>& d) {
  return to_host(d.get(), d.size());
}

inline std::vector<float> random_floats(size_t n, float lo, float hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// Where |ref - got| > atol + rtol*|ref|: the count and the worst offender, as a gtest assertion.
inline ::testing::AssertionResult all_close(const float* ref, const float* got, size_t n,
                                            double atol, double rtol,
                                            const std::string& what = "") {
  size_t bad = 0, worst = 0;
  double worst_excess = -1;
  for (size_t i = 0; i < n; ++i) {
    const double d = std::fabs(static_cast<double>(ref[i]) - got[i]);
    const double lim = atol + rtol * std::fabs(static_cast<double>(ref[i]));
    if (!(d <= lim)) {  // NaN counts as bad
      ++bad;
      const double excess = std::isnan(d) ? 1e300 : d - lim;
      if (excess > worst_excess) worst_excess = excess, worst = i;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << ": " << bad << " of " << n << " elements differ (atol " << atol << ", rtol "
         << rtol << "); worst at " << worst << ": ref " << ref[worst] << " got " << got[worst];
}

inline ::testing::AssertionResult all_close(const std::vector<float>& ref,
                                            const std::vector<float>& got, double atol,
                                            double rtol, const std::string& what = "") {
  if (ref.size() != got.size())
    return ::testing::AssertionFailure() << what << ": sizes " << ref.size() << " vs " << got.size();
  return all_close(ref.data(), got.data(), ref.size(), atol, rtol, what);
}

inline float max_abs(const float* p, size_t n) {
  float m = 0.f;
  for (size_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(p[i]));
  return m;
}

// Per tensor of the layout, by name: |ref - got| <= 1e-4·max|ref tensor| + 2e-3·|ref|, and the
// reference gradient not zero (a tensor the case never reaches would compare nothing).
inline void expect_grads_close(const ParamLayout& L, const std::vector<float>& ref,
                               const std::vector<float>& got, const std::string& what) {
  for (const TensorInfo& t : L.tensors()) {
    const float scale = max_abs(ref.data() + t.offset, t.size);
    EXPECT_GT(scale, 0.f) << what << " " << t.name << ": the reference gradient is zero";
    EXPECT_TRUE(all_close(ref.data() + t.offset, got.data() + t.offset, t.size, 1e-4 * scale + 1e-9,
                          2e-3, what + " " + t.name));
  }
}

}  // namespace senti::test
