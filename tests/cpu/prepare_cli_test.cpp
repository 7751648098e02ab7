// `senti prepare` end to end through the built binary: report, exit codes, messages naming the
// file or flag, and no partial cache left behind on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data_synthetic_test.h"
#include "test_env.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

int prepare(const std::string& args, std::string* out) {
  return test::run_command(test::senti_bin() + " prepare " + args, out);
}

std::string cache_files(const std::string& dir) {
  std::string names;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it)
    names += it->path().filename().string() + " ";
  return names;
}

TEST(PrepareCli, ReportsCountsVocabularyLengthsAndTime) {
  const std::string data = test::scratch_dir("cli-data");
  test::write_targz(data + "/small.tar.gz", test::small_aclimdb());
  const std::string out_dir = test::scratch_dir("cli-out") + "/cache";
  std::string out;
  ASSERT_EQ(prepare("--data " + data + "/small.tar.gz --out " + out_dir + " --maxlen 4", &out), 0) << out;
  EXPECT_NE(out.find("train 6 documents: 3 neg (50.0%) / 3 pos (50.0%)"), std::string::npos) << out;
  EXPECT_NE(out.find("test  6 documents: 3 neg (50.0%) / 3 pos"), std::string::npos) << out;
  EXPECT_NE(out.find("median"), std::string::npos) << out;
  EXPECT_NE(out.find("p90"), std::string::npos) << out;
  EXPECT_NE(out.find("truncated at maxlen 4"), std::string::npos) << out;
  EXPECT_NE(out.find("vocabulary: ids < 10,000"), std::string::npos) << out;
  EXPECT_NE(out.find("time:"), std::string::npos) << out;
  EXPECT_EQ(test::count_files(out_dir), 1u) << cache_files(out_dir);
}

TEST(PrepareCli, RealDataTwoRunsGiveIdenticalCacheBytes) {
  if (!fs::exists(test::imdb_archive())) GTEST_SKIP() << "IMDB archive not found at " << test::imdb_archive();
  const std::string a = test::scratch_dir("cli-real-a"), b = test::scratch_dir("cli-real-b");
  std::string out;
  ASSERT_EQ(prepare("--data " + test::imdb_archive() + " --out " + a, &out), 0) << out;
  EXPECT_NE(out.find("train 25,000 documents: 12,500 neg (50.0%) / 12,500 pos (50.0%)"), std::string::npos) << out;
  EXPECT_NE(out.find("test  25,000 documents: 12,500 neg (50.0%) / 12,500 pos (50.0%)"), std::string::npos) << out;
  EXPECT_NE(out.find("9,997 words from id 3"), std::string::npos) << out;
  ASSERT_EQ(prepare("--data " + test::imdb_archive() + " --cache-dir " + b, &out), 0) << out;
  ASSERT_EQ(test::count_files(a), 1u);
  const std::string name = fs::directory_iterator(a)->path().filename().string();
  ASSERT_TRUE(fs::exists(b + "/" + name)) << cache_files(b);
  const std::string bytes = test::read_bytes(a + "/" + name);
  EXPECT_GT(bytes.size(), 10u << 20);
  EXPECT_TRUE(bytes == test::read_bytes(b + "/" + name)) << "cache bytes differ between two runs";
}

struct BadCase {
  const char* what;
  std::string args;
  std::string expect_in_message;
};

TEST(PrepareCli, BadInputExitsNonZeroWithAClearMessageAndNoCache) {
  const std::string data = test::scratch_dir("cli-bad");
  test::write_tree(data + "/good", test::small_aclimdb());
  test::write_tree(data + "/other", {{"pictures/cat.jpg", "jpeg"}});
  test::write_targz(data + "/good.tar.gz", test::small_aclimdb());
  const std::string bytes = test::read_bytes(data + "/good.tar.gz");
  { std::ofstream(data + "/truncated.tar.gz", std::ios::binary) << bytes.substr(0, bytes.size() - 40); }
  { std::ofstream(data + "/plain-file") << "x"; }
  const std::string good = data + "/good";
  const std::vector<BadCase> cases = {
      {"missing path", "--data " + data + "/nope", data + "/nope: no such file"},
      {"not aclImdb, no documents", "--data " + data + "/other", "pictures has no .txt documents"},
      {"truncated archive", "--data " + data + "/truncated.tar.gz", "corrupt or truncated"},
      {"num-words below 4", "--data " + good + " --num-words 3", "--num-words must be in 4..16777216"},
      {"maxlen 0", "--data " + good + " --maxlen 0", "--maxlen must be a sequence length in 1..65536, got 0"},
      {"bad padding", "--data " + good + " --padding middle", "--padding middle: expected pre or post"},
      {"bad word index", "--data " + good + " --word-index " + data + "/plain-file", "--word-index"},
  };
  for (const BadCase& c : cases) {
    const std::string out_dir = test::scratch_dir("cli-bad-out");
    std::string out;
    EXPECT_EQ(prepare(c.args + " --out " + out_dir, &out), 2) << c.what << ": " << out;
    EXPECT_NE(out.find(c.expect_in_message), std::string::npos) << c.what << ": " << out;
    EXPECT_EQ(test::count_files(out_dir), 0u) << c.what << " left " << cache_files(out_dir);
  }
  // An output folder that cannot be created (below a regular file).
  std::string out;
  EXPECT_EQ(prepare("--data " + good + " --out " + data + "/plain-file/cache", &out), 2) << out;
  EXPECT_NE(out.find("--out " + data + "/plain-file/cache"), std::string::npos) << out;
}

}  // namespace
}  // namespace senti
