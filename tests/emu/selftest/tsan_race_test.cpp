// ThreadSanitizer build only: the planted shared-memory race (no __syncthreads between the stores
// and the reads) is reported as a data race in the kernel, and the correct kernel is race-free
// (any report would fail this binary's exit status).
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "emu_kernels.h"
#include "emu_test_util.h"

namespace senti::emu_test {
namespace {

void sums(bool barrier) {
  std::vector<float> in(4 * 256, 1.f);
  auto d_in = test::to_device(in);
  cuda::DeviceBuffer<float> d_out(4);
  block_sums(d_in.get(), d_out.get(), 4, 256, barrier, nullptr);
  const std::vector<float> out = test::to_host(d_out);
  if (barrier) {
    EXPECT_EQ(out[3], 256.f);
  }
}

TEST(EmuTsanRace, MissingSyncthreadsIsReportedAsADataRace) {
  setenv("TSAN_OPTIONS", "halt_on_error=1", 1);  // the re-executed child stops at the first report
  EXPECT_EXIT(
      {
        sums(false);
        std::exit(0);
      },
      ::testing::ExitedWithCode(66), "ThreadSanitizer: data race.*block_sums_kernel");
  unsetenv("TSAN_OPTIONS");
}

TEST(EmuTsanRace, WithTheBarrierThereIsNoRace) { sums(true); }

}  // namespace
}  // namespace senti::emu_test
