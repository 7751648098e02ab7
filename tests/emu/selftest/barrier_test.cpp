// __syncthreads on the emulated device: a true barrier (a shared-memory reduction is exact), the
// counting variants, and the misuses CUDA forbids, each a device fault with a clear message.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "emu_kernels.h"
#include "emu_test_util.h"

namespace senti::emu_test {
namespace {

using test::to_device;
using test::to_host;

std::vector<float> block_sums_of(int blocks, int threads, bool barrier) {
  std::vector<float> in(static_cast<size_t>(blocks) * threads);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i % 97);
  auto d_in = to_device(in);
  cuda::DeviceBuffer<float> d_out(blocks);
  block_sums(d_in.get(), d_out.get(), blocks, threads, barrier, nullptr);
  return to_host(d_out);
}

TEST(EmuBarrier, SharedMemoryReductionIsExact) {
  for (int threads : {32, 256, 1024}) {
    const std::vector<float> got = block_sums_of(3, threads, true);
    for (int b = 0; b < 3; ++b) {
      double want = 0;
      for (int t = 0; t < threads; ++t) want += (b * threads + t) % 97;
      EXPECT_EQ(got[b], static_cast<float>(want)) << "block " << b << ", " << threads << " threads";
    }
  }
}

// The planted defect "no __syncthreads between the shared stores and the reads": shared memory
// starts every block as garbage (NaN) and threads run in a shuffled order, so a read that overtakes
// its store is seen. (Under ThreadSanitizer the same defect is reported as a data race:
// tsan_race_test.cpp.)
TEST(EmuBarrier, MissingBarrierBeforeSharedReadIsSeen) {
  const std::vector<float> got = block_sums_of(4, 256, false);
  int wrong = 0;
  for (int b = 0; b < 4; ++b) {
    double want = 0;
    for (int t = 0; t < 256; ++t) want += (b * 256 + t) % 97;
    wrong += !(got[b] == static_cast<float>(want));
  }
  EXPECT_GT(wrong, 0) << "every block summed correctly without the barrier";
}

TEST(EmuBarrier, CountAndOrVariants) {
  const int blocks = 3, threads = 96;
  std::vector<int> pred(blocks * threads, 0);
  for (int t = 0; t < threads; ++t) pred[t] = t % 3 == 0;  // block 0: a third
  for (int t = 0; t < threads; ++t) pred[threads + t] = 1;  // block 1: all
  auto d_pred = to_device(pred);                           // block 2: none
  cuda::DeviceBuffer<int> d_out(3 * blocks);
  barrier_votes(d_pred.get(), d_out.get(), blocks, threads, nullptr);
  EXPECT_EQ(to_host(d_out), (std::vector<int>{32, 0, 1, 96, 1, 1, 0, 0, 0}));
}

TEST(EmuBarrier, CorrectUseRuns) {
  cuda::DeviceBuffer<int> out(64);
  misuse_barrier(out.get(), 64, BarrierDefect::None, nullptr);
  const std::vector<int> got = to_host(out);
  for (int t = 0; t < 64; ++t) ASSERT_EQ(got[t], (t + 1) % 64);
}

TEST(EmuBarrier, BarrierReachedByHalfTheBlockFaults) {
  ResetDeviceAtEnd reset;
  cuda::DeviceBuffer<int> out(64);
  misuse_barrier(out.get(), 64, BarrierDefect::HalfTheBlock, nullptr);
  EXPECT_TRUE(faults_with(cudaErrorLaunchFailure, "__syncthreads"));
  EXPECT_TRUE(faults_with(cudaErrorLaunchFailure, "sync_kernels.cu")) << "names the barrier's line";
  EXPECT_EQ(cudaGetLastError(), cudaErrorLaunchFailure) << "the fault is sticky";
}

TEST(EmuBarrier, BarrierAtTwoCallSitesFaults) {
  ResetDeviceAtEnd reset;
  cuda::DeviceBuffer<int> out(64);
  misuse_barrier(out.get(), 64, BarrierDefect::TwoCallSites, nullptr);
  EXPECT_TRUE(faults_with(cudaErrorLaunchFailure, "divergent barrier"));
}

TEST(EmuBarrier, ThreadExitingBeforeTheBarrierFaults) {
  ResetDeviceAtEnd reset;
  cuda::DeviceBuffer<int> out(64);
  misuse_barrier(out.get(), 64, BarrierDefect::EarlyExit, nullptr);
  EXPECT_TRUE(faults_with(cudaErrorLaunchFailure, "thread (0,0,0)"));
}

TEST(EmuBarrier, DeviceWorksAgainAfterReset) {
  {
    ResetDeviceAtEnd reset;
    cuda::DeviceBuffer<int> out(64);
    misuse_barrier(out.get(), 64, BarrierDefect::EarlyExit, nullptr);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaErrorLaunchFailure);
  }
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_EQ(block_sums_of(1, 64, true)[0], 2016.f);  // 0 + 1 + ... + 63
}

}  // namespace
}  // namespace senti::emu_test
