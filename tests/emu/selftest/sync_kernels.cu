// Self-test kernels for barriers, warp functions and atomics (see emu_kernels.h). Plain CUDA,
// launched through senti::kernels::launch like every kernel in kernels/.
#include "emu_kernels.h"

#include "kernels/launch.cuh"

namespace senti::emu_test {
namespace {

using kernels::launch;

static __global__ void block_sums_kernel(const float* in, float* out, bool barrier) {
  __shared__ float s[1024];
  const int t = threadIdx.x, n = blockDim.x;
  s[t] = in[blockIdx.x * n + t];
  if (barrier) __syncthreads();  // planted defect when false: the reads below race the stores
  for (int stride = n / 2; stride > 0; stride >>= 1) {
    if (t < stride) s[t] += s[t + stride];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = s[0];
}

static __global__ void barrier_votes_kernel(const int* pred, int* out) {
  const int p = pred[blockIdx.x * blockDim.x + threadIdx.x];
  const int count = __syncthreads_count(p);
  const int all = __syncthreads_and(p);
  const int any = __syncthreads_or(p);
  if (threadIdx.x == 0) {
    out[3 * blockIdx.x] = count;
    out[3 * blockIdx.x + 1] = all;
    out[3 * blockIdx.x + 2] = any;
  }
}

static __global__ void misuse_barrier_kernel(int* out, BarrierDefect defect) {
  __shared__ int s[1024];
  const int t = threadIdx.x;
  s[t] = t;
  if (defect == BarrierDefect::EarlyExit && t == 0) return;  // leaves before the barrier
  if (defect == BarrierDefect::HalfTheBlock) {
    if (t < static_cast<int>(blockDim.x) / 2) __syncthreads();
  } else if (defect == BarrierDefect::TwoCallSites) {
    if (t % 2) __syncthreads();
    else __syncthreads();
  } else {
    __syncthreads();
  }
  out[t] = s[(t + 1) % blockDim.x];
}

static __global__ void warp_functions_kernel(const int* in, int* out, int width) {
  const int i = threadIdx.x, lane = i % 32, warp = i / 32;
  const int lanes_here = min(32, static_cast<int>(blockDim.x) - warp * 32);
  const unsigned mask = lanes_here == 32 ? 0xffffffffu : (1u << lanes_here) - 1;
  const int v = in[i];
  int* o = out + i * 9;
  o[0] = __shfl_sync(mask, v, (lane + 3) % 32, width);
  o[1] = __shfl_up_sync(mask, v, 2, width);
  o[2] = __shfl_down_sync(mask, v, 5, width);
  o[3] = __shfl_xor_sync(mask, v, 6, width);
  o[4] = static_cast<int>(__ballot_sync(mask, v & 1));
  o[5] = __any_sync(mask, v > 1000);
  o[6] = __all_sync(mask, v >= 0);
  o[7] = __reduce_add_sync(mask, v);
  __shared__ int exchange[1024];  // __syncwarp orders the warp's shared-memory accesses
  exchange[i] = v;
  __syncwarp(mask);
  const int partner = (lane ^ 1) < lanes_here ? lane ^ 1 : lane;
  o[8] = exchange[warp * 32 + partner];
}

static __global__ void warp_sums_kernel(const float* in, float* out) {
  float v = in[threadIdx.x];
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  if (threadIdx.x % 32 == 0) out[threadIdx.x / 32] = v;
}

static __global__ void misuse_shuffle_kernel(float* out, MaskDefect defect) {
  const int lane = threadIdx.x;
  float v = static_cast<float>(lane);
  const unsigned full = 0xffffffffu;
  switch (defect) {
    case MaskDefect::None:  // two half-warps, each with its own mask: correct
      v = __shfl_xor_sync(lane < 16 ? 0x0000ffffu : 0xffff0000u, v, 1);
      break;
    case MaskDefect::LaneExits:  // lane 31 is named in the mask but leaves
      if (lane == 31) return;
      v = __shfl_sync(full, v, 0);
      break;
    case MaskDefect::LaneExcludesItself:
      v = __shfl_sync(lane == 5 ? full & ~(1u << 5) : full, v, 0);
      break;
    case MaskDefect::MasksDiffer:
      v = __shfl_sync(lane < 16 ? 0x0000ffffu : full, v, 0);
      break;
    case MaskDefect::LaneElsewhere:  // lane 31 waits at a barrier the others never reach
      if (lane == 31) __syncthreads();
      else v = __shfl_sync(full, v, 0);
      break;
  }
  out[lane] = v;
}

static __global__ void atomic_totals_kernel(const int* values, int n, AtomicTotals* t,
                                            unsigned* cas_word) {
  __shared__ bool is_last;
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    const int v = values[i];
    atomicAdd(&t->isum, v);
    atomicAdd(&t->usum, static_cast<unsigned long long>(v + 1000));
    atomicAdd(&t->fsum, static_cast<float>(v));
    atomicAdd(&t->dsum, 0.5 * v);
    atomicMax(&t->imax, v);
    atomicMin(&t->imin, v);
    if (atomicCAS(cas_word, 0u, 1u) == 0u) atomicAdd(&t->cas_winners, 1u);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    is_last = atomicInc(&t->counter, gridDim.x - 1) == gridDim.x - 1;  // wraps back to 0
  }
  __syncthreads();
  if (is_last && threadIdx.x == 0) t->last_block = blockIdx.x;
}

static __global__ void record_block_order_kernel(unsigned* order, unsigned* next) {
  if (threadIdx.x == 0) order[atomicAdd(next, 1u)] = blockIdx.x;
}

}  // namespace

void block_sums(const float* in, float* out, int blocks, int threads, bool barrier,
                cudaStream_t stream) {
  launch(block_sums_kernel, blocks, threads, 0, stream, in, out, barrier);
}

void barrier_votes(const int* pred, int* out, int blocks, int threads, cudaStream_t stream) {
  launch(barrier_votes_kernel, blocks, threads, 0, stream, pred, out);
}

void misuse_barrier(int* out, int threads, BarrierDefect defect, cudaStream_t stream) {
  launch(misuse_barrier_kernel, 1, threads, 0, stream, out, defect);
}

void warp_functions(const int* in, int* out, int threads, int width, cudaStream_t stream) {
  launch(warp_functions_kernel, 1, threads, 0, stream, in, out, width);
}

void warp_sums(const float* in, float* out, int threads, cudaStream_t stream) {
  launch(warp_sums_kernel, 1, threads, 0, stream, in, out);
}

void misuse_shuffle(float* out, MaskDefect defect, cudaStream_t stream) {
  launch(misuse_shuffle_kernel, 1, 32, 0, stream, out, defect);
}

void atomic_totals(const int* values, int n, AtomicTotals* totals, unsigned* cas_word,
                   cudaStream_t stream) {
  launch(atomic_totals_kernel, (n + 127) / 128, 128, 0, stream, values, n, totals, cas_word);
}

void record_block_order(unsigned* order, unsigned* next, int blocks, cudaStream_t stream) {
  launch(record_block_order_kernel, blocks, 32, 0, stream, order, next);
}

}  // namespace senti::emu_test
