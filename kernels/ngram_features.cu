// The n-gram features' collect, logits and gradient kernels. See ngram_features.cuh.
#include "kernels/ngram_features.cuh"

#include <climits>

#include "kernels/block_sum.cuh"
#include "kernels/common/error.h"
#include "kernels/common/math/ngram.h"
#include "kernels/launch.cuh"
#include "kernels/libs/sort_pairs.h"
#include "kernels/workspace.h"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int32_t kNoFeature = INT_MAX;  // sorts after every feature

// a[i] starts a run of equal features (and is one).
static __device__ bool first_of_run(const int32_t* a, int i) {
  return a[i] != kNoFeature && (i == 0 || a[i] != a[i - 1]);
}

// One block per row: the candidates (slot (n-1)·T + t: the n-gram at t, or none) -> bitonic sort
// in the scratch row -> the unique features, compacted in order into the features row.
static __global__ void __launch_bounds__(kThreads)
ngram_collect_kernel(const int32_t* __restrict__ ids, int T, int ngrams, int vocab, int buckets,
                     int capacity, int32_t* __restrict__ features, int32_t* __restrict__ scratch,
                     int32_t* __restrict__ counts) {
  __shared__ int chunk_start[kThreads];
  __shared__ int total;
  const int b = blockIdx.x;
  const int32_t* row = ids + static_cast<int64_t>(b) * T;
  int32_t* a = scratch + static_cast<int64_t>(b) * capacity;
  int32_t* out = features + static_cast<int64_t>(b) * capacity;
  for (int i = threadIdx.x; i < capacity; i += kThreads) {
    int32_t f = kNoFeature;
    if (i < ngrams * T) {
      const int32_t g = math::ngram_feature(row, T, i % T, i / T + 1, vocab, buckets);
      if (g >= 0) f = g;
    }
    a[i] = f;
  }
  __syncthreads();
  // Bitonic sort, ascending: in each stage the pair (i, i^j) belongs to the thread holding i < i^j.
  for (int k = 2; k <= capacity; k <<= 1)
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int i = threadIdx.x; i < capacity; i += kThreads) {
        const int p = i ^ j;
        if (p <= i) continue;
        const int32_t x = a[i], y = a[p];
        if ((x > y) == ((i & k) == 0)) a[i] = y, a[p] = x;
      }
      __syncthreads();
    }
  // Unique: each thread counts the runs starting in its contiguous chunk; a scan gives the chunks'
  // output positions, so the features come out in ascending order.
  const int per = (capacity + kThreads - 1) / kThreads;
  const int begin = min(static_cast<int>(threadIdx.x) * per, capacity);
  const int end = min(begin + per, capacity);
  int mine = 0;
  for (int i = begin; i < end; ++i) mine += first_of_run(a, i);
  chunk_start[threadIdx.x] = mine;
  __syncthreads();
  if (threadIdx.x == 0) {
    int sum = 0;
    for (int t = 0; t < kThreads; ++t) {
      const int c = chunk_start[t];
      chunk_start[t] = sum;
      sum += c;
    }
    total = sum;
    counts[b] = sum;
  }
  __syncthreads();
  int at = chunk_start[threadIdx.x];
  for (int i = begin; i < end; ++i)
    if (first_of_run(a, i)) out[at++] = a[i];
  for (int i = total + threadIdx.x; i < capacity; i += kThreads) out[i] = kNoFeature;
}

// One block per row: the sum of the row's n-gram weights, in a fixed tree order.
static __global__ void __launch_bounds__(kThreads)
ngram_logits_kernel(const int32_t* __restrict__ features, const int32_t* __restrict__ counts,
                    int capacity, const float* __restrict__ w, float* __restrict__ logits) {
  __shared__ float scratch[kThreads];
  const int b = blockIdx.x;
  const int32_t* r = features + static_cast<int64_t>(b) * capacity;
  float part = 0.f;
  for (int i = threadIdx.x; i < counts[b]; i += kThreads) part += w[r[i]];
  const float sum = block_sum<kThreads>(part, scratch);
  if (threadIdx.x == 0) logits[b] = sum;
}

// O > 1 outputs: a thread per (row, output) adds w[f, o] over the row's features in ascending
// order (the CPU twin's order: equal bit for bit); the threads of a block read adjacent outputs.
static __global__ void __launch_bounds__(kThreads)
ngram_logits_wide_kernel(const int32_t* __restrict__ features, const int32_t* __restrict__ counts,
                         int capacity, const float* __restrict__ w, int O,
                         float* __restrict__ logits) {
  const int b = blockIdx.y, o = blockIdx.x * kThreads + threadIdx.x;
  if (o >= O) return;
  const int32_t* r = features + static_cast<int64_t>(b) * capacity;
  float sum = 0.f;
  for (int i = 0; i < counts[b]; ++i) sum += w[static_cast<int64_t>(r[i]) * O + o];
  logits[static_cast<int64_t>(b) * O + o] = sum;
}

// The gradient's pairs: key = the feature (W for an empty slot, which sorts after every feature),
// value = its row; in (row, slot) order, so the stable sort keeps each feature's rows in batch order.
static __global__ void ngram_pairs_kernel(const int32_t* __restrict__ features, int64_t n,
                                          int capacity, uint32_t W, uint32_t* __restrict__ keys,
                                          int32_t* __restrict__ rows) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const int32_t f = features[i];
  keys[i] = f == kNoFeature ? W : static_cast<uint32_t>(f);
  rows[i] = static_cast<int32_t>(i / capacity);
}

// A thread per sorted pair: the first pair of each feature's run adds dz over the run (the rows in
// batch order) and stores it; the zeroed slots no row has stay zero.
static __global__ void ngram_run_sums_kernel(const uint32_t* __restrict__ keys,
                                             const int32_t* __restrict__ rows, int64_t n,
                                             uint32_t W, const float* __restrict__ dz,
                                             float* __restrict__ dw) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const uint32_t f = keys[i];
  if (f == W || (i > 0 && keys[i - 1] == f)) return;
  float sum = 0.f;
  for (int64_t j = i; j < n && keys[j] == f; ++j) sum += dz[rows[j]];
  dw[f] = sum;
}

// O > 1 outputs: a block per kPairsPerBlock sorted pairs; for each pair that starts a feature's
// run, the block's threads take the outputs o (adjacent threads, adjacent o) and add dz[row, o]
// over the run in batch order, as the O = 1 kernel does for its one output.
constexpr int kPairsPerBlock = 32;
static __global__ void __launch_bounds__(kThreads)
ngram_run_sums_wide_kernel(const uint32_t* __restrict__ keys, const int32_t* __restrict__ rows,
                           int64_t n, uint32_t W, const float* __restrict__ dz, int O,
                           float* __restrict__ dw) {
  const int64_t first = static_cast<int64_t>(blockIdx.x) * kPairsPerBlock;
  for (int64_t i = first; i < n && i < first + kPairsPerBlock; ++i) {
    const uint32_t f = keys[i];
    if (f == W || (i > 0 && keys[i - 1] == f)) continue;  // the same for every thread
    for (int o = threadIdx.x; o < O; o += kThreads) {
      float sum = 0.f;
      for (int64_t j = i; j < n && keys[j] == f; ++j) sum += dz[static_cast<int64_t>(rows[j]) * O + o];
      dw[static_cast<int64_t>(f) * O + o] = sum;
    }
  }
}

void check_rows(const NgramRows& rows) {
  SENTI_CHECK(rows.B > 0 && rows.capacity > 0 && (rows.capacity & (rows.capacity - 1)) == 0,
              "ngram: bad rows B=", rows.B, " capacity=", rows.capacity);
  SENTI_CHECK(rows.features && rows.scratch && rows.keys_out && rows.rows_in && rows.rows_out &&
                  rows.counts && rows.sort_temp,
              "ngram: null workspace");
}

}  // namespace

int ngram_row_capacity(int T, int ngrams) {
  SENTI_CHECK(T > 0 && ngrams >= 1 && ngrams <= math::kMaxNgram, "ngram: bad shape T=", T,
              " ngrams=", ngrams);
  SENTI_CHECK(static_cast<int64_t>(T) * ngrams <= (int64_t{1} << 29), "ngram: rows of ", T,
              " ids are too long");
  int c = 1;
  while (c < T * ngrams) c <<= 1;
  return c;
}

namespace {

// The workspace's pieces, in bytes from its start (each on a 256-byte boundary).
struct Carve {
  size_t plane, counts, temp, temp_bytes, total;
};
Carve carve(int B, int capacity) {
  Carve c{};
  const int64_t n = static_cast<int64_t>(B) * capacity;
  c.plane = align256(sizeof(int32_t) * static_cast<size_t>(n));
  c.counts = 5 * c.plane;
  c.temp = c.counts + align256(sizeof(int32_t) * static_cast<size_t>(B));
  c.temp_bytes = sort_pairs_temp_bytes(n);
  c.total = c.temp + align256(c.temp_bytes);
  return c;
}

}  // namespace

size_t ngram_workspace_ints(int B, int T, int ngrams) {
  SENTI_CHECK(B > 0, "ngram: bad batch ", B);
  return carve(B, ngram_row_capacity(T, ngrams)).total / sizeof(int32_t);
}

NgramRows ngram_rows(int32_t* workspace, size_t workspace_ints, int B, int T, int ngrams) {
  const size_t need = ngram_workspace_ints(B, T, ngrams);
  SENTI_CHECK(workspace && workspace_ints >= need, "ngram: workspace of ", workspace_ints,
              " ints, needs ", need);
  NgramRows r;
  r.B = B;
  r.capacity = ngram_row_capacity(T, ngrams);
  const Carve c = carve(B, r.capacity);
  char* base = reinterpret_cast<char*>(workspace);
  r.features = reinterpret_cast<int32_t*>(base);
  r.scratch = reinterpret_cast<int32_t*>(base + c.plane);
  r.keys_out = reinterpret_cast<uint32_t*>(base + 2 * c.plane);
  r.rows_in = reinterpret_cast<int32_t*>(base + 3 * c.plane);
  r.rows_out = reinterpret_cast<int32_t*>(base + 4 * c.plane);
  r.counts = reinterpret_cast<int32_t*>(base + c.counts);
  r.sort_temp = base + c.temp;
  r.sort_bytes = c.temp_bytes;
  return r;
}

void ngram_collect(const int32_t* ids, int T, int ngrams, int vocab, int buckets,
                   const NgramRows& rows, cudaStream_t stream) {
  check_rows(rows);
  SENTI_CHECK(ids && vocab > 0 && buckets > 0 && rows.capacity == ngram_row_capacity(T, ngrams),
              "ngram_collect: bad arguments T=", T, " ngrams=", ngrams, " vocab=", vocab,
              " buckets=", buckets, " capacity=", rows.capacity);
  launch(ngram_collect_kernel, rows.B, kThreads, 0, stream, ids, T, ngrams, vocab, buckets,
         rows.capacity, rows.features, rows.scratch, rows.counts);
}

void ngram_logits(const NgramRows& rows, const float* w, int outputs, float* logits,
                  cudaStream_t stream) {
  check_rows(rows);
  SENTI_CHECK(w && logits && outputs >= 1, "ngram_logits: bad arguments outputs=", outputs);
  if (outputs == 1) {
    launch(ngram_logits_kernel, rows.B, kThreads, 0, stream, rows.features, rows.counts,
           rows.capacity, w, logits);
    return;
  }
  SENTI_CHECK(rows.B <= 65535, "ngram_logits: ", rows.B, " rows, at most 65535 with ", outputs,
              " outputs");
  const dim3 grid((outputs + kThreads - 1) / kThreads, rows.B);
  launch(ngram_logits_wide_kernel, grid, kThreads, 0, stream, rows.features, rows.counts,
         rows.capacity, w, outputs, logits);
}

void ngram_gradient(const NgramRows& rows, const float* dz, int outputs, float* dw, int64_t W,
                    cudaStream_t stream) {
  check_rows(rows);
  SENTI_CHECK(dz && dw && W > 0 && W < INT32_MAX && outputs >= 1,
              "ngram_gradient: bad arguments W=", W, " outputs=", outputs);
  const int64_t n = static_cast<int64_t>(rows.B) * rows.capacity;
  const uint32_t empty = static_cast<uint32_t>(W);
  uint32_t* keys_in = reinterpret_cast<uint32_t*>(rows.scratch);  // collect is done with it
  SENTI_CUDA_CHECK(cudaMemsetAsync(
      dw, 0, static_cast<size_t>(W) * static_cast<size_t>(outputs) * sizeof(float), stream));
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  launch(ngram_pairs_kernel, blocks, kThreads, 0, stream, rows.features, n, rows.capacity, empty,
         keys_in, rows.rows_in);
  sort_pairs(rows.sort_temp, rows.sort_bytes, keys_in, rows.keys_out, rows.rows_in, rows.rows_out,
             n, sort_key_bits(W + 1), stream);
  if (outputs == 1) {
    launch(ngram_run_sums_kernel, blocks, kThreads, 0, stream, rows.keys_out, rows.rows_out, n,
           empty, dz, dw);
    return;
  }
  launch(ngram_run_sums_wide_kernel, (n + kPairsPerBlock - 1) / kPairsPerBlock, kThreads, 0,
         stream, rows.keys_out, rows.rows_out, n, empty, dz, outputs, dw);
}

}  // namespace senti::kernels
