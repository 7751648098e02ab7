// `senti train --ngrams` end to end through the binary on the real IMDB data: the checkpoint
// records the n-gram settings, `senti eval` reproduces the trainer's test figures from it, a resume
// with other n-gram settings is refused, and out-of-range values are errors naming the flag.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "host/run/checkpoint.h"
#include "test_env.h"
#include "train_cli_util.h"

namespace senti {
namespace {

using test::read_jsonl;
using test::train_cmd;

TEST(NgramCli, CheckpointEvalAndResumeKeepTheNgramSettings) {
  const std::string out = test::scratch_dir("train-ngrams");
  const std::string common =
      "--limit 600 --maxlen 60 --batch 32 --embed 8 --hidden 4 --seed 3 --mask --test-limit 400";
  std::string log;
  ASSERT_EQ(test::run_command(train_cmd(out, common + " --ngrams 2 --ngram-buckets 4096 --epochs 1"), &log),
            0)
      << log;
  EXPECT_NE(log.find("multi_hot(1..2-grams, 14096)"), std::string::npos) << log;
  const Checkpoint c = load_checkpoint(out);
  EXPECT_EQ(c.model.ngrams, 2);
  EXPECT_EQ(c.model.ngram_buckets, 4096);
  EXPECT_EQ(c.state.params.size(), ParamLayout(c.model).total());
  const auto recs = read_jsonl(out + "/metrics.jsonl");
  ASSERT_EQ(recs.size(), 2u) << log;  // the epoch, then the test split
  ASSERT_TRUE(recs[1].contains("test_loss")) << recs[1].dump();

  // eval rebuilds the n-gram model from the checkpoint: the trainer's test figures again.
  std::string eval_log;
  ASSERT_EQ(test::run_command(test::senti_bin() + " eval --device cpu --json --batch 32 --limit 400 " +
                                  "--checkpoint " + out + " --data " + test::imdb_archive(),
                              &eval_log),
            0)
      << eval_log;
  const auto j = nlohmann::json::parse(eval_log.substr(eval_log.find('{')));
  EXPECT_NEAR(j["test_acc"].get<double>(), recs[1]["test_acc"].get<double>(), 1e-12);
  EXPECT_NEAR(j["test_loss"].get<double>(), recs[1]["test_loss"].get<double>(), 1e-6);

  // Resuming with other n-gram settings is refused, naming them; the checkpoint is kept.
  const std::pair<const char*, const char*> others[] = {{"--ngrams 3 --ngram-buckets 4096", "ngrams"},
                                                         {"--ngrams 0 --ngram-buckets 4096", "ngrams"},
                                                         {"--ngrams 2 --ngram-buckets 2048", "ngram_buckets"}};
  for (const auto& [other, named] : others) {
    ASSERT_NE(test::run_command(train_cmd(out, common + " " + other + " --epochs 2 --resume"), &log), 0)
        << other;
    EXPECT_NE(log.find(named), std::string::npos) << other << ": " << log;
  }
  EXPECT_EQ(load_checkpoint(out).state.params, c.state.params);
}

TEST(NgramCli, OutOfRangeValuesNameTheFlag) {
  const std::string out = test::scratch_dir("ngram-bad");
  const std::string data = " --data " + test::imdb_archive() + " --device cpu --out " + out + "/run";
  const std::pair<std::string, const char*> cases[] = {
      {"--ngrams 4", "--ngrams"},
      {"--ngrams -1", "--ngrams"},
      {"--ngram-buckets 0", "--ngram-buckets"},
      {"--ngrams 2 --ngram-buckets -5", "--ngram-buckets"},
  };
  for (const auto& [args, expect] : cases) {
    std::string log;
    EXPECT_NE(test::run_command(test::senti_bin() + " train " + args + data, &log), 0) << args;
    EXPECT_NE(log.find(expect), std::string::npos) << args << ": " << log;
    EXPECT_FALSE(std::filesystem::exists(out + "/run")) << args;
  }
}

}  // namespace
}  // namespace senti
