#pragma once
// Device-side pieces the fused LSTM kernels share (kernels/lstm_fused_forward.cu and
// kernels/lstm_fused_backward.cu): where each row's real steps are, the per-H configuration of the
// resident path, and the kernel argument packs. Internal to those two files.
#include <cstddef>
#include <cstdint>

#include "kernels/lstm_fused.cuh"

// Loop unrolling is a hint for nvcc only (the host compiler of the emulated device has its own
// pragma spelling and would warn about this one).
#if defined(__CUDACC__)
#define SENTI_UNROLL _Pragma("unroll")
#else
#define SENTI_UNROLL
#endif

namespace senti::kernels::fused {

constexpr int kMaxDirs = 2;
constexpr unsigned kFullWarp = 0xffffffffu;

struct ForwardArgs {
  FusedLstmBatch batch;
  FusedLstmForwardDir dir[kMaxDirs];
};
struct BackwardArgs {
  FusedLstmBatch batch;
  FusedLstmBackwardDir dir[kMaxDirs];
};

// Row b's real steps. Step k (0 <= k < len) is at position pos(k): increasing positions forward,
// decreasing when reverse. Padded positions are [pad_begin, pad_begin + T - len).
struct RowSteps {
  int len = 0, first = 0, pad_begin = 0;
  bool reverse = false;
  __device__ int pos(int k) const { return reverse ? first + len - 1 - k : first + k; }
};

__device__ __forceinline__ RowSteps row_steps(const FusedLstmBatch& bt, int b, bool reverse) {
  RowSteps r;
  int len = bt.lengths ? bt.lengths[b] : bt.T;
  len = len < 0 ? 0 : (len > bt.T ? bt.T : len);  // never index outside the row
  r.len = len;
  r.reverse = reverse;
  const bool pre = bt.padding == Padding::Pre;
  r.first = pre ? bt.T - len : 0;
  r.pad_begin = pre ? 0 : len;
  return r;
}

// Row (position, b) of a time-major [T, B, .] buffer.
__device__ __forceinline__ size_t tb_row(int pos, int B, int b) {
  return static_cast<size_t>(pos) * B + b;
}

// Zeroes columns [0, width) of row b at the padded positions of a [T, B, ld] buffer; the threads
// of the block stride over the elements.
__device__ __forceinline__ void zero_padded(float* buf, int ld, int width, const RowSteps& rs,
                                            int T, int B, int b) {
  if (!buf) return;
  const int64_t n = static_cast<int64_t>(T - rs.len) * width;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const int pos = rs.pad_begin + static_cast<int>(i / width);
    buf[tb_row(pos, B, b) * ld + i % width] = 0.f;
  }
}

// The resident path for hidden size H: 4H threads, thread t = 4u + q works on unit u (q = gate in
// forward, H-chunk of R's row u in backward). Each thread holds H values of R: the first
// kRegisterRows in registers, the rest in shared memory (bounded by the register file: 64 K
// registers per SM, 4H x (kRegisterRows + working set) must fit).
template <int H>
struct Resident {
  static constexpr int kThreads = 4 * H;
  static constexpr int kGates = 4 * H;
  static constexpr int kRegisterRows = H < 64 ? H : 64;
  static constexpr int kSharedRows = H - kRegisterRows;
  static constexpr int kMinBlocksPerSm = H <= 64 ? 2 : 1;  // two rows per SM at H <= 64
  static constexpr int kDzLd = H + 4;  // padded so the four chunks start on different banks
  static_assert(H % 4 == 0 && kThreads <= 1024, "resident path needs H % 4 == 0, 4H <= 1024");

  static constexpr size_t forward_shared_floats() {
    return 2 * static_cast<size_t>(H) + static_cast<size_t>(kSharedRows) * kGates;
  }
  static constexpr size_t backward_shared_floats() {
    return 2 * 4 * static_cast<size_t>(kDzLd) + static_cast<size_t>(kSharedRows) * kGates;
  }
};

// Generic path: threads per block for hidden size H (a multiple of 32, at most 1024).
inline int generic_threads(int H) {
  const int g = 4 * H;
  const int t = (g + 31) / 32 * 32;
  return t > 1024 ? 1024 : t;
}

}  // namespace senti::kernels::fused
