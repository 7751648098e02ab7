// Deterministic two-pass sum of squares. See sum_of_squares.cuh.
#include "kernels/sum_of_squares.cuh"

#include "kernels/block_sum.cuh"
#include "kernels/common/error.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kBlocks = 128;  // fixed: the summation order does not depend on the device

static __global__ void __launch_bounds__(kThreads)
partial_sums_kernel(const float* __restrict__ a, int64_t n, double* __restrict__ partial) {
  __shared__ double scratch[kThreads];
  double acc = 0.0;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += static_cast<int64_t>(kBlocks) * kThreads) {
    const double v = a[i];
    acc += v * v;
  }
  const double s = block_sum<kThreads>(acc, scratch);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

static __global__ void __launch_bounds__(kBlocks)
final_sum_kernel(const double* __restrict__ partial, double* __restrict__ out) {
  __shared__ double scratch[kBlocks];
  const double s = block_sum<kBlocks>(partial[threadIdx.x], scratch);
  if (threadIdx.x == 0) *out = s;
}

}  // namespace

size_t sum_of_squares_workspace_bytes() { return sizeof(double) * kBlocks; }

void sum_of_squares(const float* a, int64_t n, double* out, void* workspace, size_t workspace_bytes,
                    cudaStream_t stream) {
  SENTI_CHECK(out && workspace && (a || n == 0) && n >= 0, "sum_of_squares: bad arguments");
  SENTI_CHECK(workspace_bytes >= sum_of_squares_workspace_bytes(),
              "sum_of_squares: workspace too small");
  auto* partial = static_cast<double*>(workspace);
  launch(partial_sums_kernel, kBlocks, kThreads, 0, stream, a, n, partial);
  launch(final_sum_kernel, 1, kBlocks, 0, stream, partial, out);
}

}  // namespace senti::kernels
