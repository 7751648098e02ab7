// Embedding gather into the sequence-major layout cuDNN reads. One thread block row per (t, b)
// output row; threads stride over E with float4 loads when E allows it.
#include "kernels/embedding_forward.cuh"

#include "kernels/common/error.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kThreadsX = 32;  // lanes over E
constexpr int kRowsPerBlock = 8;

// grid.x covers the T*B output rows, kRowsPerBlock rows a block; lanes stride over E.
template <bool kVec4>
static __global__ void embedding_forward_kernel(const int32_t* __restrict__ ids, int B, int T,
                                                const float* __restrict__ table, int V, int E,
                                                float* __restrict__ x) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.y;  // t*B + b
  const int64_t rows = static_cast<int64_t>(T) * B;
  if (row >= rows) return;
  const int t = static_cast<int>(row / B);
  const int b = static_cast<int>(row % B);
  const int32_t id = ids[static_cast<int64_t>(b) * T + t];
  float* dst = x + row * E;
  const bool valid = id >= 0 && id < V;
  if (kVec4) {
    const int E4 = E / 4;
    float4* d4 = reinterpret_cast<float4*>(dst);
    const float4* s4 = reinterpret_cast<const float4*>(table + static_cast<int64_t>(valid ? id : 0) * E);
    for (int e = threadIdx.x; e < E4; e += kThreadsX)
      d4[e] = valid ? s4[e] : make_float4(0.f, 0.f, 0.f, 0.f);
  } else {
    const float* src = table + static_cast<int64_t>(valid ? id : 0) * E;
    for (int e = threadIdx.x; e < E; e += kThreadsX) dst[e] = valid ? src[e] : 0.f;
  }
}

void launch_embedding_forward(const int32_t* ids, int B, int T, const float* table, int V, int E,
                              float* x, cudaStream_t stream) {
  const int64_t rows = static_cast<int64_t>(T) * B;
  const dim3 block(kThreadsX, kRowsPerBlock);
  const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  const bool vec4 = E % 4 == 0 && reinterpret_cast<uintptr_t>(table) % 16 == 0 &&
                    reinterpret_cast<uintptr_t>(x) % 16 == 0;
  launch(vec4 ? embedding_forward_kernel<true> : embedding_forward_kernel<false>, blocks, block, 0,
         stream, ids, B, T, table, V, E, x);
}

}  // namespace

void embedding_forward(const int32_t* ids, int B, int T, const float* table, int V, int E, float* x,
                       cudaStream_t stream) {
  SENTI_CHECK(B > 0 && T > 0 && V > 0 && E > 0, "embedding_forward: bad shape B=", B, " T=", T,
              " V=", V, " E=", E);
  SENTI_CHECK(static_cast<int64_t>(T) * B <= int64_t{0x7fffffff} * kRowsPerBlock,
              "embedding_forward: too many rows for one grid (", int64_t{T} * B, ")");
  SENTI_CHECK(ids && table && x, "embedding_forward: null pointer");
  launch_embedding_forward(ids, B, T, table, V, E, x, stream);
}

}  // namespace senti::kernels
