// `senti predict` through the binary: every input (arguments, --file, standard input), both output
// formats, the throughput line, and clear errors with a non-zero exit for bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/run/checkpoint.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "host/run/predictor.h"
#include "host/text/tokenizer.h"
#include "test_env.h"
#include "tiny_checkpoint.h"

namespace senti {
namespace {

Checkpoint tiny_checkpoint() { return test::tiny_checkpoint(3); }

struct Fixture {
  std::string dir = test::scratch_dir("predict-cli");
  std::string ckpt = dir + "/model.safetensors";
  Fixture() { save_checkpoint(ckpt, tiny_checkpoint()); }
  // The probabilities the library gives, to compare the binary's output with.
  std::vector<float> expected(const std::vector<std::string>& texts) const {
    const Checkpoint c = load_checkpoint(ckpt);
    Predictor p(c, make_cpu_backend(inference_backend_options(c, 8)), 8, ckpt);
    return p.predict(texts);
  }
  std::string predict(const std::string& args, int* rc, const std::string& stdin_file = "") const {
    std::string out;
    std::string cmd = test::senti_bin() + " predict --device cpu --checkpoint " + ckpt + " " + args;
    if (!stdin_file.empty()) cmd += " < " + stdin_file;
    *rc = test::run_command(cmd, &out);
    return out;
  }
};

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string fixed4(float p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", p);
  return buf;
}

TEST(PredictCli, TextsFromArgumentsPrintProbabilityAndLabel) {
  Fixture fx;
  int rc = 0;
  const std::string out = fx.predict("-q 'I loved this great film' 'Boring plot, awful acting.'", &rc);
  ASSERT_EQ(rc, 0) << out;
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 2u) << out;
  const auto want = fx.expected({"I loved this great film", "Boring plot, awful acting."});
  EXPECT_EQ(lines[0], fixed4(want[0]) + "\t" + label_of(want[0], data::imdb_classes()) + "\tI loved this great film");
  EXPECT_EQ(lines[1], fixed4(want[1]) + "\t" + label_of(want[1], data::imdb_classes()) + "\tBoring plot, awful acting.");
}

TEST(PredictCli, JsonLinesCarryTextProbabilityAndLabel) {
  Fixture fx;
  int rc = 0;
  // Invalid UTF-8 in a review must still give valid JSON (written as U+FFFD).
  const std::string out = fx.predict("-q --json 'great fun' 'hated it' \"$(printf 'bad \\377 movie')\" ''", &rc);
  ASSERT_EQ(rc, 0) << out;
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 4u) << out;
  const auto want = fx.expected({"great fun", "hated it", "bad \xff movie", ""});
  const char* texts[] = {"great fun", "hated it", "bad \xef\xbf\xbd movie", ""};
  for (size_t i = 0; i < 4; ++i) {
    const auto j = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(j.at("text"), texts[i]);
    EXPECT_EQ(j.at("prob_positive").get<float>(), want[i]) << lines[i];
    EXPECT_EQ(j.at("label"), label_of(want[i], data::imdb_classes()));
  }
}

TEST(PredictCli, FileAndStdinOneReviewALine) {
  Fixture fx;
  std::vector<std::string> reviews;
  const char* words[] = {"good", "bad", "great", "awful", "boring", "fun", "plot", "zebra"};
  for (int i = 0; i < 3000; ++i) {
    std::string r;
    for (int k = 0; k < i % 23; ++k) r += std::string(words[(i + k * k) % 8]) + " ";
    reviews.push_back(r);  // i % 23 == 0: an empty line, still a review
  }
  const std::string file = fx.dir + "/reviews.txt";
  {
    std::ofstream f(file, std::ios::binary);
    for (size_t i = 0; i < reviews.size(); ++i) f << reviews[i] << (i % 2 ? "\r\n" : "\n");  // CRLF too
  }
  const auto want = fx.expected(reviews);
  int rc = 0;
  for (const std::string& how : {std::string("--file ") + file, std::string("--file -"), std::string()}) {
    const std::string out = fx.predict("-q --json --batch 50 " + how, &rc,
                                       how == "--file " + file ? "" : file);
    ASSERT_EQ(rc, 0) << how << ": " << out.substr(0, 500);
    const auto lines = lines_of(out);
    ASSERT_EQ(lines.size(), reviews.size()) << how;
    for (size_t i = 0; i < reviews.size(); ++i) {
      const auto j = nlohmann::json::parse(lines[i]);
      ASSERT_EQ(j.at("text"), reviews[i]) << how << " line " << i;
      ASSERT_EQ(j.at("prob_positive").get<float>(), want[i]) << how << " line " << i;
    }
  }
}

TEST(PredictCli, PrintsThroughput) {
  Fixture fx;
  int rc = 0;
  const std::string out = fx.predict("great bad fun", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("senti predict: 3 reviews in"), std::string::npos) << out;
  EXPECT_NE(out.find("reviews/s"), std::string::npos) << out;
}

void expect_usage_error(const std::string& cmd, const std::string& needle) {
  std::string out;
  const int rc = test::run_command(cmd, &out);
  EXPECT_EQ(rc, 2) << cmd << "\n" << out;
  EXPECT_NE(out.find(needle), std::string::npos) << cmd << "\n" << out;
  EXPECT_EQ(out.find("Aborted"), std::string::npos) << out;
}

TEST(PredictCli, ClearErrorsForBadInput) {
  Fixture fx;
  const std::string bin = test::senti_bin() + " predict --device cpu ";
  expect_usage_error(bin + "--checkpoint " + fx.dir + "/missing.safetensors good", "missing.safetensors");
  // A truncated checkpoint.
  {
    std::ifstream in(fx.ckpt, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(fx.dir + "/cut.safetensors", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  expect_usage_error(bin + "--checkpoint " + fx.dir + "/cut.safetensors good", "cut.safetensors");
  expect_usage_error(bin + "--checkpoint " + fx.ckpt + " --file " + fx.dir + "/nope.txt", "nope.txt");
  expect_usage_error(bin + "--checkpoint " + fx.ckpt + " --batch 0 good", "--batch");
  expect_usage_error(test::senti_bin() + " predict --checkpoint " + fx.ckpt + " --device tpu good",
                     "--device");
  expect_usage_error(bin + "--checkpoint " + fx.ckpt + " --file " + fx.ckpt + " good", "not both");
  // A checkpoint without its vocabulary.
  Checkpoint bare = tiny_checkpoint();
  bare.vocab.words.clear();
  save_checkpoint(fx.dir + "/bare.safetensors", bare);
  expect_usage_error(bin + "--checkpoint " + fx.dir + "/bare.safetensors good", "no vocabulary");
}

// --ids: the padded sequence the model was fed, the input of an exported ONNX model.
TEST(PredictCli, IdsAreThePaddedSequenceTheModelWasFed) {
  Fixture fx;
  int rc = 0;
  const std::string out = fx.predict("-q --json --ids 'the good movie' 'unknownword'", &rc);
  ASSERT_EQ(rc, 0) << out;
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 2u) << out;
  const auto a = nlohmann::json::parse(lines[0]), b = nlohmann::json::parse(lines[1]);
  // tiny_checkpoint: "the" 3, "movie" 4, "good" 5; maxlen 10, post padding; start 1, OOV 2.
  EXPECT_EQ(a["ids"], nlohmann::json({1, 3, 5, 4, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(a["length"], 4);
  EXPECT_EQ(b["ids"], nlohmann::json({1, 2, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(b["length"], 2);
  EXPECT_NE(fx.predict("-q --ids good", &rc).find("--ids needs --json"), std::string::npos);
  EXPECT_EQ(rc, 2);
}

}  // namespace
}  // namespace senti
