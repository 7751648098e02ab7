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

static __global__ void __launch_bounds__(kThreads)
lm_full_rows_kernel(int64_t M, int H, int V, const float* __restrict__ x, int64_t ldx,
                    const int32_t* __restrict__ targets, const float* __restrict__ w,
                    const float* __restrict__ bias, double* __restrict__ row_loss,
                    int32_t* __restrict__ row_correct) {
  SENTI_DYNAMIC_SHARED(float, xs);  // (H)
  __shared__ float best_z[kThreads];
  __shared__ int best_v[kThreads];
  __shared__ double sums[kThreads];
  __shared__ float target_z;
  const int64_t n = blockIdx.x;
  const int32_t t = targets[n];
  if (t < 0) return;  // the whole block
  const int d = static_cast<int>(n / M);
  const float* xr = x + (n % M) * ldx + static_cast<int64_t>(d) * H;
  for (int h = threadIdx.x; h < H; h += kThreads) xs[h] = xr[h];
  __syncthreads();
  float m = -INFINITY;
  int arg = V;
  double s = 0;  // Σ exp(z - m) over this thread's ids
  for (int v = threadIdx.x; v < V; v += kThreads) {
    float dot = 0.f;
    for (int h = 0; h < H; ++h) dot += xs[h] * w[static_cast<int64_t>(h) * V + v];
    const float z = dot + bias[v];
    if (v == t) target_z = z;
    if (z > m) {  // ids rise within a thread: the first maximum stays
      s = s * exp(static_cast<double>(m) - static_cast<double>(z)) + 1.0;
      m = z;
      arg = v;
    } else {
      s += exp(static_cast<double>(z) - static_cast<double>(m));
    }
  }
  best_z[threadIdx.x] = m;
  best_v[threadIdx.x] = arg;
  sums[threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.x == 0) {
    float zmax = best_z[0];
    int best = best_v[0];
    for (int i = 1; i < kThreads; ++i)
      if (best_z[i] > zmax || (best_z[i] == zmax && best_v[i] < best)) {
        zmax = best_z[i];
        best = best_v[i];
      }
    double e = 0;
    for (int i = 0; i < kThreads; ++i)
      if (best_v[i] < V) e += sums[i] * exp(static_cast<double>(best_z[i]) - static_cast<double>(zmax));
    row_loss[n] = static_cast<double>(zmax) + log(e) - static_cast<double>(target_z);
    row_correct[n] = best == t ? 1 : 0;
  }
}

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
  launch(lm_full_rows_kernel, N, kThreads, sizeof(float) * H, stream, M, H, V, a.x, ldx,
         a.targets, a.w, a.bias, row_loss, row_correct);
  lm_row_metrics(row_loss, row_correct, a.targets, a.weights, N, a.metrics, nullptr, stream);
}

}  // namespace senti::kernels
