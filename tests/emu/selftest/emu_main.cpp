// main() of the emulated-device test binaries: GoogleTest, death tests re-executed in a fresh
// process (the emulator has a watchdog thread), and at the end the emulator's report of what ran as
// our kernels and what through a CPU stand-in.
#include <gtest/gtest.h>

#include <cstdio>

#include <senti_emu/control.h>

namespace {

class UsageReport : public ::testing::Environment {
 public:
  void TearDown() override { std::printf("%s", senti::emu::usage_report().c_str()); }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ::testing::AddGlobalTestEnvironment(new UsageReport);
  return RUN_ALL_TESTS();
}
