#pragma once
// Pairwise (cascade) summation of a stream of equal-width float blocks: level k holds the sum of
// 2^k blocks, merged like a binary counter, so each block passes through about log2(blocks)
// additions instead of one per block that follows it (a running float sum's error grows with the
// count; this one with its logarithm). The order is fixed by the blocks' order alone, so results
// are deterministic. The CPU backend's long reductions use it (docs/performance.md, "Accurate
// sums"; tests/cpu/gradient_accuracy_test.cpp checks the result against float64).
#include <cstddef>
#include <cstdint>

namespace senti::cpu {

class CascadeSum {
 public:
  static constexpr int kMaxLevels = 32;  // 2^32 blocks

  // levels: room for levels_needed(blocks) · width floats, owned by the caller.
  CascadeSum(float* levels, size_t width) : levels_(levels), width_(width) {}

  // Levels a stream of `blocks` blocks needs.
  static int levels_needed(size_t blocks) {
    int k = 1;
    while (k < kMaxLevels && (size_t{1} << (k - 1)) < blocks) ++k;
    return k;
  }

  // Adds one block's sum (width floats; overwritten as scratch).
  void add(float* __restrict block) {
    int k = 0;
    for (; occupied_ & (1u << k); ++k) {
      const float* __restrict l = level(k);
      for (size_t i = 0; i < width_; ++i) block[i] = l[i] + block[i];
      occupied_ &= ~(1u << k);
    }
    float* __restrict dst = level(k);
    for (size_t i = 0; i < width_; ++i) dst[i] = block[i];
    occupied_ |= 1u << k;
  }

  // out[i * ld + j] (rows × cols = width) = the sum of every block added; smallest partials first.
  void finish(float* __restrict out, size_t rows, size_t cols, size_t ld) const {
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < cols; ++c) out[r * ld + c] = 0.f;
    for (int k = 0; k < kMaxLevels; ++k) {
      if (!(occupied_ & (1u << k))) continue;
      const float* __restrict l = level(k);
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) out[r * ld + c] += l[r * cols + c];
    }
  }

 private:
  float* level(int k) const { return levels_ + static_cast<size_t>(k) * width_; }
  float* levels_;
  size_t width_;
  uint32_t occupied_ = 0;
};

}  // namespace senti::cpu
