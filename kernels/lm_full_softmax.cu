// The language model's full softmax (evaluation). See lm_full_softmax.cuh.
#include "kernels/lm_full_softmax.cuh"

#include <math.h>

#include "kernels/common/error.h"
#include "kernels/launch.cuh"
#include "kernels/lm_rows.cuh"
#include "kernels/workspace.h"

namespace senti::kernels {
namespace {

constexpr int kThreads = 128;

// kRows rows a block (those with a target): each column of W is read once for all of them (one
// row a block read all of W, 2.5 MB at H 64, V 10,000, for every token). Per row as before: the
// dots over h in order, per thread a running maximum (first index) and Σ exp in double over the
// thread's ids, combined in thread order by thread r for row r.
template <int kRows>
static __global__ void __launch_bounds__(kThreads)
lm_full_rows_kernel(int64_t M, int64_t N, int H, int V, const float* __restrict__ x, int64_t ldx,
                    const int32_t* __restrict__ targets, const float* __restrict__ w,
                    const float* __restrict__ bias, double* __restrict__ row_loss,
                    int32_t* __restrict__ row_correct) {
  SENTI_DYNAMIC_SHARED(float, xs);  // (kRows, H)
  __shared__ float best_z[kRows][kThreads];
  __shared__ int best_v[kRows][kThreads];
  __shared__ double sums[kRows][kThreads];
  __shared__ float target_z[kRows];
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kRows;
  int32_t t[kRows];
  bool any = false;
  SENTI_UNROLL
  for (int r = 0; r < kRows; ++r) {
    t[r] = n0 + r < N ? targets[n0 + r] : -1;
    any = any || t[r] >= 0;
  }
  if (!any) return;  // the whole block
  SENTI_UNROLL
  for (int r = 0; r < kRows; ++r) {
    const int64_t n = n0 + r;
    const int d = t[r] >= 0 ? static_cast<int>(n / M) : 0;
    const float* xr = x + (n % M) * ldx + static_cast<int64_t>(d) * H;
    for (int h = threadIdx.x; h < H; h += kThreads) xs[r * H + h] = t[r] >= 0 ? xr[h] : 0.f;
  }
  __syncthreads();
  float m[kRows];
  int arg[kRows];
  double s[kRows];  // Σ exp(z - m) over this thread's ids
  SENTI_UNROLL
  for (int r = 0; r < kRows; ++r) {
    m[r] = -INFINITY;
    arg[r] = V;
    s[r] = 0;
  }
  for (int v = threadIdx.x; v < V; v += kThreads) {
    float dot[kRows];
    SENTI_UNROLL
    for (int r = 0; r < kRows; ++r) dot[r] = 0.f;
    for (int h = 0; h < H; ++h) {
      const float wv = w[static_cast<int64_t>(h) * V + v];
      SENTI_UNROLL
      for (int r = 0; r < kRows; ++r) dot[r] += xs[r * H + h] * wv;
    }
    const float b = bias[v];
    SENTI_UNROLL
    for (int r = 0; r < kRows; ++r) {
      if (t[r] < 0) continue;
      const float z = dot[r] + b;
      if (v == t[r]) target_z[r] = z;
      if (z > m[r]) {  // ids rise within a thread: the first maximum stays
        s[r] = s[r] * exp(static_cast<double>(m[r]) - static_cast<double>(z)) + 1.0;
        m[r] = z;
        arg[r] = v;
      } else {
        s[r] += exp(static_cast<double>(z) - static_cast<double>(m[r]));
      }
    }
  }
  SENTI_UNROLL
  for (int r = 0; r < kRows; ++r) {
    best_z[r][threadIdx.x] = m[r];
    best_v[r][threadIdx.x] = arg[r];
    sums[r][threadIdx.x] = s[r];
  }
  __syncthreads();
  const int r = static_cast<int>(threadIdx.x);
  if (r >= kRows) return;
  int32_t target = -1;
  SENTI_UNROLL
  for (int i = 0; i < kRows; ++i)
    if (i == r) target = t[i];  // (a register array indexed by constants only)
  if (target < 0) return;
  float zmax = best_z[r][0];
  int best = best_v[r][0];
  for (int i = 1; i < kThreads; ++i)
    if (best_z[r][i] > zmax || (best_z[r][i] == zmax && best_v[r][i] < best)) {
      zmax = best_z[r][i];
      best = best_v[r][i];
    }
  double e = 0;
  for (int i = 0; i < kThreads; ++i)
    if (best_v[r][i] < V) e += sums[r][i] * exp(static_cast<double>(best_z[r][i]) - static_cast<double>(zmax));
  row_loss[n0 + r] = static_cast<double>(zmax) + log(e) - static_cast<double>(target_z[r]);
  row_correct[n0 + r] = best == target ? 1 : 0;
}

constexpr int kWideRows = 8;  // rows a block while kWideRows·H floats fit 32 KiB (H <= 1024)

struct Carve {
  size_t row_loss, row_correct, total;
};

Carve carve(int64_t N) {
  Carve c;
  c.row_loss = 0;
  c.row_correct = align256(sizeof(double) * N);
  c.total = c.row_correct + align256(sizeof(int32_t) * N);
  return c;
}

}  // namespace

size_t lm_full_softmax_workspace_bytes(int64_t rows) {
  SENTI_CHECK(rows >= 1, "lm_full_softmax: ", rows, " rows");
  return carve(rows).total;
}

void lm_full_softmax(const LmFullSoftmaxArgs& a, cudaStream_t stream) {
  const int D = a.D, H = a.H, V = a.V;
  const int64_t M = a.M, N = static_cast<int64_t>(D) * M;
  SENTI_CHECK((D == 1 || D == 2) && M >= 1 && H >= 1 && V >= 2,
              "lm_full_softmax: bad shape D=", D, " M=", M, " H=", H, " V=", V);
  SENTI_CHECK(N <= 0x7fffffff, "lm_full_softmax: ", N, " rows, at most 2^31 - 1");
  SENTI_CHECK(static_cast<size_t>(H) * sizeof(float) <= 32 * 1024,
              "lm_full_softmax: H = ", H, " does not fit a block's shared memory");
  const bool wide = static_cast<size_t>(kWideRows) * H * sizeof(float) <= 32 * 1024;
  const int64_t ldx = a.ldx > 0 ? a.ldx : static_cast<int64_t>(D) * H;
  SENTI_CHECK(ldx >= static_cast<int64_t>(D) * H, "lm_full_softmax: ldx ", ldx, " < D·H");
  SENTI_CHECK(a.x && a.targets && a.weights && a.w && a.bias && a.metrics,
              "lm_full_softmax: null input");
  const size_t need = lm_full_softmax_workspace_bytes(N);
  SENTI_CHECK(a.workspace && a.workspace_bytes >= need, "lm_full_softmax: workspace of ",
              a.workspace_bytes, " bytes, needs ", need);
  const Carve c = carve(N);
  char* base = static_cast<char*>(a.workspace);
  double* row_loss = reinterpret_cast<double*>(base + c.row_loss);
  int32_t* row_correct = reinterpret_cast<int32_t*>(base + c.row_correct);
  if (wide)
    launch(lm_full_rows_kernel<kWideRows>, (N + kWideRows - 1) / kWideRows, kThreads,
           sizeof(float) * kWideRows * H, stream, M, N, H, V, a.x, ldx, a.targets, a.w, a.bias, row_loss,
           row_correct);
  else
    launch(lm_full_rows_kernel<1>, N, kThreads, sizeof(float) * H, stream, M, N, H, V, a.x, ldx, a.targets,
           a.w, a.bias, row_loss, row_correct);
  lm_row_metrics(row_loss, row_correct, a.targets, a.weights, N, a.metrics, nullptr, stream);
}

}  // namespace senti::kernels
