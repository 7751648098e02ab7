// Deterministic embedding backward: stable radix sort of (id, row) pairs, per-chunk run sums, then a
// fixed-order combination of the chunk pieces of each id. See embedding_backward.cuh.
#include "kernels/embedding_backward.cuh"

#include "kernels/common/error.h"
#include "kernels/launch.cuh"
#include "kernels/libs/sort_pairs.h"
#include "kernels/workspace.h"

namespace senti::kernels {
namespace {

constexpr int kChunk = 32;      // sorted rows summed sequentially by one lane
constexpr int kLanes = 32;      // lanes over E
constexpr int kRowsPerBlock = 4;

struct Scratch {  // carved out of the caller's workspace, in this order
  uint32_t* keys_in;
  uint32_t* keys_out;
  int32_t* rows_in;
  int32_t* rows_out;
  float* partial;  // [N, E]: the sum of a piece, stored at the piece's first sorted index
  void* sort_temp;
  size_t sort_bytes;
};

Scratch carve(void* ws, int64_t n, int E) {
  char* p = static_cast<char*>(ws);
  Scratch s{};
  const size_t ints = align256(sizeof(int32_t) * n);
  s.keys_in = reinterpret_cast<uint32_t*>(p);  p += ints;
  s.keys_out = reinterpret_cast<uint32_t*>(p); p += ints;
  s.rows_in = reinterpret_cast<int32_t*>(p);  p += ints;
  s.rows_out = reinterpret_cast<int32_t*>(p); p += ints;
  s.partial = reinterpret_cast<float*>(p);    p += align256(sizeof(float) * n * E);
  s.sort_temp = p;
  s.sort_bytes = sort_pairs_temp_bytes(n);
  return s;
}

// keys = ids in (b, t) order; rows = the matching dx row t*B + b. Out-of-range ids get key V, which
// sorts after every real id and is skipped by the reduction (the caller validates ids anyway).
static __global__ void make_pairs_kernel(const int32_t* __restrict__ ids, int B, int T, int V,
                                         uint32_t* __restrict__ keys, int32_t* __restrict__ rows) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<int64_t>(B) * T) return;
  const int b = static_cast<int>(i / T), t = static_cast<int>(i % T);
  const int32_t id = ids[i];
  keys[i] = (id >= 0 && id < V) ? static_cast<uint32_t>(id) : static_cast<uint32_t>(V);
  rows[i] = t * B + b;
}

// One block row per chunk of kChunk sorted indices; lanes over E. Sums each run of equal keys inside
// the chunk in sorted order and stores it at the run's first index.
static __global__ void chunk_sums_kernel(const uint32_t* __restrict__ keys,
                                         const int32_t* __restrict__ rows, int64_t n, int E,
                                         const float* __restrict__ dx, float* __restrict__ partial) {
  const int64_t chunk = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.y;
  const int64_t begin = chunk * kChunk;
  if (begin >= n) return;
  const int64_t end = min(begin + kChunk, n);
  for (int e = threadIdx.x; e < E; e += kLanes) {
    int64_t start = begin;
    float acc = 0.f;
    for (int64_t j = begin; j < end; ++j) {
      acc += dx[static_cast<int64_t>(rows[j]) * E + e];
      if (j + 1 == end || keys[j + 1] != keys[j]) {
        partial[start * E + e] = acc;
        acc = 0.f;
        start = j + 1;
      }
    }
  }
}

// One block row per sorted index; only the first index of each id works: it adds its own piece and
// the pieces that start at each later chunk boundary inside its run, in order.
static __global__ void combine_kernel(const uint32_t* __restrict__ keys, int64_t n, int V, int E,
                                      const float* __restrict__ partial, float* __restrict__ dtable) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.y;
  if (i >= n) return;
  const uint32_t key = keys[i];
  if (key >= static_cast<uint32_t>(V) || (i > 0 && keys[i - 1] == key)) return;
  for (int e = threadIdx.x; e < E; e += kLanes) {
    float acc = partial[i * E + e];
    for (int64_t p = (i / kChunk + 1) * kChunk; p < n && keys[p] == key; p += kChunk)
      acc += partial[p * E + e];
    dtable[static_cast<int64_t>(key) * E + e] = acc;
  }
}

}  // namespace

size_t embedding_backward_workspace_bytes(int64_t max_rows, int V, int E) {
  SENTI_CHECK(max_rows > 0 && V > 0 && E > 0, "embedding_backward_workspace_bytes: bad shape");
  return 4 * align256(sizeof(int32_t) * max_rows) + align256(sizeof(float) * max_rows * E) +
         align256(sort_pairs_temp_bytes(max_rows));
}

void embedding_backward(const int32_t* ids, int B, int T, const float* dx, int V, int E,
                        float* dtable, void* workspace, size_t workspace_bytes,
                        cudaStream_t stream) {
  SENTI_CHECK(B > 0 && T > 0 && V > 0 && E > 0, "embedding_backward: bad shape B=", B, " T=", T,
              " V=", V, " E=", E);
  SENTI_CHECK(ids && dx && dtable && workspace, "embedding_backward: null pointer");
  SENTI_CHECK(V < INT32_MAX && static_cast<int64_t>(T) * B < INT32_MAX,
              "embedding_backward: sizes exceed int32");
  const int64_t n = static_cast<int64_t>(B) * T;
  const size_t need = embedding_backward_workspace_bytes(n, V, E);
  SENTI_CHECK(workspace_bytes >= need, "embedding_backward: workspace ", workspace_bytes,
              " bytes < ", need);
  Scratch s = carve(workspace, n, E);

  SENTI_CUDA_CHECK(cudaMemsetAsync(dtable, 0, sizeof(float) * static_cast<size_t>(V) * E, stream));
  launch(make_pairs_kernel, (n + 255) / 256, 256, 0, stream, ids, B, T, V, s.keys_in, s.rows_in);
  // Stable LSD radix sort over the bits of [0, V] (V itself marks bad ids).
  sort_pairs(s.sort_temp, s.sort_bytes, s.keys_in, s.keys_out, s.rows_in, s.rows_out, n,
             sort_key_bits(V + 1), stream);
  const dim3 block(kLanes, kRowsPerBlock);
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  launch(chunk_sums_kernel, (chunks + kRowsPerBlock - 1) / kRowsPerBlock, block, 0, stream,
         s.keys_out, s.rows_out, n, E, dx, s.partial);
  launch(combine_kernel, (n + kRowsPerBlock - 1) / kRowsPerBlock, block, 0, stream, s.keys_out, n,
         V, E, s.partial, dtable);
}

}  // namespace senti::kernels
