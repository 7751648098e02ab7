#pragma once
// Kernels the emulator's self-tests run (sync_kernels.cu, misc_kernels.cu): each a CUDA kernel
// launched with senti::kernels::launch exactly like kernels/*.cu, some with a planted defect that
// the emulator must catch. Host wrappers, asynchronous on `stream` unless stated.
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace senti::emu_test {

// ---- Barriers (sync_kernels.cu) ----
// out[b] = sum of in[b*threads .. (b+1)*threads) by a shared-memory tree; threads a power of two.
// barrier = false plants the defect: no __syncthreads between the shared stores and the reads.
void block_sums(const float* in, float* out, int blocks, int threads, bool barrier,
                cudaStream_t stream);
// Per block: out[3b] = __syncthreads_count(pred), out[3b+1] = _and, out[3b+2] = _or.
void barrier_votes(const int* pred, int* out, int blocks, int threads, cudaStream_t stream);
// A barrier misused in one of these ways (0 = correct use).
enum class BarrierDefect { None, HalfTheBlock, TwoCallSites, EarlyExit };
void misuse_barrier(int* out, int threads, BarrierDefect defect, cudaStream_t stream);

// ---- Warp functions (sync_kernels.cu) ----
// For thread i of a `threads`-thread block, out[i*9 + k] receives (with v = in[i]):
//   k=0 __shfl_sync(v, (lane+3)%32, width)   k=1 __shfl_up_sync(v, 2, width)
//   k=2 __shfl_down_sync(v, 5, width)        k=3 __shfl_xor_sync(v, 6, width)
//   k=4 __ballot_sync(v odd)                 k=5 __any_sync(v > 1000)   k=6 __all_sync(v >= 0)
//   k=7 __reduce_add_sync(v)                 k=8 the partner lane's v (lane ^ 1), through shared
//                                            memory after __syncwarp
//   all with mask = the warp's existing lanes.
void warp_functions(const int* in, int* out, int threads, int width, cudaStream_t stream);
// out[w] = sum over warp w of in[] by the __shfl_down_sync tree dense_bce uses (float).
void warp_sums(const float* in, float* out, int threads, cudaStream_t stream);
// A warp function misused (0 = correct: two half-warps shuffle with their own masks).
enum class MaskDefect { None, LaneExits, LaneExcludesItself, MasksDiffer, LaneElsewhere };
void misuse_shuffle(float* out, MaskDefect defect, cudaStream_t stream);

// ---- Atomics (sync_kernels.cu) ----
struct AtomicTotals {
  int isum;
  unsigned long long usum;
  float fsum;
  double dsum;
  int imax, imin;
  unsigned last_block;  // the block that saw the counter reach gridDim.x - 1 ("last block done")
  unsigned counter;     // back to 0 after the kernel
  unsigned cas_winners; // threads whose atomicCAS(0 -> 1) succeeded on one word: exactly 1
};
// One thread per value; totals must be zeroed (counter 0, imax INT_MIN, imin INT_MAX) first.
void atomic_totals(const int* values, int n, AtomicTotals* totals, unsigned* cas_word,
                   cudaStream_t stream);

// order[k] = the index of the k-th block to start (thread 0 of each block takes a ticket).
void record_block_order(unsigned* order, unsigned* next, int blocks, cudaStream_t stream);

// ---- Launches, faults, streams (misc_kernels.cu) ----
// out[i] = i for i < n + extra with one block of `threads`; extra > 0 writes past the end.
void write_indices(float* out, int n, int extra, int threads, cudaStream_t stream);
// out[i] = in[i] * factor + add, n elements.
void scale_add(const float* in, float* out, int n, float factor, float add, cudaStream_t stream);
// Launches a kernel with this configuration; it writes 1.f to out[blockIdx.x] from thread 0 and
// fills the dynamic shared memory it was given. Throws senti::Error on a launch error.
void configured_launch(dim3 grid, dim3 block, size_t dynamic_shared, float* out,
                       cudaStream_t stream);
// Launches that kernel with `blocks` blocks (an integer count, as kernels/ pass them) of 32 threads.
void launch_blocks(int64_t blocks, float* out);
// cudaFuncSetAttribute(MaxDynamicSharedMemorySize) for configured_launch's kernel.
cudaError_t allow_dynamic_shared(int bytes);
// A kernel that spins until *flag becomes nonzero (nobody sets it): for the watchdog.
void spin_until(const volatile int* flag, cudaStream_t stream);
// A kernel that calls __trap().
void trap_kernel(cudaStream_t stream);

}  // namespace senti::emu_test
