// The n-gram features' collect, logits and gradient kernels. See ngram_features.cuh.
#include "kernels/ngram_features.cuh"

#include <climits>

#include "kernels/block_sum.cuh"
#include "kernels/common/error.h"
#include "kernels/common/math/ngram.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int32_t kNoFeature = INT_MAX;  // sorts after every feature

// Whether the sorted list r[0, n) holds f.
static __device__ bool sorted_holds(const int32_t* r, int n, int32_t f) {
  int lo = 0, hi = n;
  while (lo < hi) {
    const int mid = (lo + hi) >> 1;
    if (r[mid] < f) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && r[lo] == f;
}

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

// One block per row b, a thread per feature f of S_b: when no earlier row holds f, b owns it and
// writes dz summed over the rows holding f in batch order (the zeroed slots stay zero).
static __global__ void __launch_bounds__(kThreads)
ngram_gradient_kernel(const int32_t* __restrict__ features, const int32_t* __restrict__ counts,
                      int B, int capacity, const float* __restrict__ dz, float* __restrict__ dw) {
  const int b = blockIdx.x;
  const int32_t* r = features + static_cast<int64_t>(b) * capacity;
  for (int i = threadIdx.x; i < counts[b]; i += kThreads) {
    const int32_t f = r[i];
    bool owner = true;
    for (int o = 0; o < b && owner; ++o)
      owner = !sorted_holds(features + static_cast<int64_t>(o) * capacity, counts[o], f);
    if (!owner) continue;
    float sum = dz[b];
    for (int o = b + 1; o < B; ++o)
      if (sorted_holds(features + static_cast<int64_t>(o) * capacity, counts[o], f)) sum += dz[o];
    dw[f] = sum;
  }
}

void check_rows(const NgramRows& rows) {
  SENTI_CHECK(rows.B > 0 && rows.capacity > 0 && (rows.capacity & (rows.capacity - 1)) == 0,
              "ngram: bad rows B=", rows.B, " capacity=", rows.capacity);
  SENTI_CHECK(rows.features && rows.scratch && rows.counts, "ngram: null workspace");
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

size_t ngram_workspace_ints(int B, int T, int ngrams) {
  SENTI_CHECK(B > 0, "ngram: bad batch ", B);
  return 2 * static_cast<size_t>(B) * ngram_row_capacity(T, ngrams) + static_cast<size_t>(B);
}

NgramRows ngram_rows(int32_t* workspace, size_t workspace_ints, int B, int T, int ngrams) {
  const size_t need = ngram_workspace_ints(B, T, ngrams);
  SENTI_CHECK(workspace && workspace_ints >= need, "ngram: workspace of ", workspace_ints,
              " ints, needs ", need);
  NgramRows r;
  r.B = B;
  r.capacity = ngram_row_capacity(T, ngrams);
  const size_t plane = static_cast<size_t>(B) * r.capacity;
  r.features = workspace;
  r.scratch = workspace + plane;
  r.counts = workspace + 2 * plane;
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

void ngram_logits(const NgramRows& rows, const float* w, float* logits, cudaStream_t stream) {
  check_rows(rows);
  SENTI_CHECK(w && logits, "ngram_logits: null argument");
  launch(ngram_logits_kernel, rows.B, kThreads, 0, stream, rows.features, rows.counts,
         rows.capacity, w, logits);
}

void ngram_gradient(const NgramRows& rows, const float* dz, float* dw, int64_t W,
                    cudaStream_t stream) {
  check_rows(rows);
  SENTI_CHECK(dz && dw && W > 0, "ngram_gradient: bad arguments W=", W);
  SENTI_CUDA_CHECK(cudaMemsetAsync(dw, 0, static_cast<size_t>(W) * sizeof(float), stream));
  launch(ngram_gradient_kernel, rows.B, kThreads, 0, stream, rows.features, rows.counts, rows.B,
         rows.capacity, dz, dw);
}

}  // namespace senti::kernels
