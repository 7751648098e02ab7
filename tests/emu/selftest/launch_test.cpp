// Kernel launches on the emulated device: sm_90's limits as cudaGetLastError errors (which
// kernels::launch turns into a senti::Error naming the caller), dynamic shared memory limits,
// memory faults (AddressSanitizer), kernel arguments that are host memory, __trap, the watchdog and
// SENTI_CUDA_SYNC_CHECK.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "emu_kernels.h"
#include "emu_test_util.h"
#include "kernels/common/error.h"

namespace senti::emu_test {
namespace {

using test::to_host;

// The launch error as kernels::launch reports it (its message), or "" when the launch succeeded.
std::string launch_error(dim3 grid, dim3 block, size_t dynamic_shared) {
  cuda::DeviceBuffer<float> out(4096);
  try {
    configured_launch(grid, block, dynamic_shared, out.get(), nullptr);
  } catch (const Error& e) {
    return e.what();
  }
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  return "";
}

TEST(EmuLaunch, LimitsOfAnSm90Device) {
  EXPECT_EQ(launch_error(1, 1024, 0), "");
  EXPECT_EQ(launch_error(dim3(2, 3, 4), dim3(8, 4, 2), 0), "");
  const std::string too_many = launch_error(1, 1025, 0);
  EXPECT_NE(too_many.find("cudaErrorInvalidConfiguration"), std::string::npos) << too_many;
  EXPECT_NE(too_many.find("misc_kernels.cu"), std::string::npos) << "names the launch: " << too_many;
  EXPECT_NE(too_many.find("(1025,1,1)"), std::string::npos) << too_many;
  const std::string too_many_2d = launch_error(1, dim3(33, 32), 0);
  EXPECT_NE(too_many_2d.find("1056 threads, more than 1024"), std::string::npos) << too_many_2d;
  for (dim3 bad_block : {dim3(32, 32, 2), dim3(1, 1, 65), dim3(2048, 1, 1), dim3(0, 1, 1)})
    EXPECT_NE(launch_error(1, bad_block, 0).find("cudaErrorInvalidConfiguration"), std::string::npos);
  for (dim3 bad_grid : {dim3(1, 65536, 1), dim3(1, 1, 65536), dim3(0, 1, 1)})
    EXPECT_NE(launch_error(bad_grid, 32, 0).find("cudaErrorInvalidConfiguration"), std::string::npos);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "a launch error is not sticky";
}

TEST(EmuLaunch, BlockCountsBeyondCudasLimitFailInsteadOfTruncating) {
  cuda::DeviceBuffer<float> out(4);
  EXPECT_NO_THROW(launch_blocks(4, out.get()));
  for (int64_t bad : {int64_t{1} << 32, int64_t{-1}, int64_t{0x80000000}}) {
    try {
      launch_blocks(bad, out.get());
      ADD_FAILURE() << bad << " blocks launched";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cudaErrorInvalidConfiguration"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}

TEST(EmuLaunch, DynamicSharedMemoryNeedsTheAttributeAbove48KiB) {
  EXPECT_EQ(launch_error(2, 128, 48 * 1024), "");
  const std::string e = launch_error(2, 128, 49 * 1024);
  EXPECT_NE(e.find("cudaErrorInvalidValue"), std::string::npos) << e;
  EXPECT_NE(e.find("cudaFuncSetAttribute"), std::string::npos) << "says how to fix it: " << e;
  ASSERT_EQ(allow_dynamic_shared(100 * 1024), cudaSuccess);
  EXPECT_EQ(launch_error(2, 128, 100 * 1024), "");
  EXPECT_NE(launch_error(2, 128, 101 * 1024).find("cudaErrorInvalidValue"), std::string::npos);
  EXPECT_EQ(allow_dynamic_shared(227 * 1024), cudaSuccess);
  EXPECT_EQ(launch_error(1, 64, 227 * 1024), "");
  EXPECT_EQ(allow_dynamic_shared(227 * 1024 + 1), cudaErrorInvalidValue) << "above sm_90's 227 KiB";
  cudaGetLastError();
  EXPECT_EQ(allow_dynamic_shared(48 * 1024), cudaSuccess);
}

// The planted out-of-bounds write: one element past a cudaMalloc block. AddressSanitizer aborts.
TEST(EmuLaunch, OutOfBoundsWriteIsCaughtByAddressSanitizer) {
  cuda::DeviceBuffer<float> out(100);
  write_indices(out.get(), 100, 0, 64, nullptr);  // in bounds: fine
  ASSERT_EQ(to_host(out)[99], 99.f);
  EXPECT_DEATH(
      {
        write_indices(out.get(), 100, 1, 64, nullptr);
        cudaDeviceSynchronize();
      },
      "heap-buffer-overflow.*write_indices_kernel");
}

TEST(EmuLaunch, KernelArgumentInPageableHostMemoryFaults) {
  ResetDeviceAtEnd reset;
  std::vector<float> host(100);
  write_indices(host.data(), 100, 0, 64, nullptr);  // a host pointer: no GPU could write it
  EXPECT_TRUE(faults_with(cudaErrorIllegalAddress, "parameter 0"));
}

TEST(EmuLaunch, PinnedHostMemoryIsAValidKernelArgument) {
  cuda::PinnedBuffer<float> pinned(100);
  write_indices(pinned.get(), 100, 0, 64, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(pinned.get()[42], 42.f);
}

TEST(EmuLaunch, TrapIsADeviceFault) {
  ResetDeviceAtEnd reset;
  trap_kernel(nullptr);
  EXPECT_TRUE(faults_with(cudaErrorLaunchFailure, "__trap() at"));
  EXPECT_EQ(cudaMemset(nullptr, 0, 0), cudaErrorLaunchFailure) << "sticky for every call";
}

TEST(EmuLaunch, WatchdogStopsAKernelThatNeverEnds) {
  setenv("SENTI_EMU_WATCHDOG_S", "1", 1);  // read by the re-executed death-test child
  cuda::DeviceBuffer<int> flag(1);
  ASSERT_EQ(cudaMemset(flag.get(), 0, sizeof(int)), cudaSuccess);
  EXPECT_DEATH(
      {
        spin_until(flag.get(), nullptr);
        cudaDeviceSynchronize();
      },
      "watchdog: kernel .*misc_kernels.cu.* has run for more than 1 s");
  unsetenv("SENTI_EMU_WATCHDOG_S");
}

// SENTI_CUDA_SYNC_CHECK=1: the fault is reported by the launch that caused it, with its line.
TEST(EmuLaunch, SyncCheckReportsTheFaultAtTheLaunch) {
  setenv("SENTI_CUDA_SYNC_CHECK", "1", 1);
  EXPECT_EXIT(
      {
        try {
          trap_kernel(nullptr);
        } catch (const Error& e) {
          std::fprintf(stderr, "caught: %s\n", e.what());
          std::exit(3);
        }
        std::exit(0);
      },
      ::testing::ExitedWithCode(3), "caught: .*misc_kernels.cu:[0-9]+: kernel \\(SENTI_CUDA_SYNC_CHECK");
  unsetenv("SENTI_CUDA_SYNC_CHECK");
}

}  // namespace
}  // namespace senti::emu_test
