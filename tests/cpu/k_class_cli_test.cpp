// More than two classes end to end through the built binary: the softmax head learns a 3-class
// problem it can only solve by telling all three apart, checkpoints record the head and the class
// names, eval reports K×K, predict prints every class's probability, --top-k, --explain-class,
// --classes reorders labels, --class-weight weights the loss, and bad values write nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data_synthetic_test.h"
#include "host/run/checkpoint.h"
#include "test_env.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

// Three classes of short documents, each with its own words and a shared filler word, `n` each.
test::FileMap three_class_files(const std::string& prefix, int n) {
  const std::vector<std::pair<std::string, std::string>> classes = {
      {"cats", "meow purr whiskers"}, {"dogs", "woof bark fetch"}, {"fish", "swim fins gills"}};
  test::FileMap f;
  for (const auto& [name, words] : classes)
    for (int i = 0; i < n; ++i)
      f[prefix + name + "/" + std::to_string(i) + ".txt"] = "the " + words + " the " + std::to_string(i % 7);
  return f;
}

std::string train_cmd(const std::string& data, const std::string& out, const std::string& extra = "") {
  return test::senti_bin() + " train --device cpu --no-tensorboard --data " + data + " --out " + out +
         " --cache-dir " + out + "-cache --preset seed --hidden 8 --embed 8 --maxlen 12 --padding pre "
         "--num-words 200 --batch 8 --lr 0.02 --clipnorm 1 --validation-split 0.1 " + extra;
}

class KClassCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = test::scratch_dir("k-class");
    test::FileMap files = three_class_files("data/train/", 40);
    for (const auto& [k, v] : three_class_files("data/test/", 10)) files[k] = v;
    test::write_tree(dir_, files);
    std::string log;
    ok_ = test::run_command(train_cmd(dir_ + "/data", dir_ + "/run", "--epochs 6"), &log) == 0;
    log_ = log;
  }
  static std::string dir_, log_;
  static bool ok_;
};
std::string KClassCli::dir_, KClassCli::log_;
bool KClassCli::ok_ = false;

TEST_F(KClassCli, SoftmaxHeadLearnsThreeClasses) {
  ASSERT_TRUE(ok_) << log_;
  EXPECT_NE(log_.find("Dense(3, softmax)"), std::string::npos) << log_;
  const Checkpoint c = load_checkpoint(dir_ + "/run");
  EXPECT_EQ(c.model.head, Head::Softmax);
  EXPECT_EQ(c.model.classes, 3);
  EXPECT_EQ(c.classes, (std::vector<std::string>{"cats", "dogs", "fish"}));
  std::string log;
  ASSERT_EQ(test::run_command(test::senti_bin() + " eval --device cpu --json --checkpoint " + dir_ + "/run --data " +
                                  dir_ + "/data --cache-dir " + dir_ + "/run-cache 2>/dev/null",
                              &log),
            0)
      << log;
  const auto j = nlohmann::json::parse(log);
  // Chance is 1/3; a head that tells only one class from the rest reaches at most 2/3.
  EXPECT_GE(j["test_acc"].get<double>(), 0.9) << log;
  EXPECT_EQ(j["test_samples"].get<int>(), 30);
  const auto& m = j["report"]["confusion"]["matrix"];
  ASSERT_EQ(m.size(), 3u);
  int total = 0;
  for (const auto& row : m) {
    ASSERT_EQ(row.size(), 3u);
    for (const auto& v : row) total += v.get<int>();
  }
  EXPECT_EQ(total, 30);
  EXPECT_TRUE(j["report"]["per_class"].contains("fish")) << log;
}

TEST_F(KClassCli, PredictPrintsEveryClassTopKAndExplainsAClass) {
  ASSERT_TRUE(ok_) << log_;
  const std::string predict = test::senti_bin() + " predict -q --device cpu --checkpoint " + dir_ + "/run ";
  std::string log;
  ASSERT_EQ(test::run_command(predict + "--json 'the woof bark fetch the'", &log), 0) << log;
  const auto j = nlohmann::json::parse(log);
  EXPECT_EQ(j["label"], "dogs") << log;
  ASSERT_EQ(j["probs"].size(), 3u);
  double sum = 0;
  for (const auto& [name, p] : j["probs"].items()) sum += p.get<double>();
  EXPECT_NEAR(sum, 1.0, 1e-5);
  EXPECT_FLOAT_EQ(j["prob"].get<float>(), j["probs"]["dogs"].get<float>());
  EXPECT_FALSE(j.contains("prob_positive"));

  ASSERT_EQ(test::run_command(predict + "--top-k 2 'meow purr whiskers'", &log), 0) << log;
  EXPECT_NE(log.find("\tcats\t"), std::string::npos) << log;
  EXPECT_NE(log.find("\ttop 2: cats "), std::string::npos) << log;

  ASSERT_EQ(test::run_command(predict + "--json --explain --explain-class fish 'meow purr'", &log), 0) << log;
  const auto e = nlohmann::json::parse(log);
  EXPECT_EQ(e["explanation"]["class"], "fish") << log;
  // Both words are evidence against "fish": leaving either out raises its log-odds.
  for (const auto& w : e["explanation"]["words"]) EXPECT_LT(w["contribution"].get<double>(), 0) << log;

  EXPECT_NE(test::run_command(predict + "--explain --explain-class birds 'meow'", &log), 0);
  EXPECT_NE(log.find("--explain-class: 'birds' is not a class of the checkpoint (cats, dogs, fish)"),
            std::string::npos) << log;
  EXPECT_NE(test::run_command(predict + "--top-k 0 'meow'", &log), 0);
  EXPECT_NE(log.find("--top-k must be >= 1"), std::string::npos) << log;
}

TEST_F(KClassCli, ClassesFlagOrdersLabelsAndEvalFollowsTheCheckpoint) {
  ASSERT_TRUE(ok_) << log_;
  const std::string out = dir_ + "/ordered";
  std::string log;
  ASSERT_EQ(test::run_command(train_cmd(dir_ + "/data", out, "--epochs 6 --classes fish,cats,dogs"), &log), 0) << log;
  const Checkpoint c = load_checkpoint(out);
  EXPECT_EQ(c.classes, (std::vector<std::string>{"fish", "cats", "dogs"}));
  ASSERT_EQ(test::run_command(test::senti_bin() + " eval --device cpu --json --checkpoint " + out + " --data " +
                                  dir_ + "/data --cache-dir " + out + "-cache 2>/dev/null",
                              &log),
            0)
      << log;
  const auto j = nlohmann::json::parse(log);
  EXPECT_GE(j["test_acc"].get<double>(), 0.9) << log;
  EXPECT_EQ(j["report"]["confusion"]["classes"], nlohmann::json({"fish", "cats", "dogs"}));
  EXPECT_EQ(j["report"]["per_class"]["fish"]["support"].get<int>(), 10);

  for (const std::string bad : {"fish,cats", "fish,cats,dogs,birds", "fish,,cats", "fish,fish,cats"}) {
    const std::string o = dir_ + "/bad-classes";
    EXPECT_NE(test::run_command(train_cmd(dir_ + "/data", o, "--epochs 1 --classes " + bad), &log), 0) << bad;
    EXPECT_NE(log.find("--classes"), std::string::npos) << log;
    EXPECT_FALSE(fs::exists(o + "/latest.safetensors")) << bad;
  }
}

TEST_F(KClassCli, ClassWeightsChangeTheTrainingLossOnly) {
  ASSERT_TRUE(ok_) << log_;
  std::string log;
  const std::string out = dir_ + "/weighted";
  ASSERT_EQ(test::run_command(train_cmd(dir_ + "/data", out, "--epochs 1 --class-weight cats=3"), &log), 0) << log;
  EXPECT_NE(log.find("Class weights: cats 3, dogs 1, fish 1"), std::string::npos) << log;
  const std::string balanced = dir_ + "/balanced";
  ASSERT_EQ(test::run_command(train_cmd(dir_ + "/data", balanced, "--epochs 1 --class-weight balanced"), &log), 0)
      << log;
  EXPECT_NE(log.find("Class weights:"), std::string::npos) << log;
  // A run with class weights is not the unweighted run (weights reach the gradient).
  const std::string plain = dir_ + "/plain";
  ASSERT_EQ(test::run_command(train_cmd(dir_ + "/data", plain, "--epochs 1"), &log), 0) << log;
  EXPECT_NE(weights_hash(load_checkpoint(out)), weights_hash(load_checkpoint(plain)));

  for (const std::string bad : {"birds=2", "cats=0", "cats=-1", "cats=x", "cats", "cats=1,cats=2"}) {
    const std::string o = dir_ + "/bad-weight";
    EXPECT_NE(test::run_command(train_cmd(dir_ + "/data", o, "--epochs 1 --class-weight " + bad), &log), 0) << bad;
    EXPECT_NE(log.find("--class-weight"), std::string::npos) << log;
    EXPECT_FALSE(fs::exists(o + "/latest.safetensors")) << bad;
  }
}

// Topics that each document may carry several of: each topic's words appear only with it.
std::string multi_label_lines(int n, uint32_t seed) {
  const char* topics[3] = {"sports", "politics", "tech"};
  const char* words[3][3] = {{"goal", "match", "team"}, {"vote", "senate", "law"}, {"chip", "code", "robot"}};
  std::string out;
  uint32_t x = seed;
  auto next = [&] { return (x = x * 1664525u + 1013904223u) >> 8; };
  for (int i = 0; i < n; ++i) {
    std::string labels, text = "the news";
    for (int t = 0; t < 3; ++t)
      if (next() % 100 < 45 || (t == 2 && labels.empty())) {
        labels += std::string("__label__") + topics[t] + " ";
        text += std::string(" ") + words[t][next() % 3] + " " + words[t][next() % 3];
      }
    out += labels + text + " today\n";
  }
  return out;
}

// Many classes multiply the hashed n-gram slots' weights: the preset's slots shrink to keep them
// near 16 M, saying so; an explicit --ngram-buckets is kept.
TEST(KClassCliMany, NgramBucketsShrinkWithManyClasses) {
  const std::string dir = test::scratch_dir("k-many");
  std::string csv = "text,label\n";
  for (int i = 0; i < 80; ++i) csv += "word" + std::to_string(i % 40) + " more,c" + std::to_string(i % 40) + "\n";
  std::ofstream(dir + "/many.csv") << csv;
  std::string log;
  const std::string train = test::senti_bin() + " train --device cpu --no-tensorboard --data " + dir +
                            "/many.csv --cache-dir " + dir + "/cache --hidden 4 --embed 4 --epochs 1 --test-split 0 ";
  ASSERT_EQ(test::run_command(train + "--out " + dir + "/a", &log), 0) << log;
  EXPECT_NE(log.find("40 classes: --ngram-buckets 262144 instead of 1048576"), std::string::npos) << log;
  EXPECT_EQ(load_checkpoint(dir + "/a").model.ngram_buckets, 262144);
  ASSERT_EQ(test::run_command(train + "--out " + dir + "/b --ngram-buckets 1000", &log), 0) << log;
  EXPECT_EQ(log.find("instead of"), std::string::npos) << log;
  EXPECT_EQ(load_checkpoint(dir + "/b").model.ngram_buckets, 1000);
}

TEST(MultiLabelCli, TrainsEvaluatesAndPredictsLabelSets) {
  const std::string dir = test::scratch_dir("multi-label");
  std::ofstream(dir + "/train.txt") << multi_label_lines(600, 1);
  std::ofstream(dir + "/test.txt") << multi_label_lines(100, 2);
  const std::string data = "--data " + dir + "/train.txt --test-data " + dir + "/test.txt --cache-dir " + dir + "/cache ";
  const std::string train = test::senti_bin() + " train --device cpu --no-tensorboard " + data +
                            "--preset seed --hidden 8 --embed 8 --maxlen 12 --padding pre --num-words 200 "
                            "--batch 8 --lr 0.02 --clipnorm 1 --epochs 6 --validation-split 0.1 --out ";
  std::string log;
  // Without --multi-label a line with several labels is an error naming it.
  EXPECT_NE(test::run_command(train + dir + "/single", &log), 0);
  EXPECT_NE(log.find("train.txt:"), std::string::npos) << log;
  EXPECT_NE(log.find("--multi-label"), std::string::npos) << log;
  EXPECT_NE(test::run_command(train + dir + "/weighted --multi-label --class-weight balanced", &log), 0);
  EXPECT_NE(log.find("--class-weight: not with --multi-label"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(dir + "/weighted/latest.safetensors"));

  ASSERT_EQ(test::run_command(train + dir + "/run --multi-label", &log), 0) << log;
  EXPECT_NE(log.find("Dense(3, sigmoid)"), std::string::npos) << log;
  const Checkpoint c = load_checkpoint(dir + "/run");
  EXPECT_EQ(c.model.head, Head::MultiLabel);
  EXPECT_EQ(c.classes, (std::vector<std::string>{"politics", "sports", "tech"}));

  // eval reads the label sets back from the token cache train wrote.
  ASSERT_EQ(test::run_command(test::senti_bin() + " eval --device cpu --json --checkpoint " + dir + "/run " + data +
                                  "2>/dev/null",
                              &log),
            0)
      << log;
  const auto j = nlohmann::json::parse(log);
  EXPECT_GE(j["test_micro_f1"].get<double>(), 0.85) << log;
  EXPECT_GE(j["report"]["precision_at_1"].get<double>(), 0.9) << log;
  int support = 0;
  for (const auto& [name, v] : j["report"]["per_label"].items()) support += v["support"].get<int>();
  EXPECT_GT(support, 130) << "documents with several labels: " << log;

  ASSERT_EQ(test::run_command(test::senti_bin() + " predict -q --device cpu --json --checkpoint " + dir +
                                  "/run 'the news robot chip vote senate today'",
                              &log),
            0)
      << log;
  const auto p = nlohmann::json::parse(log);
  ASSERT_EQ(p["labels"].size(), 2u) << log;
  EXPECT_NE(std::find(p["labels"].begin(), p["labels"].end(), "tech"), p["labels"].end()) << log;
  EXPECT_NE(std::find(p["labels"].begin(), p["labels"].end(), "politics"), p["labels"].end()) << log;
  ASSERT_EQ(test::run_command(test::senti_bin() + " predict -q --device cpu --threshold 0.999 --checkpoint " + dir +
                                  "/run 'the news today'",
                              &log),
            0)
      << log;
  EXPECT_NE(log.find("\t(none)\t"), std::string::npos) << log;
  EXPECT_NE(test::run_command(test::senti_bin() + " predict -q --device cpu --threshold 1.5 --checkpoint " + dir +
                                  "/run 'x'",
                              &log),
            0);
  EXPECT_NE(log.find("--threshold must be a probability in (0, 1)"), std::string::npos) << log;
}

}  // namespace
}  // namespace senti
