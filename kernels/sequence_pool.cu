// Masked pooling over time, forward and backward. See sequence_pool.cuh.
#include "kernels/sequence_pool.cuh"

#include "kernels/common/error.h"
#include "kernels/common/math/sequence.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kThreads = 128;

struct Row {
  int len, first;  // real positions [first, first + len)
};

__device__ __forceinline__ Row real_positions(const SequencePoolShape& s, int b) {
  int len = s.lengths ? s.lengths[b] : s.T;
  len = len < 0 ? 0 : (len > s.T ? s.T : len);  // never index outside the row
  return Row{len, math::real_token_position(0, len, s.T, s.padding == Padding::Pre)};
}

// One block a row; threads stride over the D·H columns (column c: direction c / H).
static __global__ void __launch_bounds__(kThreads)
pool_forward_kernel(SequencePoolShape s, const float* __restrict__ y, const float* __restrict__ hy,
                    float* __restrict__ features, int32_t* __restrict__ argmax) {
  const int b = blockIdx.x, DH = s.directions * s.H, F = s.features();
  const Row r = real_positions(s, b);
  float* f = features + static_cast<size_t>(b) * F;
  for (int c = threadIdx.x; c < DH; c += blockDim.x) {
    const bool reverse = c >= s.H;
    int block = 0;
    if (s.last) f[block++ * DH + c] = hy[static_cast<size_t>(b) * DH + c];
    if (!s.max && !s.mean) continue;
    float mx = 0.f;
    int32_t arg = 0;  // the step (reading order) that attained mx
    double sum = 0.0;
    for (int k = 0; k < r.len; ++k) {  // the direction's reading order
      const int pos = r.first + math::direction_token(k, r.len, reverse);
      const float h = y[(static_cast<size_t>(pos) * s.B + b) * DH + c];
      math::pool_max_update(h, k, &mx, &arg);
      sum += h;
    }
    if (s.max) {
      f[block++ * DH + c] = mx;
      argmax[static_cast<size_t>(b) * DH + c] =
          r.len > 0 ? r.first + math::direction_token(arg, r.len, reverse) : -1;
    }
    if (s.mean) f[block * DH + c] = r.len > 0 ? static_cast<float>(sum / r.len) : 0.f;
  }
}

// One block per (position, row): writes dy there for every column; block (0, b) also writes dhy.
static __global__ void __launch_bounds__(kThreads)
pool_backward_kernel(SequencePoolShape s, const float* __restrict__ dfeatures,
                     const int32_t* __restrict__ argmax, float* __restrict__ dy,
                     float* __restrict__ dhy) {
  const int t = blockIdx.x, b = blockIdx.y, DH = s.directions * s.H, F = s.features();
  const Row r = real_positions(s, b);
  const float* df = dfeatures + static_cast<size_t>(b) * F;
  const bool real = t >= r.first && t < r.first + r.len;
  const int max_block = s.last ? 1 : 0, mean_block = max_block + (s.max ? 1 : 0);
  for (int c = threadIdx.x; c < DH; c += blockDim.x) {
    if (t == 0) dhy[static_cast<size_t>(b) * DH + c] = s.last ? df[c] : 0.f;
    if (!dy) continue;
    float g = 0.f;
    if (real) {
      // As the CPU backend: dL/dmean / len in float, added at every real step; the max element's
      // gradient at its position.
      if (s.mean) g += df[mean_block * DH + c] / static_cast<float>(r.len);
      if (s.max && argmax[static_cast<size_t>(b) * DH + c] == t) g += df[max_block * DH + c];
    }
    dy[(static_cast<size_t>(t) * s.B + b) * DH + c] = g;
  }
}

void check_shape(const SequencePoolShape& s, const char* what) {
  SENTI_CHECK(s.B >= 1 && s.B <= 65535 && s.T >= 1 && s.T <= 65535 && s.H >= 1 &&
                  (s.directions == 1 || s.directions == 2) && s.kinds() > 0,
              what, ": bad shape B=", s.B, " T=", s.T, " H=", s.H, " directions=", s.directions,
              " pools=", s.kinds());
}

}  // namespace

void sequence_pool_forward(const SequencePoolShape& shape, const float* y, const float* hy,
                           float* features, int32_t* argmax, cudaStream_t stream) {
  check_shape(shape, "sequence_pool_forward");
  SENTI_CHECK(features && (!shape.last || hy) && (!(shape.max || shape.mean) || y) &&
                  (!shape.max || argmax),
              "sequence_pool_forward: null operand");
  launch(pool_forward_kernel, shape.B, kThreads, 0, stream, shape, y, hy, features, argmax);
}

void sequence_pool_backward(const SequencePoolShape& shape, const float* dfeatures,
                            const int32_t* argmax, float* dy, float* dhy, cudaStream_t stream) {
  check_shape(shape, "sequence_pool_backward");
  SENTI_CHECK(dfeatures && dhy && (!(shape.max || shape.mean) || dy) && (!shape.max || argmax),
              "sequence_pool_backward: null operand");
  launch(pool_backward_kernel, dim3(dy ? shape.T : 1, shape.B), kThreads, 0, stream, shape,
         dfeatures, argmax, dy, dhy);
}

}  // namespace senti::kernels
