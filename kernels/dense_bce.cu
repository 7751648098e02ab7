// Fused Dense(1) + sigmoid + BCE forward/backward with on-device metrics. See dense_bce.cuh.
#include "kernels/dense_bce.cuh"

#include "kernels/common/error.h"
#include "kernels/common/math/activations.h"
#include "kernels/common/math/head.h"
#include "kernels/block_sum.cuh"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;


static __global__ void __launch_bounds__(kThreads)
dense_bce_kernel(const float* __restrict__ h, int B, int H, const float* __restrict__ w,
                 const float* __restrict__ bias, const float* __restrict__ labels,
                 DeviceMetrics* __restrict__ metrics, float* __restrict__ probs,
                 float* __restrict__ dh, float* __restrict__ dw, float* __restrict__ dbias,
                 const float* __restrict__ extra_logits, float* __restrict__ dz_out,
                 const float* __restrict__ class_weights, int N) {
  SENTI_DYNAMIC_SHARED(float, smem);
  float* dz = smem;                            // [B]
  float* loss = smem + B;                      // [B]
  int* correct = reinterpret_cast<int*>(smem + 2 * B);  // [B]
  __shared__ double dscratch[kThreads];

  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const float b0 = bias[0];
  for (int b = warp; b < B; b += kWarps) {
    float acc = 0.f;
    for (int k = lane; k < H; k += 32) acc = fmaf(h[static_cast<int64_t>(b) * H + k], w[k], acc);
    for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
    if (lane == 0) {
      float z = acc + b0;
      if (extra_logits) z += extra_logits[b];  // (h·w + bias) + the n-gram part, as the CPU adds
      const float y = labels[b];
      if (probs) probs[b] = math::sigmoid(z);
      const float bce = math::bce_with_logit(z, y);
      const float g = math::bce_with_logit_grad(z, y) / static_cast<float>(N);  // the N-row mean
      correct[b] = math::correct_prediction(z, y);
      if (class_weights) {  // sample b's loss and gradient times w[y_b] (engine/cpu/head_cpu.cpp)
        const float cw = class_weights[math::class_of_label(y)];
        loss[b] = cw * bce;
        dz[b] = g * cw;
      } else {
        loss[b] = bce;
        dz[b] = g;
      }
      if (dz_out) dz_out[b] = dz[b];
    }
  }
  __syncthreads();

  double loss_part = 0.0, dz_part = 0.0, correct_part = 0.0;
  for (int b = threadIdx.x; b < B; b += kThreads) {
    loss_part += loss[b];
    dz_part += dz[b];
    correct_part += correct[b];
  }
  const double loss_sum = block_sum<kThreads>(loss_part, dscratch);
  const double dz_sum = block_sum<kThreads>(dz_part, dscratch);
  const double correct_sum = block_sum<kThreads>(correct_part, dscratch);
  if (threadIdx.x == 0) {
    metrics->loss_sum += loss_sum;
    metrics->correct += static_cast<unsigned long long>(correct_sum + 0.5);
    metrics->count += static_cast<unsigned long long>(B);
    if (dbias) dbias[0] = static_cast<float>(dz_sum);
  }
  if (!dh) return;
  for (int64_t i = threadIdx.x; i < static_cast<int64_t>(B) * H; i += kThreads)
    dh[i] = dz[i / H] * w[i % H];
  for (int k = threadIdx.x; k < H; k += kThreads) {
    float acc = 0.f;
    for (int b = 0; b < B; ++b) acc = fmaf(dz[b], h[static_cast<int64_t>(b) * H + k], acc);
    dw[k] = acc;
  }
}

}  // namespace

void dense_bce(const float* h, int B, int H, const float* w, const float* bias,
               const float* labels, DeviceMetrics* metrics, float* probs, float* dh, float* dw,
               float* dbias, cudaStream_t stream, const float* extra_logits, float* dz,
               const float* class_weights, int mean_rows) {
  SENTI_CHECK(B > 0 && B <= kDenseBceMaxBatch && H > 0, "dense_bce: bad shape B=", B, " H=", H,
              " (B at most ", kDenseBceMaxBatch, ")");
  const int N = mean_rows > 0 ? mean_rows : B;
  SENTI_CHECK(N >= B, "dense_bce: the mean's ", N, " rows are fewer than the batch's ", B);
  SENTI_CHECK(h && w && bias && labels && metrics, "dense_bce: null input");
  SENTI_CHECK(!dh || (dw && dbias), "dense_bce: backward needs dh, dw and dbias");
  const size_t shared = static_cast<size_t>(B) * (2 * sizeof(float) + sizeof(int));
  launch(dense_bce_kernel, 1, kThreads, shared, stream, h, B, H, w, bias, labels, metrics, probs, dh,
         dw, dbias, extra_logits, dz, class_weights, N);
}

}  // namespace senti::kernels
