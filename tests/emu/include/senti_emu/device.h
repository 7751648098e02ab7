#pragma once
// Emulated CUDA device: the CUDA language subset that kernels/*.cu use, for g++. Included through
// <cuda_runtime.h>. Every CUDA thread is a fiber (tests/emu/block_runner.cpp), so the built-in
// indices are per fiber, __syncthreads() is a real barrier and the warp functions really meet.
//
// Checked here or in the runtime (a failure is a device fault: cudaErrorLaunchFailure with a
// message naming the block, thread and file:line):
//   __syncthreads   reached by every thread of the block, at the same call site
//   warp functions  the caller is in its mask; every lane named in the mask arrives, at the same
//                   call with the same mask; a lane read outside the mask returns garbage (NaN)
// Not modelled: timing, warp-synchronous code without *_sync, memory-model subtleties (atomics are
// acq_rel, fences are compiler barriers; blocks of one kernel run one after the other).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "cuda_runtime_api.h"

// Qualifiers. __shared__ variables are function-local statics in one linker section that the
// runtime fills with 0xFF bytes (NaN, -1, an invalid bool) at the start of every block, so a read
// of shared memory no thread of this block wrote shows up. Dynamic shared memory:
// SENTI_DYNAMIC_SHARED in kernels/launch.cuh.
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static __attribute__((section("senti_emu_shared")))
#define __constant__
#define __managed__
#define __device_builtin__

namespace senti::emu {

// What a kernel sees of the thread running it (set by the block runner for each fiber).
struct ThreadContext {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
};
extern __thread const ThreadContext* tls_thread;
inline const ThreadContext& this_thread() { return *tls_thread; }

enum class WarpOp : int {
  Shfl, ShflUp, ShflDown, ShflXor, Ballot, Any, All, ReduceAdd, ReduceMin, ReduceMax, SyncWarp
};
enum class BarrierOp : int { Plain, Count, And, Or };

// Implemented by the block runner; called on the fiber of the CUDA thread.
int barrier(BarrierOp op, int predicate, const char* file, int line);
uint64_t warp_collective(WarpOp op, unsigned mask, uint64_t bits, int bytes, int arg, int width,
                         const char* file, int line);
unsigned active_mask();
void yield_thread();
[[noreturn]] void trap(const char* file, int line);
void* dynamic_shared();

template <typename T>
T warp_value(WarpOp op, unsigned mask, T v, int arg, int width, const char* file, int line) {
  static_assert(std::is_arithmetic_v<T> && sizeof(T) <= 8, "warp functions take scalars");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  bits = warp_collective(op, mask, bits, static_cast<int>(sizeof(T)), arg, width, file, line);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

template <typename T>
T atomic_update(T* p, T (*f)(T, T), T v) {  // CAS loop for the operations without a builtin
  T old;
  __atomic_load(p, &old, __ATOMIC_RELAXED);
  T desired;
  do {
    desired = f(old, v);
  } while (!__atomic_compare_exchange(p, &old, &desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
  return old;
}

}  // namespace senti::emu

#define threadIdx (::senti::emu::this_thread().thread_idx)
#define blockIdx (::senti::emu::this_thread().block_idx)
#define blockDim (::senti::emu::this_thread().block_dim)
#define gridDim (::senti::emu::this_thread().grid_dim)
constexpr int warpSize = 32;

// ---- Synchronisation --------------------------------------------------------------------------
inline void __syncthreads(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  ::senti::emu::barrier(::senti::emu::BarrierOp::Plain, 0, file, line);
}
inline int __syncthreads_count(int p, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::senti::emu::barrier(::senti::emu::BarrierOp::Count, p, file, line);
}
inline int __syncthreads_and(int p, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::senti::emu::barrier(::senti::emu::BarrierOp::And, p, file, line);
}
inline int __syncthreads_or(int p, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::senti::emu::barrier(::senti::emu::BarrierOp::Or, p, file, line);
}
inline void __syncwarp(unsigned mask = 0xffffffffu, const char* file = __builtin_FILE(),
                       int line = __builtin_LINE()) {
  ::senti::emu::warp_collective(::senti::emu::WarpOp::SyncWarp, mask, 0, 0, 0, 32, file, line);
}
// Fences: blocks and fibers run one at a time, so a compiler barrier is all a fence needs to be.
inline void __threadfence() { __asm__ __volatile__("" ::: "memory"); }
inline void __threadfence_block() { __asm__ __volatile__("" ::: "memory"); }
inline void __threadfence_system() { __asm__ __volatile__("" ::: "memory"); }
// Lets the other threads of the block run (a spin-wait with __nanosleep makes progress).
inline void __nanosleep(unsigned) { ::senti::emu::yield_thread(); }
[[noreturn]] inline void __trap(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  ::senti::emu::trap(file, line);
}

// ---- Warp functions ---------------------------------------------------------------------------
template <typename T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32,
              const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::senti::emu::warp_value(::senti::emu::WarpOp::Shfl, mask, var, src_lane, width, file, line);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32,
                 const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::senti::emu::warp_value(::senti::emu::WarpOp::ShflUp, mask, var, static_cast<int>(delta),
                                  width, file, line);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32,
                   const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::senti::emu::warp_value(::senti::emu::WarpOp::ShflDown, mask, var,
                                  static_cast<int>(delta), width, file, line);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32,
                  const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::senti::emu::warp_value(::senti::emu::WarpOp::ShflXor, mask, var, lane_mask, width, file, line);
}
inline unsigned __ballot_sync(unsigned mask, int pred, const char* file = __builtin_FILE(),
                              int line = __builtin_LINE()) {
  return static_cast<unsigned>(::senti::emu::warp_collective(
      ::senti::emu::WarpOp::Ballot, mask, pred != 0, 4, 0, 32, file, line));
}
inline int __any_sync(unsigned mask, int pred, const char* file = __builtin_FILE(),
                      int line = __builtin_LINE()) {
  return static_cast<int>(::senti::emu::warp_collective(::senti::emu::WarpOp::Any, mask, pred != 0,
                                                        4, 0, 32, file, line));
}
inline int __all_sync(unsigned mask, int pred, const char* file = __builtin_FILE(),
                      int line = __builtin_LINE()) {
  return static_cast<int>(::senti::emu::warp_collective(::senti::emu::WarpOp::All, mask, pred != 0,
                                                        4, 0, 32, file, line));
}
#define SENTI_EMU_WARP_REDUCE(name, op)                                                         \
  inline unsigned name(unsigned mask, unsigned v, const char* file = __builtin_FILE(),        \
                       int line = __builtin_LINE()) {                                         \
    return ::senti::emu::warp_value(op, mask, v, 0, 32, file, line);                           \
  }                                                                                           \
  inline int name(unsigned mask, int v, const char* file = __builtin_FILE(),                  \
                  int line = __builtin_LINE()) {                                              \
    return ::senti::emu::warp_value(op, mask, v, /*signed=*/1, 32, file, line);                \
  }
SENTI_EMU_WARP_REDUCE(__reduce_add_sync, ::senti::emu::WarpOp::ReduceAdd)
SENTI_EMU_WARP_REDUCE(__reduce_min_sync, ::senti::emu::WarpOp::ReduceMin)
SENTI_EMU_WARP_REDUCE(__reduce_max_sync, ::senti::emu::WarpOp::ReduceMax)
#undef SENTI_EMU_WARP_REDUCE
// The lanes of this warp that have not exited (the emulator has no notion of divergence).
inline unsigned __activemask() { return ::senti::emu::active_mask(); }

#include "senti_emu/device_builtins.h"
