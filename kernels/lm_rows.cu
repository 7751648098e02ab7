// The language model's rows: targets, weights and the row sums into the metrics. See lm_rows.cuh.
#include "kernels/lm_rows.cuh"

#include "kernels/block_sum.cuh"
#include "kernels/common/error.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;

static __global__ void __launch_bounds__(kThreads)
lm_targets_kernel(const int32_t* __restrict__ ids, int B, int T, int D,
                  const int32_t* __restrict__ lengths, bool pre, double scale,
                  int32_t* __restrict__ targets, float* __restrict__ weights) {
  const int64_t n = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  const int64_t M = static_cast<int64_t>(T) * B;
  if (n >= static_cast<int64_t>(D) * M) return;
  const int d = static_cast<int>(n / M);
  const int t = static_cast<int>((n % M) / B), b = static_cast<int>(n % B);
  const int len = lengths ? lengths[b] : T;
  const int start = pre ? T - len : 0;
  const int k = t - start;  // the real token's index, or outside [0, len)
  const int next = d == 0 ? k + 1 : k - 1;
  const bool real = k >= 0 && k < len && next >= 0 && next < len;
  targets[n] = real ? ids[static_cast<int64_t>(b) * T + start + next] : -1;
  weights[n] = real ? static_cast<float>(scale / (len - 1)) : 0.f;
}

static __global__ void __launch_bounds__(kThreads)
lm_row_metrics_kernel(const double* __restrict__ row_loss, const int32_t* __restrict__ row_correct,
                      const int32_t* __restrict__ targets, const float* __restrict__ weights,
                      int64_t N, DeviceMetrics* __restrict__ metrics, double* __restrict__ objective) {
  __shared__ double scratch[kThreads];
  __shared__ unsigned long long counts[kThreads];
  double loss = 0, obj = 0;
  unsigned long long correct = 0, tokens = 0;
  for (int64_t n = threadIdx.x; n < N; n += kThreads) {
    if (targets[n] < 0) continue;
    loss += row_loss[n];
    obj += static_cast<double>(weights[n]) * row_loss[n];
    correct += static_cast<unsigned long long>(row_correct[n]);
    ++tokens;
  }
  loss = block_sum<kThreads>(loss, scratch);
  obj = block_sum<kThreads>(obj, scratch);
  correct = block_sum<kThreads>(correct, counts);
  tokens = block_sum<kThreads>(tokens, counts);
  if (threadIdx.x == 0) {
    metrics->loss_sum += loss;
    metrics->correct += correct;
    metrics->count += tokens;
    if (objective) *objective += obj;
  }
}

}  // namespace

void lm_targets(const int32_t* ids, int B, int T, int D, const int32_t* lengths, Padding padding,
                int mean_rows, int32_t* targets, float* weights, cudaStream_t stream) {
  SENTI_CHECK(B >= 1 && T >= 1 && (D == 1 || D == 2) && mean_rows >= B,
              "lm_targets: bad shape B=", B, " T=", T, " D=", D, " mean_rows=", mean_rows);
  SENTI_CHECK(ids && targets && weights, "lm_targets: null pointer");
  const int64_t N = static_cast<int64_t>(D) * T * B;
  const double scale = 1.0 / (static_cast<double>(D) * mean_rows);  // the CPU's (LmHeadCpu)
  launch(lm_targets_kernel, (N + kThreads - 1) / kThreads, kThreads, 0, stream, ids, B, T, D,
         lengths, padding == Padding::Pre, scale, targets, weights);
}

void lm_row_metrics(const double* row_loss, const int32_t* row_correct, const int32_t* targets,
                    const float* weights, int64_t N, DeviceMetrics* metrics, double* objective,
                    cudaStream_t stream) {
  SENTI_CHECK(N >= 1, "lm_row_metrics: ", N, " rows");
  SENTI_CHECK(row_loss && row_correct && targets && weights && metrics,
              "lm_row_metrics: null pointer");
  launch(lm_row_metrics_kernel, 1, kThreads, 0, stream, row_loss, row_correct, targets, weights, N,
         metrics, objective);
}

}  // namespace senti::kernels
