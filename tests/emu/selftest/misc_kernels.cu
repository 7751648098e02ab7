// Self-test kernels for launch validation, memory faults and streams (see emu_kernels.h).
#include "emu_kernels.h"

#include "kernels/launch.cuh"

namespace senti::emu_test {
namespace {

using kernels::launch;

static __global__ void write_indices_kernel(float* out, int count) {
  for (int i = threadIdx.x; i < count; i += blockDim.x) out[i] = static_cast<float>(i);
}

static __global__ void scale_add_kernel(const float* in, float* out, int n, float factor, float add) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    out[i] = in[i] * factor + add;
}

static __global__ void configured_kernel(float* out, int dynamic_floats) {
  SENTI_DYNAMIC_SHARED(float, buf);
  for (int i = threadIdx.x; i < dynamic_floats; i += blockDim.x) buf[i] = static_cast<float>(i);
  __syncthreads();
  const unsigned block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  if (threadIdx.x == 0 && threadIdx.y == 0 && threadIdx.z == 0)
    out[block] = dynamic_floats == 0 ? 1.f : buf[dynamic_floats - 1] - (dynamic_floats - 2);
}

static __global__ void spin_kernel(const volatile int* flag) {
  while (*flag == 0) {
  }
}

static __global__ void trap_kernel_body() {
  if (threadIdx.x == 7) __trap();
}

}  // namespace

void write_indices(float* out, int n, int extra, int threads, cudaStream_t stream) {
  launch(write_indices_kernel, 1, threads, 0, stream, out, n + extra);
}

void scale_add(const float* in, float* out, int n, float factor, float add, cudaStream_t stream) {
  launch(scale_add_kernel, (n + 255) / 256, 256, 0, stream, in, out, n, factor, add);
}

void configured_launch(dim3 grid, dim3 block, size_t dynamic_shared, float* out,
                       cudaStream_t stream) {
  launch(configured_kernel, grid, block, dynamic_shared, stream, out,
         static_cast<int>(dynamic_shared / sizeof(float)));
}

void launch_blocks(int64_t blocks, float* out) {
  launch(configured_kernel, blocks, 32, 0, nullptr, out, 0);
}

cudaError_t allow_dynamic_shared(int bytes) {
  return cudaFuncSetAttribute(configured_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
}

void spin_until(const volatile int* flag, cudaStream_t stream) {
  launch(spin_kernel, 1, 1, 0, stream, flag);
}

void trap_kernel(cudaStream_t stream) { launch(trap_kernel_body, 1, 32, 0, stream); }

}  // namespace senti::emu_test
