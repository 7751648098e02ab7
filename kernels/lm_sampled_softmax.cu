// The language model's sampled softmax, forward and backward. See lm_sampled_softmax.cuh.
#include "kernels/lm_sampled_softmax.cuh"

#include <algorithm>

#include "kernels/common/error.h"
#include "kernels/common/math/lm.h"
#include "kernels/cuda_check.h"
#include "kernels/launch.cuh"
#include "kernels/lm_rows.cuh"
#include "kernels/workspace.h"

namespace senti::kernels {
namespace {

constexpr int kThreads = 128;

struct Carve {
  size_t samples, sample_bias, wc_kh, wc_hk, z, row_loss, row_correct, dws, dbs, total;
};

Carve carve(int64_t N, int S, int H) {
  Carve c;
  size_t at = 0;
  auto take = [&](size_t bytes) {
    const size_t here = at;
    at += align256(bytes);
    return here;
  };
  c.samples = take(sizeof(int32_t) * S);
  c.sample_bias = take(sizeof(float) * S);
  c.wc_kh = take(sizeof(float) * static_cast<size_t>(S) * H);
  c.wc_hk = take(sizeof(float) * static_cast<size_t>(S) * H);
  c.z = take(sizeof(float) * static_cast<size_t>(N) * (S + 1));
  c.row_loss = take(sizeof(double) * N);
  c.row_correct = take(sizeof(int32_t) * N);
  c.dws = take(sizeof(float) * static_cast<size_t>(S) * H);
  c.dbs = take(sizeof(double) * S);
  c.total = at;
  return c;
}

static __global__ void __launch_bounds__(kThreads)
lm_draw_kernel(uint64_t seed, const int64_t* __restrict__ step, int S, int V,
               const float* __restrict__ bias, int32_t* __restrict__ samples,
               float* __restrict__ sample_bias) {
  const int k = blockIdx.x * kThreads + threadIdx.x;
  if (k >= S) return;
  const int32_t id = math::lm_sample_id(seed, static_cast<uint64_t>(*step), static_cast<uint32_t>(k), V);
  samples[k] = id;
  if (sample_bias) sample_bias[k] = bias[id] - math::lm_log_expected_count(id, V, S);
}

// The candidates' columns of W, gathered once a step in both layouts the rows read coalesced:
// wc_hk (H, S) for the logits (thread k reads column k) and wc_kh (S, H) for dx (thread h reads
// row k). W (H, V) itself is read with a stride of V; every row reading it would cost a memory
// sector a multiply-add.
static __global__ void __launch_bounds__(kThreads)
lm_gather_candidates_kernel(int H, int V, int S, const float* __restrict__ w,
                            const int32_t* __restrict__ samples, float* __restrict__ wc_kh,
                            float* __restrict__ wc_hk) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;  // i = h·S + k
  if (i >= static_cast<int64_t>(H) * S) return;
  const int h = static_cast<int>(i / S), k = static_cast<int>(i % S);
  const float v = w[static_cast<int64_t>(h) * V + samples[k]];
  wc_hk[i] = v;
  wc_kh[static_cast<int64_t>(k) * H + h] = v;
}

// One block a row: the S + 1 logits into z (global), the loss and dz (thread 0, in place), dx.
static __global__ void __launch_bounds__(kThreads)
lm_rows_kernel(int64_t M, int H, int V, int S, const float* __restrict__ x, int64_t ldx,
               const int32_t* __restrict__ targets, const float* __restrict__ weights,
               const float* __restrict__ w, const float* __restrict__ bias,
               const int32_t* __restrict__ samples, const float* __restrict__ sample_bias,
               const float* __restrict__ wc_kh, const float* __restrict__ wc_hk,
               float* __restrict__ zall, double* __restrict__ row_loss,
               int32_t* __restrict__ row_correct, float* __restrict__ dx) {
  SENTI_DYNAMIC_SHARED(float, xs);  // (H)
  const int64_t n = blockIdx.x;
  const int d = static_cast<int>(n / M);
  const int64_t r = n % M;
  const int32_t t = targets[n];
  const int Z = S + 1;
  float* z = zall + n * Z;
  float* dxr = dx ? dx + r * ldx + static_cast<int64_t>(d) * H : nullptr;
  if (t < 0) {  // predicts nothing: zero dz (the column sums read it) and dx
    for (int k = threadIdx.x; k < Z; k += kThreads) z[k] = 0.f;
    if (dxr)
      for (int h = threadIdx.x; h < H; h += kThreads) dxr[h] = 0.f;
    return;
  }
  const float* xr = x + r * ldx + static_cast<int64_t>(d) * H;
  for (int h = threadIdx.x; h < H; h += kThreads) xs[h] = xr[h];
  __syncthreads();
  for (int k = threadIdx.x; k < S; k += kThreads) {
    const int32_t id = samples[k];
    float dot = 0.f;
    for (int h = 0; h < H; ++h) dot += xs[h] * wc_hk[static_cast<int64_t>(h) * S + k];
    z[1 + k] = id == t ? math::kLmRemovedLogit : dot + sample_bias[k];
  }
  if (threadIdx.x == 0) {
    float dot = 0.f;
    for (int h = 0; h < H; ++h) dot += xs[h] * w[static_cast<int64_t>(h) * V + t];
    z[0] = dot + bias[t] - math::lm_log_expected_count(t, V, S);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    row_correct[n] = math::lm_target_wins(z, Z) ? 1 : 0;
    row_loss[n] = math::lm_softmax_ce(z, Z, weights[n], dx ? z : nullptr);  // z becomes dL/dz
  }
  __syncthreads();
  if (!dxr) return;
  for (int h = threadIdx.x; h < H; h += kThreads) {
    float s = 0.f;
    for (int k = 0; k < S; ++k) s += z[1 + k] * wc_kh[static_cast<int64_t>(k) * H + h];
    dxr[h] = s + z[0] * w[static_cast<int64_t>(h) * V + t];
  }
}

// One block a candidate k: dws (S, H) row k = Σ_n x_n dz_n(1+k), dbs_k = Σ_n dz_n(1+k), rows in order.
static __global__ void __launch_bounds__(kThreads)
lm_candidate_grad_kernel(int D, int64_t M, int H, int S, const float* __restrict__ x, int64_t ldx,
                         const float* __restrict__ zall, float* __restrict__ dws,
                         double* __restrict__ dbs) {
  const int k = blockIdx.x;
  const int Z = S + 1;
  const int64_t N = static_cast<int64_t>(D) * M;
  for (int h = threadIdx.x; h < H; h += kThreads) {
    float s = 0.f;  // rows n = d·M + r in order (no 64-bit division in the loop)
    for (int d = 0; d < D; ++d) {
      const float* xd = x + static_cast<int64_t>(d) * H + h;
      const float* zd = zall + static_cast<int64_t>(d) * M * Z + 1 + k;
      for (int64_t r = 0; r < M; ++r) s += xd[r * ldx] * zd[r * Z];
    }
    dws[static_cast<int64_t>(k) * H + h] = s;
  }
  if (threadIdx.x == (H < kThreads ? kThreads - 1 : 0)) {  // an idle thread where there is one
    double s = 0;
    for (int64_t n = 0; n < N; ++n) s += zall[n * Z + 1 + k];
    dbs[k] = s;
  }
}

// The scatter: block b owns the ids [b·C, b·C + C) (C = scatter_ids(H)) and sums their columns of
// dW and their db in shared memory, in the CPU's order: the candidates k = 0..S-1, then the rows
// n = 0..N-1 (the targets staged through shared memory a tile at a time; every block reads them
// all, and keeps the few that are its own). Thread h owns dW's row h of the range and thread 0 db,
// so each sum runs in one thread, in order: the result does not depend on the grid, and no
// atomics. Every column of the range is written, zeros included.
constexpr int kScatterTile = 512;

size_t scatter_shared_bytes(int C, int H) {
  return sizeof(double) * static_cast<size_t>(C) + sizeof(float) * static_cast<size_t>(C) * H;
}

// Ids a block: as many as fit 32 KiB of shared memory, 1 to 64.
int scatter_ids(int H) {
  return static_cast<int>(std::clamp<size_t>((32 * 1024) / scatter_shared_bytes(1, H), 1, 64));
}

static __global__ void __launch_bounds__(kThreads)
lm_scatter_kernel(int D, int64_t M, int H, int V, int S, int C, const float* __restrict__ x, int64_t ldx,
                  const int32_t* __restrict__ targets, const float* __restrict__ zall,
                  const int32_t* __restrict__ samples, const float* __restrict__ dws,
                  const double* __restrict__ dbs, float* __restrict__ dw, float* __restrict__ dbias) {
  SENTI_DYNAMIC_SHARED(double, sdb);  // (C) db, then (C, H) dW^T of the block's ids
  float* sdw = reinterpret_cast<float*>(sdb + C);
  __shared__ int32_t tile[kScatterTile];
  const int v0 = blockIdx.x * C;
  const int Z = S + 1;
  const int64_t N = static_cast<int64_t>(D) * M;
  for (int i = threadIdx.x; i < C * H; i += kThreads) sdw[i] = 0.f;
  for (int c = threadIdx.x; c < C; c += kThreads) sdb[c] = 0.0;
  __syncthreads();
  for (int k = 0; k < S; ++k) {
    const int c = samples[k] - v0;
    if (c < 0 || c >= C) continue;
    for (int h = threadIdx.x; h < H; h += kThreads) sdw[c * H + h] += dws[static_cast<int64_t>(k) * H + h];
    if (threadIdx.x == 0) sdb[c] += dbs[k];
  }
  for (int64_t base = 0; base < N; base += kScatterTile) {
    const int count = static_cast<int>(N - base < kScatterTile ? N - base : kScatterTile);
    __syncthreads();  // the previous tile is read by every thread
    for (int i = threadIdx.x; i < count; i += kThreads) tile[i] = targets[base + i];
    __syncthreads();
    for (int i = 0; i < count; ++i) {
      const int c = tile[i] - v0;  // a row without a target (-1) is below every range
      if (c < 0 || c >= C) continue;
      const int64_t n = base + i;
      const int d = static_cast<int>(n / M);
      const float g = zall[n * Z];
      const float* xr = x + (n % M) * ldx + static_cast<int64_t>(d) * H;
      for (int h = threadIdx.x; h < H; h += kThreads) sdw[c * H + h] += g * xr[h];
      if (threadIdx.x == 0) sdb[c] += g;
    }
  }
  __syncthreads();
  const int ids = V - v0 < C ? V - v0 : C;
  for (int i = threadIdx.x; i < ids * H; i += kThreads) {  // consecutive threads: consecutive ids
    const int h = i / ids, c = i % ids;
    dw[static_cast<int64_t>(h) * V + v0 + c] = sdw[c * H + h];
  }
  for (int c = threadIdx.x; c < ids; c += kThreads) dbias[v0 + c] = static_cast<float>(sdb[c]);
}

}  // namespace

size_t lm_sampled_softmax_workspace_bytes(int64_t rows, int S, int H, int V) {
  SENTI_CHECK(rows >= 1 && S >= 1 && H >= 1 && V >= 2, "lm_sampled_softmax: bad shape rows=",
              rows, " S=", S, " H=", H, " V=", V);
  return carve(rows, S, H).total;
}

void lm_draw_samples(uint64_t seed, const int64_t* step, int S, int V, int32_t* samples,
                     cudaStream_t stream) {
  SENTI_CHECK(S >= 1 && V >= 2 && step && samples, "lm_draw_samples: bad arguments");
  launch(lm_draw_kernel, (S + kThreads - 1) / kThreads, kThreads, 0, stream, seed, step, S, V,
         static_cast<const float*>(nullptr), samples, static_cast<float*>(nullptr));
}

void lm_sampled_softmax(const LmSampledSoftmaxArgs& a, cudaStream_t stream) {
  const int D = a.D, H = a.H, V = a.V, S = a.S;
  const int64_t M = a.M, N = static_cast<int64_t>(D) * M;
  SENTI_CHECK((D == 1 || D == 2) && M >= 1 && H >= 1 && V >= 2 && S >= 1,
              "lm_sampled_softmax: bad shape D=", D, " M=", M, " H=", H, " V=", V, " S=", S);
  SENTI_CHECK(N <= 0x7fffffff, "lm_sampled_softmax: ", N, " rows, at most 2^31 - 1");
  SENTI_CHECK(scatter_shared_bytes(scatter_ids(H), H) + sizeof(int32_t) * kScatterTile <= 48 * 1024,
              "lm_sampled_softmax: H = ", H, " does not fit a block's shared memory");
  const int64_t ldx = a.ldx > 0 ? a.ldx : static_cast<int64_t>(D) * H;
  SENTI_CHECK(ldx >= static_cast<int64_t>(D) * H, "lm_sampled_softmax: ldx ", ldx, " < D·H");
  SENTI_CHECK(a.x && a.targets && a.weights && a.w && a.bias && a.step && a.metrics,
              "lm_sampled_softmax: null input");
  SENTI_CHECK(!a.dx || (a.dw && a.dbias), "lm_sampled_softmax: backward needs dx, dw and dbias");
  const size_t need = lm_sampled_softmax_workspace_bytes(N, S, H, V);
  SENTI_CHECK(a.workspace && a.workspace_bytes >= need, "lm_sampled_softmax: workspace of ",
              a.workspace_bytes, " bytes, needs ", need);
  const Carve c = carve(N, S, H);
  char* base = static_cast<char*>(a.workspace);
  int32_t* samples = reinterpret_cast<int32_t*>(base + c.samples);
  float* sample_bias = reinterpret_cast<float*>(base + c.sample_bias);
  float* z = reinterpret_cast<float*>(base + c.z);
  double* row_loss = reinterpret_cast<double*>(base + c.row_loss);
  int32_t* row_correct = reinterpret_cast<int32_t*>(base + c.row_correct);

  launch(lm_draw_kernel, (S + kThreads - 1) / kThreads, kThreads, 0, stream, a.seed, a.step, S, V,
         a.bias, samples, sample_bias);
  float* wc_kh = reinterpret_cast<float*>(base + c.wc_kh);
  float* wc_hk = reinterpret_cast<float*>(base + c.wc_hk);
  const int64_t gathered = static_cast<int64_t>(H) * S;
  launch(lm_gather_candidates_kernel, static_cast<int>((gathered + kThreads - 1) / kThreads), kThreads, 0,
         stream, H, V, S, a.w, samples, wc_kh, wc_hk);
  launch(lm_rows_kernel, N, kThreads, sizeof(float) * H, stream, M, H, V, S, a.x, ldx, a.targets,
         a.weights, a.w, a.bias, samples, sample_bias, wc_kh, wc_hk, z, row_loss, row_correct, a.dx);
  lm_row_metrics(row_loss, row_correct, a.targets, a.weights, N, a.metrics, a.objective, stream);
  if (!a.dx) return;
  float* dws = reinterpret_cast<float*>(base + c.dws);
  double* dbs = reinterpret_cast<double*>(base + c.dbs);
  launch(lm_candidate_grad_kernel, S, kThreads, 0, stream, D, M, H, S, a.x, ldx, z, dws, dbs);
  const int C = scatter_ids(H);
  launch(lm_scatter_kernel, (V + C - 1) / C, kThreads, scatter_shared_bytes(C, H), stream, D, M, H, V, S, C,
         a.x, ldx, a.targets, z, samples, dws, dbs, a.dw, a.dbias);
}

}  // namespace senti::kernels
