// In-place dropout masks keyed like the CPU backend's. See dropout.cuh.
#include "kernels/dropout.cuh"

#include "kernels/common/error.h"
#include "kernels/common/math/dropout.h"
#include "kernels/common/math/sequence.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 4096;

int blocks_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<int>(b < kMaxBlocks ? (b > 0 ? b : 1) : kMaxBlocks);
}

// Element i of x [T, B, E]; the key is recomputed per element (a few integer hashes, cheaper than
// a pass to store the masks).
static __global__ void __launch_bounds__(kThreads)
embedding_dropout_kernel(float* __restrict__ x, int B, int T, int E,
                         const int32_t* __restrict__ lengths, bool pre, bool spatial, uint64_t seed,
                         const int64_t* __restrict__ step_ptr, uint64_t first_row,
                         uint32_t threshold, float keep) {
  const uint64_t step = static_cast<uint64_t>(*step_ptr);
  const int64_t n = static_cast<int64_t>(T) * B * E;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = i / E;
    const int e = static_cast<int>(i % E);
    const int t = static_cast<int>(row / B), b = static_cast<int>(row % B);
    int len = lengths ? lengths[b] : T;
    len = len < 0 ? 0 : (len > T ? T : len);
    const int k = t - math::real_token_position(0, len, T, pre);  // real-token index
    if (k < 0 || k >= len) continue;                               // padding: not read
    const uint64_t r = first_row + static_cast<uint64_t>(b);  // the global row
    const uint64_t key =
        spatial ? math::dropout_row_key(seed, step, math::kDropoutSpatial, r)
                : math::dropout_row_key(seed, step, math::kDropoutEmbedding,
                                        (r << 32) | static_cast<uint64_t>(k));
    x[i] *= math::dropout_factor(key, static_cast<uint32_t>(e), threshold, keep);
  }
}

static __global__ void __launch_bounds__(kThreads)
feature_dropout_kernel(float* __restrict__ f, int B, int F, uint64_t seed,
                       const int64_t* __restrict__ step_ptr, uint64_t first_row,
                       uint32_t threshold, float keep) {
  const uint64_t step = static_cast<uint64_t>(*step_ptr);
  const int64_t n = static_cast<int64_t>(B) * F;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint64_t r = first_row + static_cast<uint64_t>(i / F);  // the global row
    const uint64_t key = math::dropout_row_key(seed, step, math::kDropoutDense, r);
    f[i] *= math::dropout_factor(key, static_cast<uint32_t>(i % F), threshold, keep);
  }
}

void check_key(const DropoutKey& key, const char* what) {
  SENTI_CHECK(key.step != nullptr, what, ": no device step counter");
  SENTI_CHECK(key.rate > 0.f && key.rate < 1.f, what, ": rate ", key.rate, " outside (0, 1)");
}

}  // namespace

void embedding_dropout(float* x, int B, int T, int E, const int32_t* lengths, Padding padding,
                       bool spatial, const DropoutKey& key, cudaStream_t stream) {
  check_key(key, "embedding_dropout");
  SENTI_CHECK(x && B >= 1 && T >= 1 && E >= 1, "embedding_dropout: bad arguments B=", B, " T=", T,
              " E=", E);
  launch(embedding_dropout_kernel, blocks_for(int64_t{T} * B * E), kThreads, 0, stream, x, B, T, E,
         lengths, padding == Padding::Pre, spatial, key.seed, key.step, key.first_row,
         math::dropout_threshold(key.rate), math::dropout_keep_scale(key.rate));
}

void feature_dropout(float* f, int B, int F, const DropoutKey& key, cudaStream_t stream) {
  check_key(key, "feature_dropout");
  SENTI_CHECK(f && B >= 1 && F >= 1, "feature_dropout: bad arguments B=", B, " F=", F);
  launch(feature_dropout_kernel, blocks_for(int64_t{B} * F), kThreads, 0, stream, f, B, F, key.seed,
         key.step, key.first_row, math::dropout_threshold(key.rate),
         math::dropout_keep_scale(key.rate));
}

}  // namespace senti::kernels
