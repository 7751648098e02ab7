// Warp functions on the emulated device against CUDA's documented semantics (computed here
// independently), and the mask misuses, each a device fault naming the lanes.
#include <gtest/gtest.h>

#include <vector>

#include "emu_kernels.h"
#include "emu_test_util.h"

namespace senti::emu_test {
namespace {

using test::to_device;
using test::to_host;

// CUDA's rules for a shuffle within segments of `width` lanes; -1 = the caller's own value.
int source(int k, int lane, int width) {
  const int seg = lane & ~(width - 1), in_seg = lane & (width - 1);
  switch (k) {
    case 0: return seg + (((lane + 3) % 32) & (width - 1));
    case 1: return in_seg - 2 < 0 ? -1 : lane - 2;
    case 2: return in_seg + 5 >= width ? -1 : lane + 5;
    default: {
      const int src = lane ^ 6;
      return src >= seg + width ? -1 : src;
    }
  }
}

void check_warp_functions(int threads, int width) {
  std::vector<int> in(threads);
  for (int i = 0; i < threads; ++i) in[i] = (i * 37) % 101;
  auto d_in = to_device(in);
  cuda::DeviceBuffer<int> d_out(static_cast<size_t>(threads) * 9);
  warp_functions(d_in.get(), d_out.get(), threads, width, nullptr);
  const std::vector<int> out = to_host(d_out);
  for (int i = 0; i < threads; ++i) {
    const int lane = i % 32, base = i - lane, lanes = std::min(32, threads - base);
    for (int k = 0; k < 4; ++k) {
      const int src = source(k, lane, width);
      const int want = src < 0 ? in[i] : in[base + src];
      ASSERT_LT(src, lanes) << "the test reads outside the warp";
      EXPECT_EQ(out[i * 9 + k], want) << "thread " << i << " function " << k << " width " << width;
    }
    unsigned ballot = 0;
    int any = 0, all = 1, sum = 0;
    for (int l = 0; l < lanes; ++l) {
      const int v = in[base + l];
      ballot |= static_cast<unsigned>(v & 1) << l;
      any |= v > 1000;
      all &= v >= 0;
      sum += v;
    }
    EXPECT_EQ(static_cast<unsigned>(out[i * 9 + 4]), ballot) << "ballot, thread " << i;
    EXPECT_EQ(out[i * 9 + 5], any);
    EXPECT_EQ(out[i * 9 + 6], all);
    EXPECT_EQ(out[i * 9 + 7], sum) << "reduce_add, thread " << i;
    const int partner = (lane ^ 1) < lanes ? lane ^ 1 : lane;
    EXPECT_EQ(out[i * 9 + 8], in[base + partner]) << "__syncwarp exchange, thread " << i;
  }
}

TEST(EmuWarp, ShufflesVotesAndReductionsFullWarps) {
  check_warp_functions(64, 32);
  check_warp_functions(64, 8);
}

TEST(EmuWarp, PartialLastWarp) { check_warp_functions(48, 16); }

// The dense_bce reduction pattern gives exactly the tree-order float sum.
TEST(EmuWarp, ShuffleDownTreeSum) {
  std::vector<float> in(256);
  for (int i = 0; i < 256; ++i) in[i] = 1.f / static_cast<float>(i + 1);
  auto d_in = to_device(in);
  cuda::DeviceBuffer<float> d_out(8);
  warp_sums(d_in.get(), d_out.get(), 256, nullptr);
  const std::vector<float> got = to_host(d_out);
  for (int w = 0; w < 8; ++w) {
    std::vector<float> v(in.begin() + 32 * w, in.begin() + 32 * (w + 1));
    for (int off = 16; off > 0; off >>= 1)
      for (int l = 0; l < 32; ++l) v[l] += l + off < 32 ? v[l + off] : v[l];
    EXPECT_EQ(got[w], v[0]) << "warp " << w;
  }
}

TEST(EmuWarp, HalfWarpMasksAreIndependent) {
  cuda::DeviceBuffer<float> out(32);
  misuse_shuffle(out.get(), MaskDefect::None, nullptr);
  const std::vector<float> got = to_host(out);
  for (int l = 0; l < 32; ++l) ASSERT_EQ(got[l], static_cast<float>(l ^ 1));
}

TEST(EmuWarp, LaneNamedInTheMaskExitsFaults) {
  ResetDeviceAtEnd reset;
  cuda::DeviceBuffer<float> out(32);
  misuse_shuffle(out.get(), MaskDefect::LaneExits, nullptr);
  EXPECT_TRUE(faults_with(cudaErrorLaunchFailure, "__shfl_sync"));
}

TEST(EmuWarp, LaneOutsideItsOwnMaskFaults) {
  ResetDeviceAtEnd reset;
  cuda::DeviceBuffer<float> out(32);
  misuse_shuffle(out.get(), MaskDefect::LaneExcludesItself, nullptr);
  EXPECT_TRUE(faults_with(cudaErrorLaunchFailure, "does not include the calling lane"));
}

TEST(EmuWarp, DifferentMasksFault) {
  ResetDeviceAtEnd reset;
  cuda::DeviceBuffer<float> out(32);
  misuse_shuffle(out.get(), MaskDefect::MasksDiffer, nullptr);
  EXPECT_TRUE(faults_with(cudaErrorLaunchFailure, "must all pass the same mask"));
}

TEST(EmuWarp, LaneMissingFromTheShuffleDeadlockFaults) {
  ResetDeviceAtEnd reset;
  cuda::DeviceBuffer<float> out(32);
  misuse_shuffle(out.get(), MaskDefect::LaneElsewhere, nullptr);
  EXPECT_TRUE(faults_with(cudaErrorLaunchFailure, "lane 31 waits at __syncthreads"));
}

}  // namespace
}  // namespace senti::emu_test
