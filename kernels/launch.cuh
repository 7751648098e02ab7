#pragma once
// The one way senti launches a kernel, in both builds of kernels/*.cu:
//   nvcc (real GPU):          kernel<<<grid, block, dynamic_shared_bytes, stream>>>(args...)
//   g++ (SENTI_CUDA_EMU=1):   the emulated CUDA device in tests/emu (see docs/testing.md)
// g++ cannot parse <<<>>>, so kernel sources call senti::kernels::launch() instead:
//
//   launch(my_kernel, blocks, threads, dynamic_shared_bytes, stream, arg0, arg1, ...);
//
// Every launch is checked (cudaGetLastError: a bad configuration throws senti::Error naming the
// caller's file:line). With SENTI_CUDA_SYNC_CHECK=1 in the environment the launch also synchronises
// its stream, so a device fault (illegal address, failed barrier) is reported at the launch that
// caused it instead of at a later synchronisation; off by default (it serialises host and device).
//
// This header and tests/emu are the only places with #if SENTI_CUDA_EMU: kernel bodies are one
// source for both builds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <type_traits>
#include <utility>

#include <cuda_runtime.h>

#include "kernels/cuda_check.h"

#if SENTI_CUDA_EMU
#include <senti_emu/launch.h>
#endif

namespace senti::kernels {

// Where a launch was written: filled in at the call site by LaunchGrid's default arguments.
struct CallSite {
  const char* file;
  int line;
  const char* function;
};

// The grid of a launch (a dim3, or a block count) plus the caller's file:line. A count that does
// not fit CUDA's 2^31-1 blocks becomes an invalid (zero) grid, so the launch fails as CUDA's would
// instead of silently truncating.
class LaunchGrid {
 public:
  LaunchGrid(dim3 dims, const char* file = __builtin_FILE(), int line = __builtin_LINE(),
             const char* function = __builtin_FUNCTION())
      : dims_(dims), site_{file, line, function} {}
  template <typename Int, std::enable_if_t<std::is_integral_v<Int>, int> = 0>
  LaunchGrid(Int blocks, const char* file = __builtin_FILE(), int line = __builtin_LINE(),
             const char* function = __builtin_FUNCTION())
      : dims_(fits(blocks) ? static_cast<unsigned>(blocks) : 0u), site_{file, line, function} {}

  dim3 dims() const { return dims_; }
  const CallSite& site() const { return site_; }

 private:
  template <typename Int>
  static bool fits(Int n) {
    return n >= 0 && static_cast<uint64_t>(n) <= uint64_t{0x7fffffff};
  }
  dim3 dims_;
  CallSite site_;
};

namespace launch_detail {

inline bool sync_check_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("SENTI_CUDA_SYNC_CHECK");
    return v && v[0] == '1' && v[1] == '\0';
  }();
  return on;
}

inline void check_launch(cudaStream_t stream, const CallSite& at) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) cuda_detail::throw_cuda(e, "kernel launch", at.file, at.line);
  if (!sync_check_enabled()) return;
  cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &capturing) == cudaSuccess &&
      capturing != cudaStreamCaptureStatusNone)
    return;  // synchronising would invalidate a graph capture; the replay is checked instead
  const cudaError_t s = cudaStreamSynchronize(stream);
  if (s != cudaSuccess)
    cuda_detail::throw_cuda(s, "kernel (SENTI_CUDA_SYNC_CHECK=1: synchronised after launch)",
                            at.file, at.line);
}

}  // namespace launch_detail

// Launches `kernel` on `stream`; the arguments convert to the kernel's parameters as in a <<<>>>
// launch (copied at the call). Throws senti::Error on a launch error.
template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), LaunchGrid grid, dim3 block, size_t dynamic_shared_bytes,
            cudaStream_t stream, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args),
                "launch: the argument count differs from the kernel's parameter count");
#if SENTI_CUDA_EMU
  ::senti::emu::launch_kernel(kernel, grid.dims(), block, dynamic_shared_bytes, stream,
                              ::senti::emu::LaunchSite{grid.site().file, grid.site().line,
                                                       grid.site().function},
                              std::forward<Args>(args)...);
#else
  kernel<<<grid.dims(), block, dynamic_shared_bytes, stream>>>(std::forward<Args>(args)...);
#endif
  launch_detail::check_launch(stream, grid.site());
}

}  // namespace senti::kernels

// Declares `T* name` pointing at the block's dynamic shared memory (the launch's
// dynamic_shared_bytes; 16-byte aligned). Use instead of `extern __shared__ T name[];`.
#if SENTI_CUDA_EMU
#define SENTI_DYNAMIC_SHARED(T, name) T* name = static_cast<T*>(::senti::emu::dynamic_shared())
#else
#define SENTI_DYNAMIC_SHARED(T, name)                                  \
  extern __shared__ __align__(16) unsigned char senti_dynamic_shared_[]; \
  T* name = reinterpret_cast<T*>(senti_dynamic_shared_)
#endif

// `#pragma unroll` for nvcc (register arrays indexed by a loop counter stay in registers only
// when the loop is unrolled); nothing for the emulator's host compiler, which does not know it.
#if SENTI_CUDA_EMU
#define SENTI_UNROLL
#else
#define SENTI_UNROLL _Pragma("unroll")
#endif
