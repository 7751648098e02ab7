// The audit's cases (issue 14), through the binary: each gives a clear error naming the flag or
// the file and exit != 0, or a correct result, and nothing is lost or overwritten. Trains only on
// 200 reviews of maxlen 30 (a fraction of a second an epoch).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data_synthetic_test.h"
#include "engine/safetensors.h"
#include "host/cli/data_flags.h"
#include "host/run/checkpoint.h"
#include "test_env.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

const std::string kSmall = " --limit 200 --maxlen 30 --batch 16 --test-limit 0";

std::string train(const std::string& out, const std::string& extra) {
  return test::senti_bin() + " train --device cpu --data " + test::imdb_archive() + " --out " + out +
         kSmall + " " + extra;
}

// Text no user should ever see: allocator and container internals, internal check failures.
void expect_no_internals(const std::string& log, const std::string& what) {
  for (const char* bad : {"bad_alloc", "_M_default_append", "max_size()", "check `", "terminate called",
                          "type must be number"})
    EXPECT_EQ(log.find(bad), std::string::npos) << what << ": " << log;
}

void expect_fails_with(const std::string& cmd, const std::string& needle, const std::string& what) {
  std::string log;
  EXPECT_NE(test::run_command(cmd, &log), 0) << what << ": " << log;
  EXPECT_NE(log.find(needle), std::string::npos) << what << ": " << log;
  expect_no_internals(log, what);
}

size_t lines_with(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

// One small trained run, shared (read-only) by the tests below.
class ReliabilityCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new std::string(test::scratch_dir("rel-base"));
    std::string log;
    ASSERT_EQ(test::run_command(train(*base_, "--epochs 1"), &log), 0) << log;
  }
  static void TearDownTestSuite() { delete base_; }
  // A copy of the shared run to resume or damage.
  static std::string copy_of_base(const std::string& tag) {
    const std::string dir = test::scratch_dir(tag) + "/run";
    fs::copy(*base_, dir);
    return dir;
  }
  static std::string* base_;
};
std::string* ReliabilityCli::base_ = nullptr;

TEST_F(ReliabilityCli, NonFiniteOrAbsurdSettingsAreRefusedNamingTheFlag) {
  const std::string out = test::scratch_dir("rel-flags") + "/run";
  const std::pair<std::string, std::string> cases[] = {
      {"--clipnorm nan", "--clipnorm"},
      {"--clipnorm inf", "--clipnorm"},
      {"--clipnorm 0 --global-clipnorm nan", "--global-clipnorm"},
      {"--clipnorm 0 --global-clipnorm inf", "--global-clipnorm"},
      {"--epsilon inf", "--epsilon"},
      {"--lr inf", "--lr"},
      {"--lr 3.4e38", "--lr"},
      {"--validation-split nan", "--validation-split"},
      {"--seed -1", "--seed"},
      {"--log-every -1", "--log-every"},
      {"--max-loss -1", "--max-loss"},
      {"--hidden 100000000", "--hidden"},
      {"--embed 2000000000", "--embed"},
      {"--num-words 2000000000", "--num-words"},
      {"--epochs 0", "--epochs"},
      {"--metrics ''", "--metrics"},
  };
  for (const auto& [flags, flag] : cases) {
    expect_fails_with(train(out, "--epochs 1 " + flags), flag, flags);
    EXPECT_FALSE(fs::exists(out)) << flags << ": left a folder behind";
  }
  // Flags kSmall sets, and the ones that locate things, tried alone.
  const std::string data = " --device cpu --data " + test::imdb_archive() + " --limit 200 --test-limit 0 ";
  const std::string bin = test::senti_bin() + " train --out " + out + data;
  expect_fails_with(bin + "--maxlen 30 --batch 1000000000", "--batch", "--batch 1e9");
  expect_fails_with(bin + "--batch 16 --maxlen 2000000000", "--maxlen", "--maxlen 2e9");
  expect_fails_with(test::senti_bin() + " train --device cpu --data '' --out " + out, "--data", "--data ''");
  expect_fails_with(test::senti_bin() + " train --out '' " + data, "--out", "--out ''");
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(ReliabilityCli, DivergenceStopsWithAnErrorAndKeepsTheLastGoodCheckpoint) {
  const std::string fresh = test::scratch_dir("rel-diverge") + "/run";
  expect_fails_with(train(fresh, "--epochs 2 --lr 1e10"), "diverged", "--lr 1e10");
  EXPECT_FALSE(fs::exists(fresh + "/latest.safetensors"));  // no model that answers 1.0 to all

  const std::string run = copy_of_base("rel-diverge-resume");
  const std::string before = test::read_bytes(run + "/latest.safetensors");
  expect_fails_with(train(run, "--epochs 2 --resume --max-loss 0.01"), "--max-loss 0.01", "--max-loss");
  EXPECT_EQ(test::read_bytes(run + "/latest.safetensors"), before);
  EXPECT_EQ(lines_with(run + "/metrics.jsonl", "\"epoch\""), 1u);
}

TEST_F(ReliabilityCli, ResumeRefusesOtherAdamSettings) {
  const std::string run = copy_of_base("rel-adam");
  for (const std::string flag : {"--beta1 0.5", "--beta2 0.9", "--epsilon 0.001"})
    expect_fails_with(train(run, "--epochs 2 --resume " + flag), flag.substr(0, flag.find(' ')), flag);
  std::string log;
  EXPECT_EQ(test::run_command(train(run, "--epochs 2 --resume --beta1 0.9"), &log), 0) << log;
}

TEST_F(ReliabilityCli, OutputThatCannotBeWrittenIsAnError) {
  const std::string data = " --data " + test::imdb_archive();
  // (cmd >/dev/full) 2>&1: only stdout goes to the full device; the message comes back.
  expect_fails_with("(" + test::senti_bin() + " predict -q --device cpu --checkpoint " + *base_ +
                        " 'a good film' >/dev/full)", "standard output", "predict >/dev/full");
  expect_fails_with("(" + test::senti_bin() + " eval --device cpu --json --limit 50 --checkpoint " + *base_ +
                        data + " >/dev/full)", "standard output", "eval --json >/dev/full");
  const std::string out = test::scratch_dir("rel-full") + "/run";
  expect_fails_with("(" + train(out, "--epochs 1") + " >/dev/full)", "standard output", "train >/dev/full");
  EXPECT_FALSE(fs::exists(out + "/latest.safetensors"));  // noticed before training
}

TEST_F(ReliabilityCli, UnwritableOutIsNoticedBeforeTraining) {
  const std::string out = test::scratch_dir("rel-ro");  // exists; the test user cannot write it
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                           fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  // The token cache the other user reads (it may not write ours): a copy in a folder it can read.
  const std::string cache = test::scratch_dir("rel-ro-cache");
  for (const auto& e : fs::directory_iterator(cli::default_cache_dir()))
    if (e.path().filename().string().rfind("tokens-", 0) == 0) fs::copy_file(e.path(), fs::path(cache) / e.path().filename());
  std::string why;
  const std::string cmd = test::unprivileged(train(out, "--epochs 3 --cache-dir " + cache), &why);
  if (cmd.empty()) GTEST_SKIP() << why;
  std::string log;
  EXPECT_NE(test::run_command(cmd, &log), 0) << log;
  EXPECT_NE(log.find("--out " + out), std::string::npos) << log;
  EXPECT_EQ(log.find("Epoch 1"), std::string::npos) << "trained before noticing: " << log;
}

TEST_F(ReliabilityCli, StaleTemporariesOfKilledRunsAreRemovedAtStart) {
  const std::string run = copy_of_base("rel-stale");
  const std::string cache = test::scratch_dir("rel-stale-cache");
  const std::string data = test::scratch_dir("rel-stale-data");
  test::write_tree(data, test::small_aclimdb());
  // PID 4194304 is above Linux's largest pid_max (2^22): never a live process.
  for (const std::string& f : {run + "/latest.safetensors.tmp-4194304", run + "/best.safetensors.tmp-4194304-0",
                               cache + "/tokens-0123456789abcdef.bin.tmp-4194304-7"})
    std::ofstream(f) << "half-written";
  std::string log;
  ASSERT_EQ(test::run_command(train(run, "--epochs 2 --resume"), &log), 0) << log;
  ASSERT_EQ(test::run_command(test::senti_bin() + " prepare --data " + data + " --out " + cache, &log), 0) << log;
  for (const std::string& dir : {run, cache})
    for (const auto& e : fs::directory_iterator(dir))
      EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST_F(ReliabilityCli, MetricsAgreeWithTheCheckpointsAfterACrashOrAWriteFailure) {
  // A run killed after logging epoch 2 but before its checkpoint (the old order), then resumed.
  const std::string run = copy_of_base("rel-metrics");
  std::ofstream(run + "/metrics.jsonl", std::ios::app) << R"({"acc":0.5,"epoch":2,"loss":0.69})" << "\n";
  std::string log;
  ASSERT_EQ(test::run_command(train(run, "--epochs 2 --resume"), &log), 0) << log;
  EXPECT_EQ(lines_with(run + "/metrics.jsonl", "\"epoch\":2"), 1u) << test::read_bytes(run + "/metrics.jsonl");
  std::string want;
  for (const auto& rec : load_checkpoint(run).history) want += rec.dump() + "\n";
  EXPECT_EQ(test::read_bytes(run + "/metrics.jsonl"), want);

  // Metrics that cannot be written: an error at the end, but every epoch is trained and saved.
  const std::string out = test::scratch_dir("rel-metrics-fail");
  fs::create_directories(out + "/metrics.jsonl");  // a folder where the file should be
  expect_fails_with(train(out, "--epochs 2"), "metrics.jsonl", "metrics write failure");
  EXPECT_EQ(load_checkpoint(out).epoch, 2);
  EXPECT_EQ(load_checkpoint(out).history.size(), 2u);
}

TEST_F(ReliabilityCli, ClearMessagesForMistakesAndCraftedCheckpoints) {
  expect_fails_with(test::senti_bin() + " fly", "unknown subcommand 'fly'", "senti fly");
  const std::string data = " --device cpu --data " + test::imdb_archive();
  expect_fails_with(test::senti_bin() + " eval --limit 0 --checkpoint " + *base_ + data, "--limit", "eval --limit 0");
  expect_fails_with(test::senti_bin() + " eval --batch 2147483647 --checkpoint " + *base_ + data, "--batch",
                    "eval --batch 2^31-1");

  const std::string dir = test::scratch_dir("rel-crafted");
  const auto good = safetensors::read_file(*base_ + "/latest.safetensors");
  auto crafted = [&](const std::string& name, const std::string& key, const std::string& field, int value) {
    auto f = good;
    if (field.empty()) {
      f.metadata[key] = std::to_string(value);
    } else {
      auto j = nlohmann::json::parse(f.metadata[key]);
      j[field] = value;
      f.metadata[key] = j.dump();
    }
    safetensors::write_file(dir + "/" + name, f);
    return dir + "/" + name;
  };
  const std::string huge = crafted("huge.safetensors", "model", "vocab_size", 2000000000);
  expect_fails_with(test::senti_bin() + " eval --limit 10 --checkpoint " + huge + data, "huge.safetensors", "V 2e9");
  const std::string wide = crafted("wide.safetensors", "model", "hidden", 1000000000);
  expect_fails_with(test::senti_bin() + " predict -q --device cpu --checkpoint " + wide + " hi", "wide.safetensors",
                    "H 1e9");
  const std::string short_seq = crafted("maxlen0.safetensors", "preprocessing", "maxlen", 0);
  expect_fails_with(test::senti_bin() + " eval --limit 10 --checkpoint " + short_seq + data, "maxlen0.safetensors",
                    "maxlen 0");
  const std::string run = test::scratch_dir("rel-crafted-step") + "/run";
  fs::create_directories(run);
  fs::copy_file(crafted("step.safetensors", "step", "", -5), run + "/latest.safetensors");
  expect_fails_with(train(run, "--epochs 2 --resume"), "latest.safetensors", "step -5");
}

// NaN weights (a diverged run) used to print "nan negative" and serve {"prob_positive": null}. A
// file without content hashes (an older senti's) is still checked for them.
TEST_F(ReliabilityCli, NaNWeightsAreNeverUsed) {
  auto f = safetensors::read_file(*base_ + "/latest.safetensors");
  f.metadata.erase("tensor_xxh64");
  f.metadata.erase("weights_xxh64");
  f.tensors.at("dense/bias").data[0] = std::nanf("");
  const std::string path = test::scratch_dir("rel-nan") + "/nan.safetensors";
  safetensors::write_file(path, f);
  for (const std::string fmt : {"", "--json "}) {
    std::string log;
    EXPECT_NE(test::run_command(test::senti_bin() + " predict -q --device cpu " + fmt + "--checkpoint " + path +
                                    " 'the movie was good'", &log), 0) << log;
    EXPECT_NE(log.find("non-finite"), std::string::npos) << log;
    EXPECT_EQ(log.find("negative"), std::string::npos) << log;
    EXPECT_EQ(log.find("null"), std::string::npos) << log;
  }
}

TEST_F(ReliabilityCli, InspectAndDiffCompareModelContentNotWallClock) {
  const std::string a = test::scratch_dir("rel-diff-a"), b = test::scratch_dir("rel-diff-b"),
                    c = test::scratch_dir("rel-diff-c");
  std::string log;
  ASSERT_EQ(test::run_command(train(a, "--epochs 1"), &log), 0) << log;
  ASSERT_EQ(test::run_command(train(b, "--epochs 1"), &log), 0) << log;
  ASSERT_EQ(test::run_command(train(c, "--epochs 1 --seed 2"), &log), 0) << log;
  EXPECT_NE(test::read_bytes(a + "/latest.safetensors"), test::read_bytes(b + "/latest.safetensors"))
      << "the files are expected to differ in their wall-clock fields";
  EXPECT_EQ(test::run_command(test::senti_bin() + " diff " + a + " " + b, &log), 0) << log;
  EXPECT_NE(log.find("same model content"), std::string::npos) << log;
  EXPECT_EQ(test::run_command(test::senti_bin() + " diff " + a + " " + c, &log), 1) << log;
  EXPECT_NE(log.find("embedding/embeddings"), std::string::npos) << log;
  EXPECT_NE(log.find("seed"), std::string::npos) << log;

  std::string ja, jb;
  ASSERT_EQ(test::run_command(test::senti_bin() + " inspect --json " + a, &ja), 0) << ja;
  ASSERT_EQ(test::run_command(test::senti_bin() + " inspect --json " + b, &jb), 0) << jb;
  const auto ia = nlohmann::json::parse(ja), ib = nlohmann::json::parse(jb);
  EXPECT_EQ(ia.at("weights_xxh64"), ib.at("weights_xxh64"));
  EXPECT_EQ(ia.at("weights_xxh64"), weights_hash_hex(load_checkpoint(a)));
  EXPECT_TRUE(ia.at("content_verified").get<bool>());
  EXPECT_NE(test::run_command(test::senti_bin() + " diff " + a + " " + a + "/missing.safetensors", &log), 0);
  EXPECT_NE(log.find("missing.safetensors"), std::string::npos) << log;
}

// inspect shows and diff compares every model option, not only the seed model's sizes: a
// bidirectional n-gram model and a plain one of the same V, E, H hold different tensors (diff must
// say which options differ, not read one layout's elements out of the other's buffer).
TEST_F(ReliabilityCli, InspectAndDiffSeeEveryModelOption) {
  const std::string a = test::scratch_dir("rel-opt-a"), b = test::scratch_dir("rel-opt-b");
  std::string log;
  ASSERT_EQ(test::run_command(train(a, "--epochs 1 --mask --bidirectional --pool max --ngrams 2 "
                                       "--ngram-buckets 64"), &log), 0) << log;
  ASSERT_EQ(test::run_command(train(b, "--epochs 1"), &log), 0) << log;
  std::string text, json;
  ASSERT_EQ(test::run_command(test::senti_bin() + " inspect " + a, &text), 0) << text;
  EXPECT_NE(text.find("mask_zero) -> Bidirectional(LSTM("), std::string::npos) << text;
  EXPECT_NE(text.find("multi_hot(1..2-grams"), std::string::npos) << text;
  ASSERT_EQ(test::run_command(test::senti_bin() + " inspect --json " + a, &json), 0) << json;
  const auto m = nlohmann::json::parse(json).at("model");
  EXPECT_EQ(m.at("ngrams"), 2);
  EXPECT_EQ(m.at("ngram_buckets"), 64);
  EXPECT_EQ(m.at("bidirectional"), true);
  EXPECT_EQ(m.at("pool"), "max");
  EXPECT_EQ(m.at("parameters"), ParamLayout(load_checkpoint(a).model).total());
  EXPECT_EQ(test::run_command(test::senti_bin() + " diff " + a + " " + b, &log), 1) << log;
  for (const char* key : {"model.bidirectional", "model.mask", "model.pool", "model.ngrams"})
    EXPECT_NE(log.find(key), std::string::npos) << key << "\n" << log;
  expect_no_internals(log, "diff of different layouts");
}

// scripts/train.sh in a copy of the repository layout, with setup.sh stubbed out and a `senti`
// that prints the arguments it was given.
TEST(TrainScript, ArgumentsAddToTheDefaultsInsteadOfReplacingThem) {
  const std::string root = test::scratch_dir("train-sh");
  fs::create_directories(root + "/repo/scripts");
  fs::create_directories(root + "/repo/build");
  fs::create_directories(root + "/shared/data/imdb");
  fs::copy_file(test::source_dir() + "/scripts/train.sh", root + "/repo/scripts/train.sh");
  std::ofstream(root + "/repo/scripts/setup.sh") << "#!/bin/sh\n";
  std::ofstream(root + "/repo/build/senti") << "#!/bin/sh\necho \"args: $*\"\n";
  std::ofstream(root + "/shared/data/imdb/aclImdb_v1_labeled.tar.gz") << "";
  for (const char* f : {"/repo/scripts/train.sh", "/repo/scripts/setup.sh", "/repo/build/senti"})
    fs::permissions(root + f, fs::perms::owner_all, fs::perm_options::add);
  auto args_of = [&](const std::string& extra) {
    std::string log;
    EXPECT_EQ(test::run_command("env -u SENTI_DATA -u SENTI_BUILD_DIR " + root + "/repo/scripts/train.sh " + extra,
                                &log), 0) << log;
    return log;
  };
  const std::string data = "--data ../shared/data/imdb/aclImdb_v1_labeled.tar.gz";
  EXPECT_NE(args_of("").find("args: train --preset seed " + data), std::string::npos);
  EXPECT_NE(args_of("--epochs 2").find("args: train --preset seed " + data + " --epochs 2"), std::string::npos)
      << args_of("--epochs 2");
  const std::string own = args_of("--data /elsewhere.tar.gz --preset smoke");
  EXPECT_NE(own.find("args: train --data /elsewhere.tar.gz --preset smoke\n"), std::string::npos) << own;
  EXPECT_NE(args_of("--data=/x --epochs 1").find("args: train --preset seed --data=/x --epochs 1"),
            std::string::npos);
}

}  // namespace
}  // namespace senti
