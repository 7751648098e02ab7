// --tokenizer through the built binary: a unicode run on Chinese and Japanese text records its
// tokenizer in the checkpoint, learns short CJK words (not whole sentences), and predict and eval
// tokenize with it; v1 and unicode get separate token caches; bad values and eval/--resume
// mismatches are refused naming the flag.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/run/checkpoint.h"
#include "host/text/unicode_tokenizer.h"
#include "test_env.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

std::string train_cmd(const std::string& data, const std::string& out, const std::string& cache,
                      const std::string& extra = "") {
  return test::senti_bin() + " train --device cpu --no-tensorboard --data " + data + " --out " + out +
         " --cache-dir " + cache + " --hidden 8 --embed 8 --maxlen 40 --num-words 2000 " +
         (extra.find("--epochs") == std::string::npos ? "--epochs 1 " : "") + extra;
}

// Chinese and Japanese reviews, no spaces: v1 sees each one as a single word.
std::string write_cjk_jsonl(const std::string& dir) {
  const std::vector<std::string> good = {"我喜欢这部电影", "这部电影很好看", "演员的表演很精彩",
                                         "この映画が大好きです", "とても面白い映画でした"};
  const std::vector<std::string> bad = {"我不喜欢这部电影", "这部电影很无聊", "故事太糟糕了",
                                        "この映画はつまらない", "とても退屈な映画でした"};
  const std::string path = dir + "/cjk.jsonl";
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < 12; ++i) {
    for (const std::string& t : good)
      out << nlohmann::json{{"text", t + "。" + std::to_string(i)}, {"label", "good"}}.dump() << "\n";
    for (const std::string& t : bad)
      out << nlohmann::json{{"text", t + "。" + std::to_string(i)}, {"label", "bad"}}.dump() << "\n";
  }
  return path;
}

int count_cache_files(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("tokens-", 0) == 0 && e.path().extension() == ".bin") ++n;
  return n;
}

bool is_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

TEST(TokenizerCli, UnicodeRunRecordsTokenizerLearnsCjkWordsAndPredictUsesIt) {
  const std::string dir = test::scratch_dir("tokenizer-unicode");
  const std::string data = write_cjk_jsonl(dir);
  const std::string cache = dir + "/cache";
  const std::string out = dir + "/run-unicode";
  std::string log;
  ASSERT_EQ(test::run_command(train_cmd(data, out, cache, "--tokenizer unicode --batch 8"), &log), 0) << log;

  const Checkpoint c = load_checkpoint(out);
  EXPECT_EQ(c.tokenizer, text::TokenizerKind::Unicode);
  EXPECT_EQ(c.tokenizer_version, static_cast<int>(text::kUnicodeTokenizerVersion));
  EXPECT_EQ(c.tokenizer_icu, text::unicode_tokenizer_icu_version());
  // Short CJK words (at most 3 characters, 9 bytes of UTF-8), never a whole review.
  int short_cjk = 0;
  for (const std::string& w : c.vocab.words) {
    EXPECT_EQ(w.find("我喜欢这部电影"), std::string::npos) << w;
    EXPECT_EQ(w.find("この映画が大好きです"), std::string::npos) << w;
    if (!w.empty() && !is_ascii(w) && w.size() <= 9) ++short_cjk;
  }
  EXPECT_GE(short_cjk, 5) << "vocabulary of " << c.vocab.words.size() << " words";
  for (const std::string w : {"电影", "映画"})
    EXPECT_NE(std::find(c.vocab.words.begin(), c.vocab.words.end(), w), c.vocab.words.end()) << w;

  // predict cuts the text with the checkpoint's tokenizer: several known words, not one OOV "word".
  ASSERT_EQ(test::run_command(test::senti_bin() + " predict --device cpu -q --json --ids --checkpoint " + out +
                                  " '我喜欢这部电影'",
                              &log),
            0)
      << log;
  const nlohmann::json line = nlohmann::json::parse(log.substr(log.find('{')));
  const int length = line.at("length").get<int>();
  EXPECT_GE(length, 4) << log;  // start token + 我 喜欢 这 部 电影 (ICU's dictionary)
  int oov = 0;
  for (int k = 0; k < length; ++k) oov += line.at("ids").at(k).get<int>() == 2;
  EXPECT_EQ(oov, 0) << log;
  EXPECT_TRUE(line.at("label") == "good" || line.at("label") == "bad") << log;

  // eval rebuilds the corpus with the checkpoint's tokenizer (else the vocabulary would differ)...
  ASSERT_EQ(test::run_command(test::senti_bin() + " eval --device cpu --checkpoint " + out + " --data " + data +
                                  " --cache-dir " + cache,
                              &log),
            0)
      << log;
  // ... and takes no --tokenizer of its own.
  EXPECT_NE(test::run_command(test::senti_bin() + " eval --device cpu --checkpoint " + out + " --data " + data +
                                  " --cache-dir " + cache + " --tokenizer unicode",
                              &log),
            0);
  EXPECT_NE(log.find("--tokenizer"), std::string::npos) << log;

  // --resume with another tokenizer is refused.
  EXPECT_NE(test::run_command(train_cmd(data, out, cache, "--tokenizer v1 --batch 8 --epochs 2 --resume"), &log), 0);
  EXPECT_NE(log.find("tokenizer"), std::string::npos) << log;
  ASSERT_EQ(test::run_command(train_cmd(data, out, cache, "--tokenizer unicode --batch 8 --epochs 2 --resume"), &log),
            0)
      << log;
  EXPECT_EQ(load_checkpoint(out).tokenizer, text::TokenizerKind::Unicode);
}

TEST(TokenizerCli, V1StaysTheDefaultAndGetsItsOwnCache) {
  const std::string dir = test::scratch_dir("tokenizer-caches");
  const std::string data = write_cjk_jsonl(dir);
  const std::string cache = dir + "/cache";
  std::string log;
  ASSERT_EQ(test::run_command(train_cmd(data, dir + "/run-v1", cache, "--batch 8"), &log), 0) << log;
  EXPECT_EQ(count_cache_files(cache), 1);
  const Checkpoint v1 = load_checkpoint(dir + "/run-v1");
  EXPECT_EQ(v1.tokenizer, text::TokenizerKind::V1);
  EXPECT_EQ(v1.tokenizer_version, static_cast<int>(text::kTokenizerVersion));
  EXPECT_TRUE(v1.tokenizer_icu.empty());
  // v1 keeps each review whole ("。" is no v1 separator): the vocabulary holds the sentences.
  EXPECT_NE(std::find_if(v1.vocab.words.begin(), v1.vocab.words.end(),
                         [](const std::string& w) { return w.rfind("我喜欢这部电影", 0) == 0; }),
            v1.vocab.words.end());

  ASSERT_EQ(test::run_command(train_cmd(data, dir + "/run-unicode", cache, "--batch 8 --tokenizer unicode"), &log), 0)
      << log;
  EXPECT_EQ(count_cache_files(cache), 2);
  EXPECT_NE(log.find("built token cache"), std::string::npos) << log;  // not v1's cache reused
  // The same again uses its own cache.
  ASSERT_EQ(test::run_command(train_cmd(data, dir + "/run-unicode2", cache, "--batch 8 --tokenizer unicode"), &log),
            0)
      << log;
  EXPECT_NE(log.find("loaded token cache"), std::string::npos) << log;
  EXPECT_EQ(count_cache_files(cache), 2);
  EXPECT_NE(load_checkpoint(dir + "/run-unicode").vocab.hash(), v1.vocab.hash());
}

TEST(TokenizerCli, BadTokenizerNamesTheFlagAndTheChoices) {
  const std::string dir = test::scratch_dir("tokenizer-bad");
  const std::string data = write_cjk_jsonl(dir);
  std::string log;
  EXPECT_NE(test::run_command(train_cmd(data, dir + "/run", dir + "/cache", "--tokenizer icu"), &log), 0);
  EXPECT_NE(log.find("--tokenizer icu"), std::string::npos) << log;
  EXPECT_NE(log.find("v1 or unicode"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(dir + "/run/latest.safetensors"));
}

TEST(TokenizerCli, CheckpointWithAnUnknownTokenizerIsRefusedNamingTheFile) {
  const std::string dir = test::scratch_dir("tokenizer-ckpt");
  const std::string data = write_cjk_jsonl(dir);
  std::string log;
  ASSERT_EQ(test::run_command(train_cmd(data, dir + "/run", dir + "/cache", "--tokenizer unicode --batch 8"), &log),
            0)
      << log;
  Checkpoint c = load_checkpoint(dir + "/run");
  // Another ICU: the tokens may differ, so predict refuses it.
  c.tokenizer_icu = "ICU 1.0, Unicode 1.0";
  const std::string other = dir + "/other-icu.safetensors";
  save_checkpoint(other, c);
  EXPECT_NE(test::run_command(test::senti_bin() + " predict --device cpu -q --checkpoint " + other + " 'x'", &log), 0);
  EXPECT_NE(log.find(other), std::string::npos) << log;
  EXPECT_NE(log.find("ICU 1.0"), std::string::npos) << log;
  // Another unicode tokenizer version.
  c = load_checkpoint(dir + "/run");
  c.tokenizer_version = 99;
  save_checkpoint(other, c);
  EXPECT_NE(test::run_command(test::senti_bin() + " predict --device cpu -q --checkpoint " + other + " 'x'", &log), 0);
  EXPECT_NE(log.find("version 99"), std::string::npos) << log;
}

}  // namespace
}  // namespace senti
