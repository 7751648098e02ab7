// Replays every fuzz target (tests/fuzz/targets.h) over its committed seed corpus
// (tests/fuzz/corpus/<target>/) and over the inputs of crashes fuzzing found
// (tests/fuzz/regressions/<target>/), in every build: in build-asan, under ASan and UBSan, an input
// that once crashed fails here again if its bug comes back. A failing property aborts the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "fuzz/targets.h"
#include "host/run/checkpoint.h"
#include "kernels/common/error.h"

namespace senti::fuzz {

// Test names and failure messages show the target's name (found by ADL, so outside the
// anonymous namespace).
void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_in(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

class FuzzReplay : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzReplay, SeedsAndRegressionInputsRunClean) {
  const fs::path root = fs::path(SENTI_SOURCE_DIR) / "tests" / "fuzz";
  const auto seeds = inputs_in(root / "corpus" / GetParam().name);
  EXPECT_FALSE(seeds.empty()) << "no seed corpus in " << (root / "corpus" / GetParam().name);
  auto all = seeds;
  for (const auto& f : inputs_in(root / "regressions" / GetParam().name)) all.push_back(f);
  for (const auto& f : all) {
    SCOPED_TRACE(f.string());
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(GetParam().run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace senti::fuzz

namespace senti {
namespace {

// Integer metadata must be a JSON integer that fits: 1e30 was an out-of-range float-to-int
// conversion (UBSan, in build-asan), and 2^32 + 40 wrapped to 40 and matched the tensors.
TEST(FuzzRegressions, CheckpointIntegerMetadataMustBeAnIntegerThatFits) {
  const std::string dir = std::string(SENTI_SOURCE_DIR) + "/tests/fuzz/regressions/checkpoint/";
  for (const char* file : {"model_vocab_size_1e30.safetensors",
                           "model_vocab_size_wraps_to_40.safetensors"}) {
    SCOPED_TRACE(file);
    try {
      (void)load_checkpoint(dir + file);
      ADD_FAILURE() << "loaded";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("'vocab_size' is"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("expected an integer"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace senti
