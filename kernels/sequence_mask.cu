// Zeroing of padded positions. See sequence_mask.cuh.
#include "kernels/sequence_mask.cuh"

#include "kernels/common/error.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;

// One block per (position t, row b) pair in blockIdx.x = t*B + b; its threads stride over width.
static __global__ void __launch_bounds__(kThreads)
zero_padded_kernel(float* __restrict__ buf, int B, int T, int width,
                   const int32_t* __restrict__ lengths, bool pre) {
  const int64_t tb = blockIdx.x;
  const int t = static_cast<int>(tb / B), b = static_cast<int>(tb % B);
  int len = lengths[b];
  len = len < 0 ? 0 : (len > T ? T : len);
  const bool padded = pre ? t < T - len : t >= len;
  if (!padded) return;
  float* row = buf + tb * width;
  for (int e = threadIdx.x; e < width; e += kThreads) row[e] = 0.f;
}

}  // namespace

void zero_padded_positions(float* buf, int B, int T, int width, const int32_t* lengths,
                           Padding padding, cudaStream_t stream) {
  SENTI_CHECK(buf && lengths && B >= 1 && T >= 1 && width >= 1,
              "zero_padded_positions: bad arguments (B=", B, " T=", T, " width=", width, ")");
  const int64_t rows = static_cast<int64_t>(B) * T;
  launch(zero_padded_kernel, rows, kThreads, 0, stream, buf, B, T, width, lengths,
         padding == Padding::Pre);
}

}  // namespace senti::kernels
