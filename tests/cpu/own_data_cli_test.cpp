// Training on one's own labeled text end to end through the built binary: class folders (folder
// and .tar.gz), the shared sentence sets in their own file formats, separate validation and test
// files, the class names in checkpoints and predictions, and bad data refused with the file and
// line named and nothing written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "data_synthetic_test.h"
#include "host/run/checkpoint.h"
#include "test_env.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

std::string textclf(const std::string& rel) {
  return (fs::path(test::data_dir()) / ".." / "textclf" / rel).lexically_normal().string();
}

// Small and fast: the point is the data path, not the accuracy.
std::string train_cmd(const std::string& data, const std::string& out, const std::string& extra = "") {
  return test::senti_bin() + " train --device cpu --no-tensorboard --data " + data + " --out " + out +
         " --cache-dir " + out + "-cache --hidden 8 --embed 8 --maxlen 40 --num-words 2000 " +
         (extra.find("--epochs") == std::string::npos ? "--epochs 1 " : "") + extra;
}

// Two classes of short documents, `n` each, in DIR/<class>/ (or DIR/<split>/<class>/).
test::FileMap two_class_files(const std::string& prefix, int n, const std::string& a = "bad",
                              const std::string& b = "good") {
  test::FileMap f;
  for (int i = 0; i < n; ++i) {
    f[prefix + a + "/" + std::to_string(i) + ".txt"] = "awful boring dull " + std::to_string(i);
    f[prefix + b + "/" + std::to_string(i) + ".txt"] = "lovely great fun " + std::to_string(i);
  }
  f[prefix + b + "/notes.md"] = "not a document: only .txt files are";
  return f;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(OwnDataCli, ClassFoldersTrainEvaluateAndPredictWithClassNames) {
  const std::string dir = test::scratch_dir("own-folders");
  test::FileMap files = two_class_files("data/train/", 40);
  for (const auto& [k, v] : two_class_files("data/test/", 10)) files[k] = v;
  test::write_tree(dir, files);
  test::write_targz(dir + "/data.tar.gz", files);
  std::string log;
  for (const std::string data : {dir + "/data", dir + "/data.tar.gz"}) {
    const std::string out = dir + "/run-" + fs::path(data).filename().string();
    ASSERT_EQ(test::run_command(train_cmd(data, out, "--batch 8 --lr 0.01"), &log), 0) << log;
    EXPECT_NE(log.find("folder, 2 classes: 80 train / 20 test documents"), std::string::npos) << log;
    EXPECT_NE(log.find("test: 20 reviews"), std::string::npos) << log;
    const Checkpoint c = load_checkpoint(out);
    EXPECT_EQ(c.classes, (std::vector<std::string>{"bad", "good"}));
    ASSERT_EQ(test::run_command(test::senti_bin() + " eval --device cpu --checkpoint " + out + " --data " + data +
                                    " --cache-dir " + out + "-cache",
                                &log),
              0)
        << log;
    EXPECT_NE(log.find("test: 20 reviews"), std::string::npos) << log;
    EXPECT_NE(log.find("macro avg"), std::string::npos) << log;
    EXPECT_NE(log.find("confusion matrix (rows: true class, columns: predicted class)"), std::string::npos) << log;
    EXPECT_NE(log.find("good"), std::string::npos) << log;
  }
  // predict names the classes of the data, not IMDB's.
  ASSERT_EQ(test::run_command("printf 'lovely great fun\\nawful boring dull\\n' | " + test::senti_bin() +
                                  " predict --device cpu --checkpoint " + dir + "/run-data",
                              &log),
            0)
      << log;
  EXPECT_TRUE(log.find("\tgood\t") != std::string::npos || log.find("\tbad\t") != std::string::npos) << log;
  EXPECT_EQ(log.find("positive"), std::string::npos) << log;
}

TEST(OwnDataCli, FoldersWithoutTrainTestHoldOutASeededTestSplit) {
  const std::string dir = test::scratch_dir("own-flat");
  test::write_tree(dir + "/data", two_class_files("", 50, "neg_x", "pos_y"));
  std::string log;
  ASSERT_EQ(test::run_command(train_cmd(dir + "/data", dir + "/a", "--test-split 0.2"), &log), 0) << log;
  EXPECT_NE(log.find("80 train / 20 test documents"), std::string::npos) << log;
  ASSERT_EQ(test::run_command(train_cmd(dir + "/data", dir + "/b", "--test-split 0"), &log), 0) << log;
  EXPECT_NE(log.find("100 train / 0 test documents"), std::string::npos) << log;
  EXPECT_NE(log.find("test: none"), std::string::npos) << log;
}

TEST(OwnDataCli, SharedSentenceSetsTrainInTheirOwnFormats) {
  if (!fs::exists(textclf("README.md"))) GTEST_SKIP() << "no " << textclf("");
  struct Case {
    std::string data, extra, expect, label;
  };
  const Case cases[] = {
      {textclf("subj/subj.jsonl"), "", "jsonl, 2 classes: 9000 train / 1000 test", "subjective"},
      {textclf("cr/cr.txt"), "", "fasttext, 2 classes: 3397 train / 378 test", "positive"},
      {textclf("mpqa/mpqa.txt"), "--format fasttext --test-split 0.1", "fasttext, 2 classes: 9545 train / 1061 test",
       "negative"},
  };
  const std::string dir = test::scratch_dir("own-sets");
  for (const Case& c : cases) {
    const std::string out = dir + "/" + fs::path(c.data).stem().string();
    std::string log;
    ASSERT_EQ(test::run_command(train_cmd(c.data, out, c.extra + " --limit 2000"), &log), 0) << log;
    EXPECT_NE(log.find(c.expect), std::string::npos) << log;
    const Checkpoint ck = load_checkpoint(out);
    EXPECT_NE(std::find(ck.classes.begin(), ck.classes.end(), c.label), ck.classes.end()) << c.data;
  }
}

TEST(OwnDataCli, SeparateValidationAndTestFiles) {
  const std::string dir = test::scratch_dir("own-csv");
  std::string train = "id,text,label\n", valid = "text,label,id\n", test_csv = "label,text\n";
  for (int i = 0; i < 60; ++i) {
    const std::string good = "\"lovely, great\"\"fun\"\" " + std::to_string(i) + "\"";
    train += std::to_string(i) + "," + good + ",yes\r\n" + std::to_string(i) + ",awful boring,no\r\n";
    if (i < 10) valid += good + ",yes," + std::to_string(i) + "\ndull awful,no,0\n";
    if (i < 5) test_csv += "yes," + good + "\nno,boring dull\n";
  }
  write_text(dir + "/train.csv", train);
  write_text(dir + "/valid.csv", valid);
  write_text(dir + "/test.csv", test_csv);
  std::string log;
  ASSERT_EQ(test::run_command(train_cmd(dir + "/train.csv", dir + "/run",
                                        "--validation-data " + dir + "/valid.csv --test-data " + dir +
                                            "/test.csv --monitor val_macro_f1 --epochs 2"),
                              &log),
            0)
      << log;
  EXPECT_NE(log.find("csv, 2 classes: 120 train / 20 validation / 10 test documents"), std::string::npos) << log;
  EXPECT_NE(log.find("val_acc"), std::string::npos) << log;
  EXPECT_NE(log.find("test: 10 reviews"), std::string::npos) << log;
  // Every epoch records the validation macro-F1, which may pick best.safetensors.
  std::ifstream metrics(dir + "/run/metrics.jsonl");
  int epochs_with_f1 = 0;
  for (std::string line; std::getline(metrics, line);)
    epochs_with_f1 += line.find("\"val_macro_f1\":") != std::string::npos;
  EXPECT_EQ(epochs_with_f1, 2);
  EXPECT_TRUE(fs::exists(dir + "/run/best.safetensors"));
  // The flags that would contradict the separate files are refused.
  EXPECT_NE(test::run_command(train_cmd(dir + "/train.csv", dir + "/r2",
                                        "--validation-data " + dir + "/valid.csv --validation-split 0.1"),
                              &log),
            0);
  EXPECT_NE(log.find("--validation-split: not with --validation-data"), std::string::npos) << log;
  EXPECT_NE(test::run_command(train_cmd(dir + "/train.csv", dir + "/r3", "--test-data " + dir + "/test.csv --test-split 0.2"),
                              &log),
            0);
  EXPECT_NE(log.find("--test-split: not with --test-data"), std::string::npos) << log;
}

TEST(OwnDataCli, BadDataNamesFileAndLineAndWritesNothing) {
  const std::string dir = test::scratch_dir("own-bad");
  write_text(dir + "/train.jsonl", "{\"text\": \"good fun\", \"label\": \"pos\"}\n{\"text\": \"bad\", \"label\": \"neg\"}\n");
  write_text(dir + "/test.jsonl", "{\"text\": \"good\", \"label\": \"pos\"}\n{\"text\": \"meh\", \"label\": \"mixed\"}\n");
  write_text(dir + "/one_class.txt", "__label__a some text\n__label__a more text\n");
  write_text(dir + "/multi.txt", "__label__a __label__b some text\n__label__b more text\n");
  struct Case {
    std::string args, expect;
  };
  const Case cases[] = {
      {"--data " + dir + "/train.jsonl --test-data " + dir + "/test.jsonl",
       dir + "/test.jsonl:2: label 'mixed' never appears in the training data"},
      {"--data " + dir + "/one_class.txt", "1 class ('a'); expected at least two classes"},
      {"--data " + dir + "/multi.txt", dir + "/multi.txt:1: several labels"},
      {"--data " + dir + " --format csv", "a folder, but --format csv reads a file"},
      {"--data " + dir + "/train.jsonl --format xml", "--format xml: expected auto, aclimdb, folder"},
      {"--data " + dir + "/nope.csv", "--data " + dir + "/nope.csv: no such file or folder"},
  };
  for (const Case& c : cases) {
    const std::string out = dir + "/out";
    std::string log;
    EXPECT_NE(test::run_command(test::senti_bin() + " train --device cpu --no-tensorboard --out " + out +
                                    " --cache-dir " + dir + "/cache " + c.args,
                                &log),
              0)
        << c.args;
    EXPECT_NE(log.find(c.expect), std::string::npos) << c.args << "\n" << log;
    EXPECT_FALSE(fs::exists(out + "/latest.safetensors")) << c.args;
  }
}

TEST(OwnDataCli, PrepareReportsEveryClassOfAFiveClassSet) {
  if (!fs::exists(textclf("README.md"))) GTEST_SKIP() << "no " << textclf("");
  const std::string dir = test::scratch_dir("own-k");
  std::string log;
  ASSERT_EQ(test::run_command(test::senti_bin() + " prepare --data " + textclf("sst5/train.tsv") + " --validation-data " +
                                  textclf("sst5/dev.tsv") + " --test-data " + textclf("sst5/test.tsv") +
                                  " --out " + dir + "/cache",
                              &log),
            0)
      << log;
  EXPECT_NE(log.find("5 classes, label k is: 0 0, 1 1, 2 2, 3 3, 4 4"), std::string::npos) << log;
  EXPECT_NE(log.find("train 8,544 documents"), std::string::npos) << log;
  EXPECT_NE(log.find("valid 1,101 documents"), std::string::npos) << log;
  EXPECT_NE(log.find("test  2,210 documents"), std::string::npos) << log;
}

// Without --preset, data other than aclImdb gets `text` (best's model, 10 epochs, patience 2,
// batch 32) and is told so; explicit flags still win.
TEST(OwnDataCli, DefaultRecipeForOwnDataIsTheTextPreset) {
  const std::string dir = test::scratch_dir("own-default");
  test::write_tree(dir, two_class_files("data/", 30));
  std::string log;
  ASSERT_EQ(test::run_command(test::senti_bin() + " train --device cpu --no-tensorboard --data " + dir + "/data --out " +
                                  dir + "/run --cache-dir " + dir + "/cache --hidden 4 --embed 4 --num-words 100 "
                                  "--maxlen 20 --epochs 1 --ngrams 0",
                              &log),
            0)
      << log;
  EXPECT_NE(log.find("--preset text (the default for data other than aclImdb"), std::string::npos) << log;
  const Checkpoint c = load_checkpoint(dir + "/run");
  EXPECT_EQ(c.train_config["preset"], "text");
  EXPECT_EQ(c.train_config["batch"], 32);
  EXPECT_TRUE(c.model.mask && c.model.bidirectional);
  EXPECT_EQ(c.model.ngrams, 0);  // explicit
  EXPECT_EQ(c.epoch, 1);         // explicit --epochs
}

}  // namespace
}  // namespace senti
