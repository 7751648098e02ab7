// The one progress display (host/run/progress.h): the epoch line's ETA, the task lines of
// prepare/eval/predict (plain tenths for logs, rate-limited redraws on a terminal, unknown totals),
// and the commands printing them on stderr while stdout keeps the results.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data_synthetic_test.h"
#include "host/run/checkpoint.h"
#include "host/run/progress.h"
#include "test_env.h"
#include "tiny_checkpoint.h"

namespace senti {
namespace {

// A ProgressLine writing into a temporary file whose text the test reads back.
struct Captured {
  FILE* f = std::tmpfile();
  ~Captured() { std::fclose(f); }
  std::string text() {
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    return s;
  }
};

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(ProgressLine, FormatsDurations) {
  EXPECT_EQ(format_duration(0.4), "0s");
  EXPECT_EQ(format_duration(59.4), "59s");
  EXPECT_EQ(format_duration(61), "1:01");
  EXPECT_EQ(format_duration(3 * 3600 + 62), "3:01:02");
}

TEST(ProgressLine, PlainTaskLinesAtEachTenthWithEta) {
  Captured c;
  ProgressLine p(c.f, /*interactive=*/false, 0);
  p.start_task("test", 1000, "reviews");
  for (int done = 50; done <= 1000; done += 50) {
    if (p.task_due(done, done / 100.0)) p.task_update(done, done / 100.0, "loss: 0.5000");
  }
  p.end_task();
  const auto lines = lines_of(c.text());
  ASSERT_EQ(lines.size(), 9u) << c.text();  // 10% .. 90%; the caller prints the end
  EXPECT_EQ(lines[0], "test: 100/1000 reviews [===>..........................]  10% - 1s - ETA: 9s - "
                      "100 reviews/s - loss: 0.5000");
  EXPECT_NE(lines[8].find("900/1000"), std::string::npos) << lines[8];
  EXPECT_NE(lines[8].find("ETA: 1s"), std::string::npos) << lines[8];
  EXPECT_EQ(c.text().find('\r'), std::string::npos) << "no carriage returns in logs";
}

TEST(ProgressLine, UnknownTotalsCountEveryNUnitsAndFractionsOverride) {
  Captured c;
  ProgressLine p(c.f, false, 300);
  p.start_task("predict", 0, "reviews");
  for (int done = 100; done <= 1000; done += 100) p.task_update(done, 1.0, "");
  auto lines = lines_of(c.text());
  ASSERT_EQ(lines.size(), 3u) << c.text();  // at 300, 600, 900
  EXPECT_EQ(lines[0], "predict: 300 reviews - 1s - 300 reviews/s");

  Captured d;
  ProgressLine q(d.f, false, 0);
  q.start_task("prepare", 0, "reviews");  // count unknown, share of the input known
  EXPECT_TRUE(q.task_due(5000, 2.0, 0.25));
  q.task_update(5000, 2.0, "", 0.25);
  EXPECT_FALSE(q.task_due(6000, 2.5, 0.29));
  lines = lines_of(d.text());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "prepare: 5000 reviews [=======>......................]  25% - 2s - ETA: 6s - "
                      "2500 reviews/s");
}

TEST(ProgressLine, TerminalRedrawsInPlaceAtMostFourTimesASecond) {
  Captured c;
  ProgressLine p(c.f, /*interactive=*/true, 0);
  p.start_task("test", 100, "reviews");
  int drawn = 0;
  for (int i = 1; i <= 100; ++i) {
    const double s = i * 0.01;  // one second in all
    if (p.task_due(i, s)) {
      p.task_update(i, s, "");
      ++drawn;
    }
  }
  p.end_task();
  EXPECT_GE(drawn, 4);
  EXPECT_LE(drawn, 5);
  const std::string t = c.text();
  EXPECT_EQ(t.find('\n'), std::string::npos) << "a live line never scrolls";
  EXPECT_EQ(t.substr(t.size() - 4), "\r\033[K") << "end_task erases the line";
}

TEST(ProgressLine, EpochLineShowsEtaWhileRunningOnly) {
  Captured c;
  ProgressLine p(c.f, false, 5);
  p.start_epoch(1, 2, 10);
  p.update(5, 2.0, 160, 0.6, 0.7);
  p.finish_epoch(4.0, 320, 0.5, 0.75, 0.55, 0.7);
  const auto lines = lines_of(c.text());
  ASSERT_EQ(lines.size(), 3u) << c.text();
  EXPECT_EQ(lines[0], "Epoch 1/2");
  EXPECT_NE(lines[1].find("5/10 [===============>..............] - ETA: 2s - 2s 400ms/step"),
            std::string::npos) << lines[1];
  EXPECT_EQ(lines[2].find("ETA"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("val_acc: 0.7000"), std::string::npos) << lines[2];
}

// The commands: progress on stderr, results alone on stdout.
TEST(ProgressCli, PredictFileShowsProgressOnStderrOnly) {
  const std::string dir = test::scratch_dir("progress-cli");
  const std::string ckpt = dir + "/m.safetensors";
  save_checkpoint(ckpt, test::tiny_checkpoint(2));
  {
    std::ofstream f(dir + "/reviews.txt");
    for (int i = 0; i < 400; ++i) f << (i % 2 ? "good fun movie\n" : "bad boring plot\n");
  }
  const std::string cmd = test::senti_bin() + " predict --device cpu --batch 20 --checkpoint " + ckpt +
                          " --file " + dir + "/reviews.txt";
  std::string out;
  // run_command merges stderr into the output: the parentheses keep this redirect first.
  ASSERT_EQ(test::run_command("(" + cmd + " --json 2>" + dir + "/err.txt)", &out), 0) << out;
  EXPECT_EQ(lines_of(out).size(), 400u) << "stdout holds only the results";
  std::ifstream err(dir + "/err.txt");
  const std::string e((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_NE(e.find("predict: 40/400 reviews"), std::string::npos) << e;
  EXPECT_NE(e.find("positive: "), std::string::npos) << e;
  EXPECT_NE(e.find("ETA: "), std::string::npos) << e;
  ASSERT_EQ(test::run_command("(" + cmd + " -q --json >/dev/null)", &out), 0) << out;
  EXPECT_EQ(out, "") << "--quiet: nothing on stderr";
}

TEST(ProgressCli, EvalShowsRunningFiguresOnStderrAndJsonOnStdout) {
  const std::string dir = test::scratch_dir("progress-eval");
  std::string log;
  ASSERT_EQ(test::run_command(test::senti_bin() + " train --device cpu --data " + test::imdb_archive() +
                                  " --limit 300 --maxlen 30 --epochs 1 --test-limit 0 --no-tensorboard --out " + dir,
                              &log), 0) << log;
  std::string out;
  ASSERT_EQ(test::run_command("(" + test::senti_bin() + " eval --device cpu --json --batch 50 --limit 1000 --checkpoint " +
                                  dir + " --data " + test::imdb_archive() + " 2>" + dir + "/err.txt)", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["test_samples"], 1000) << out;
  std::ifstream err(dir + "/err.txt");
  const std::string e((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_NE(e.find("test: 100/1000 reviews"), std::string::npos) << e;
  EXPECT_NE(e.find(" - loss: "), std::string::npos) << e;
  EXPECT_NE(e.find(" - acc: "), std::string::npos) << e;
}

TEST(ProgressCli, PrepareShowsTheShareOfTheInputReadOnStderr) {
  const std::string dir = test::scratch_dir("progress-prepare");
  test::write_tree(dir + "/data", test::small_aclimdb());  // a folder: 12 review files
  std::string out;
  ASSERT_EQ(test::run_command("(" + test::senti_bin() + " prepare --data " + dir + "/data/aclImdb --out " + dir +
                                  "/cache 2>" + dir + "/err.txt)", &out), 0) << out;
  EXPECT_NE(out.find("train 6 documents"), std::string::npos) << out;
  EXPECT_EQ(out.find(" reviews ["), std::string::npos) << "the report on stdout has no progress";
  std::ifstream err(dir + "/err.txt");
  const std::string e((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_NE(e.find("prepare: 2 reviews [=====>"), std::string::npos) << e;  // 2 of 12 files: 16%
  EXPECT_NE(e.find("prepare: 11 reviews"), std::string::npos) << e;
}

}  // namespace
}  // namespace senti
