// Fused Dense(K) + softmax / multi-label loss, forward and backward, with on-device metrics. See
// dense_softmax_ce.cuh.
#include "kernels/dense_softmax_ce.cuh"

#include <cmath>

#include "kernels/block_sum.cuh"
#include "kernels/common/error.h"
#include "kernels/common/math/activations.h"
#include "kernels/common/math/head.h"
#include "kernels/launch.cuh"
#include "kernels/workspace.h"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kTile = 16;  // the products' tiles: kTile x kTile outputs a block, one a thread

// C (M, N) = A (M, I) · Bm (I, N) [+ bias (N)] [+ extra (M, N)], C row-major. A's element (m, i) is
// at a[m·a_m + i·a_i], Bm's (i, n) at bm[i·b_i + n·b_n]: the three products of the head are one
// kernel with different strides. Each thread owns one output and adds its I products in order
// (fmaf), so the result does not depend on the tiling or the schedule. Tiles are loaded along the
// operand's contiguous index (coalesced whichever way the operand is stored).
static __global__ void __launch_bounds__(kTile * kTile)
head_product_kernel(int M, int N, int I, const float* __restrict__ a, int64_t a_m, int64_t a_i,
                    const float* __restrict__ bm, int64_t b_i, int64_t b_n,
                    const float* __restrict__ bias, const float* __restrict__ extra,
                    float* __restrict__ c) {
  __shared__ float as[kTile][kTile + 1];  // as[r][k] = A(m0 + r, i0 + k)
  __shared__ float bs[kTile][kTile + 1];  // bs[k][col] = Bm(i0 + k, n0 + col)
  const int tx = static_cast<int>(threadIdx.x) % kTile, ty = static_cast<int>(threadIdx.x) / kTile;
  const int m0 = blockIdx.y * kTile, n0 = blockIdx.x * kTile;
  const bool a_rows_contiguous = a_m == 1 && a_i != 1;  // load A with tx along m
  const bool b_rows_contiguous = b_i == 1 && b_n != 1;  // load Bm with tx along i
  float acc = 0.f;
  for (int i0 = 0; i0 < I; i0 += kTile) {
    {
      const int r = a_rows_contiguous ? tx : ty, k = a_rows_contiguous ? ty : tx;
      const int m = m0 + r, i = i0 + k;
      as[r][k] = m < M && i < I ? a[m * a_m + i * a_i] : 0.f;
    }
    {
      const int k = b_rows_contiguous ? tx : ty, col = b_rows_contiguous ? ty : tx;
      const int i = i0 + k, n = n0 + col;
      bs[k][col] = i < I && n < N ? bm[i * b_i + n * b_n] : 0.f;
    }
    __syncthreads();
    const int len = min(kTile, I - i0);
    for (int k = 0; k < len; ++k) acc = fmaf(as[ty][k], bs[k][tx], acc);
    __syncthreads();
  }
  const int m = m0 + ty, n = n0 + tx;
  if (m >= M || n >= N) return;
  float v = acc;
  if (bias) v += bias[n];  // (h·w + bias) + the n-gram part, as the CPU adds them
  const int64_t at = static_cast<int64_t>(m) * N + n;
  if (extra) v += extra[at];
  c[at] = v;
}

// One block per row: the row's maximum (the first one: numpy.argmax), the sum of exponentials,
// the weighted cross-entropy and the verdict, then the probabilities and dL/dz. dz may be the
// logits buffer itself (each element is read, then written, by the same thread; z_y is read before
// the barrier that precedes the writes).
static __global__ void __launch_bounds__(kThreads)
softmax_rows_kernel(const float* logits, int K, int N, const float* __restrict__ labels,
                    const float* __restrict__ class_weights, float* __restrict__ probs, float* dz,
                    double* __restrict__ row_loss, int* __restrict__ row_correct) {
  __shared__ float best_v[kThreads];
  __shared__ int best_i[kThreads];
  __shared__ double scratch[kThreads];
  const int b = blockIdx.x, tid = threadIdx.x;
  const float* z = logits + static_cast<int64_t>(b) * K;
  float v = 0.f;
  int i = -1;  // no element yet
  for (int k = tid; k < K; k += kThreads)
    if (i < 0 || z[k] > v) v = z[k], i = k;
  best_v[tid] = v;
  best_i[tid] = i;
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if (tid < s) {
      const float ov = best_v[tid + s];
      const int oi = best_i[tid + s], mi = best_i[tid];
      if (oi >= 0 && (mi < 0 || ov > best_v[tid] || (ov == best_v[tid] && oi < mi)))
        best_v[tid] = ov, best_i[tid] = oi;
    }
    __syncthreads();
  }
  const int arg = best_i[0];
  const float m = best_v[0];
  double part = 0.0;
  for (int k = tid; k < K; k += kThreads) part += math::softmax_exp(z[k], m);
  const float sum = static_cast<float>(block_sum<kThreads>(part, scratch));
  const int y = math::class_of_label(labels[b]);
  const bool valid = y >= 0 && y < K;
  const float w = valid && class_weights ? class_weights[y] : 1.f;
  if (tid == 0) {
    row_loss[b] = valid ? static_cast<double>(w) * math::softmax_ce(z[y], m, sum) : nan("");
    row_correct[b] = arg == y ? 1 : 0;
  }
  __syncthreads();
  for (int k = tid; k < K; k += kThreads) {
    const float p = math::softmax_prob(z[k], m, sum);
    const int64_t at = static_cast<int64_t>(b) * K + k;
    if (probs) probs[at] = p;
    if (dz) dz[at] = math::softmax_ce_grad(p, k == y, w, N);  // of the N-row mean
  }
}

// One block per row of K labels: the mean BCE over the labels, whether every label is right, the
// sigmoids and dL/dz (dz may be the logits buffer, as above).
static __global__ void __launch_bounds__(kThreads)
multi_label_rows_kernel(const float* logits, int K, int N, const float* __restrict__ labels,
                        float* __restrict__ probs, float* dz, double* __restrict__ row_loss,
                        int* __restrict__ row_correct) {
  __shared__ double scratch[kThreads];
  __shared__ int wrong_scratch[kThreads];
  const int b = blockIdx.x, tid = threadIdx.x;
  const int64_t row = static_cast<int64_t>(b) * K;
  double part = 0.0;
  int wrong = 0;
  for (int k = tid; k < K; k += kThreads) {
    const float z = logits[row + k], y = labels[row + k];
    part += math::bce_with_logit(z, y);
    wrong += 1 - math::correct_prediction(z, y);
  }
  const double loss = block_sum<kThreads>(part, scratch);
  const int wrong_total = block_sum<kThreads>(wrong, wrong_scratch);  // ends with a barrier
  if (tid == 0) {
    row_loss[b] = loss / K;
    row_correct[b] = wrong_total == 0 ? 1 : 0;
  }
  for (int k = tid; k < K; k += kThreads) {
    const float z = logits[row + k], y = labels[row + k];
    if (probs) probs[row + k] = math::sigmoid(z);
    if (dz) dz[row + k] = math::multi_label_grad(z, y, K, N);
  }
}

// One block: the batch's loss sum and right predictions added to the running metrics.
static __global__ void __launch_bounds__(kThreads)
head_metrics_kernel(const double* __restrict__ row_loss, const int* __restrict__ row_correct, int B,
                    DeviceMetrics* __restrict__ metrics) {
  __shared__ double loss_scratch[kThreads];
  __shared__ unsigned long long correct_scratch[kThreads];
  double loss = 0.0;
  unsigned long long correct = 0;
  for (int b = threadIdx.x; b < B; b += kThreads) {
    loss += row_loss[b];
    correct += static_cast<unsigned long long>(row_correct[b]);
  }
  const double loss_sum = block_sum<kThreads>(loss, loss_scratch);
  const unsigned long long correct_sum = block_sum<kThreads>(correct, correct_scratch);
  if (threadIdx.x == 0) {
    metrics->loss_sum += loss_sum;
    metrics->correct += correct_sum;
    metrics->count += static_cast<unsigned long long>(B);
  }
}

// dbias_k = Σ_b dz_bk, in batch order (the CPU's order).
static __global__ void __launch_bounds__(kThreads)
column_sums_kernel(const float* __restrict__ dz, int B, int K, float* __restrict__ dbias) {
  const int k = blockIdx.x * kThreads + threadIdx.x;
  if (k >= K) return;
  float s = 0.f;
  for (int b = 0; b < B; ++b) s += dz[static_cast<int64_t>(b) * K + k];
  dbias[k] = s;
}

int blocks_for(int64_t n, int per_block) { return static_cast<int>((n + per_block - 1) / per_block); }

void product(int M, int N, int I, const float* a, int64_t a_m, int64_t a_i, const float* bm,
             int64_t b_i, int64_t b_n, const float* bias, const float* extra, float* c,
             cudaStream_t stream) {
  const dim3 grid(blocks_for(N, kTile), blocks_for(M, kTile));
  launch(head_product_kernel, grid, kTile * kTile, 0, stream, M, N, I, a, a_m, a_i, bm, b_i, b_n,
         bias, extra, c);
}

struct Carve {
  size_t loss, correct, total;
};
Carve carve(int B, int K) {
  Carve c{};
  c.loss = align256(sizeof(float) * static_cast<size_t>(B) * static_cast<size_t>(K));
  c.correct = c.loss + align256(sizeof(double) * static_cast<size_t>(B));
  c.total = c.correct + align256(sizeof(int) * static_cast<size_t>(B));
  return c;
}

}  // namespace

size_t dense_softmax_ce_workspace_bytes(int B, int K) {
  SENTI_CHECK(B > 0 && K > 0, "dense_softmax_ce: bad shape B=", B, " K=", K);
  return carve(B, K).total;
}

void dense_softmax_ce(const DenseSoftmaxCeArgs& a, cudaStream_t stream) {
  const int B = a.B, F = a.F, K = a.K;
  SENTI_CHECK(B >= 1 && B <= kDenseSoftmaxCeMaxBatch && F >= 1 && K >= 1,
              "dense_softmax_ce: bad shape B=", B, " F=", F, " K=", K, " (B at most ",
              kDenseSoftmaxCeMaxBatch, ")");
  const int N = a.mean_rows > 0 ? a.mean_rows : B;
  SENTI_CHECK(N >= B, "dense_softmax_ce: the mean's ", N, " rows are fewer than the batch's ", B);
  SENTI_CHECK(K <= kDenseSoftmaxCeMaxClasses, "dense_softmax_ce: ", K, " classes, at most ",
              kDenseSoftmaxCeMaxClasses, " are supported");
  SENTI_CHECK(F <= 65535 * kTile, "dense_softmax_ce: ", F, " features, at most ", 65535 * kTile);
  SENTI_CHECK(a.h && a.w && a.bias && a.labels && a.metrics, "dense_softmax_ce: null input");
  SENTI_CHECK(!a.dh || (a.dw && a.dbias), "dense_softmax_ce: backward needs dh, dw and dbias");
  SENTI_CHECK(!a.class_weights || a.head == DenseHead::Softmax,
              "dense_softmax_ce: class weights are not defined for a multi-label head");
  SENTI_CHECK(a.workspace && a.workspace_bytes >= dense_softmax_ce_workspace_bytes(B, K),
              "dense_softmax_ce: workspace of ", a.workspace_bytes, " bytes, needs ",
              dense_softmax_ce_workspace_bytes(B, K));
  const Carve c = carve(B, K);
  char* base = static_cast<char*>(a.workspace);
  float* logits = reinterpret_cast<float*>(base);
  double* row_loss = reinterpret_cast<double*>(base + c.loss);
  int* row_correct = reinterpret_cast<int*>(base + c.correct);
  const bool backward = a.dh != nullptr;
  // dL/dz goes to the caller's buffer, else over the logits (the backward products read it).
  float* dz = a.dz ? a.dz : backward ? logits : nullptr;

  // z (B, K) = h (B, F) · w (F, K) + bias (+ extra).
  product(B, K, F, a.h, F, 1, a.w, K, 1, a.bias, a.extra_logits, logits, stream);
  if (a.head == DenseHead::Softmax)
    launch(softmax_rows_kernel, B, kThreads, 0, stream, logits, K, N, a.labels, a.class_weights,
           a.probs, dz, row_loss, row_correct);
  else
    launch(multi_label_rows_kernel, B, kThreads, 0, stream, logits, K, N, a.labels, a.probs, dz,
           row_loss, row_correct);
  launch(head_metrics_kernel, 1, kThreads, 0, stream, row_loss, row_correct, B, a.metrics);
  if (!backward) return;
  launch(column_sums_kernel, blocks_for(K, kThreads), kThreads, 0, stream, dz, B, K, a.dbias);
  // dh (B, F) = dz (B, K) · wᵀ: Bm(i = k, n = j) = w[j·K + k].
  product(B, F, K, dz, K, 1, a.w, 1, K, nullptr, nullptr, a.dh, stream);
  // dw (F, K) = hᵀ · dz: A(m = j, i = b) = h[b·F + j].
  product(F, K, B, a.h, 1, F, dz, K, 1, nullptr, nullptr, a.dw, stream);
}

}  // namespace senti::kernels
