// `--explain` (host/run/explainer.h): the tokenizer's source spans, and occlusion contributions on
// a model built so that the sentiment of each word is known: its LSTM adds tanh(embedding) to the
// cell for every word, so "good"/"great" push the output up, "bad"/"awful" down, other words not at
// all. Also the window (words past maxlen are not seen), the JSON and text forms, and the serve API.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/cpu/cpu_backend.h"
#include "host/cli/serve_api.h"
#include "host/run/explainer.h"
#include "host/run/predictor.h"
#include "host/text/tokenizer.h"
#include "test_env.h"
#include "tiny_checkpoint.h"

namespace senti {
namespace {

TEST(TokenizerSpans, PointAtEachWordInTheRawText) {
  text::TokenList t;
  t.keep_spans = true;
  const std::string raw = "It's <br />GREAT, 'really' caf\xc3\xa9\xe2\x80\x94ok \xff x";
  text::tokenize(raw, &t);
  const std::vector<std::string> want = {"It's", "GREAT", "really", "caf\xc3\xa9", "ok", "x"};
  ASSERT_EQ(t.size(), want.size());
  ASSERT_EQ(t.spans.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(raw.substr(t.spans[i].first, t.spans[i].second - t.spans[i].first), want[i]) << i;
  text::TokenList plain;
  text::tokenize(raw, &plain);
  EXPECT_TRUE(plain.spans.empty()) << "spans only when asked";
  EXPECT_EQ(plain.text, t.text);
}

// tiny_checkpoint's vocabulary (the 3, movie 4, good 5, bad 6, great 7, awful 8, ...) with E = 1,
// H = 1: embedding +1 for good/great, -1 for bad/awful, 0 otherwise; input, forget and output
// gates saturated open, candidate tanh(x): c accumulates the words' sentiment; logit = 3 tanh(c).
Checkpoint sentiment_model(int maxlen, data::Side truncating) {
  Checkpoint c = test::tiny_checkpoint(1);
  c.model = ModelConfig{16, 1, 1};
  const ParamLayout L(c.model);
  c.state.params.assign(L.total(), 0.f);
  c.state.m.clear();
  c.state.v.clear();
  float* p = c.state.params.data();
  p[L[ParamId::Embedding].offset + 5] = p[L[ParamId::Embedding].offset + 7] = 1.f;
  p[L[ParamId::Embedding].offset + 6] = p[L[ParamId::Embedding].offset + 8] = -1.f;
  p[L[ParamId::Kernel].offset + 2] = 1.f;  // gate block c (Keras order i, f, c, o)
  p[L[ParamId::Bias].offset + 0] = p[L[ParamId::Bias].offset + 1] = p[L[ParamId::Bias].offset + 3] = 12.f;
  p[L[ParamId::DenseKernel].offset] = 3.f;
  c.sequence.maxlen = maxlen;
  c.sequence.truncating = truncating;
  return c;
}

std::unique_ptr<Predictor> predictor_for(const Checkpoint& c) {
  return std::make_unique<Predictor>(c, make_cpu_backend(inference_backend_options(c, 4)), 4, "m");
}

TEST(Explain, KnownSentimentWordsGetTheirSignAndNeutralWordsNothing) {
  const Checkpoint c = sentiment_model(20, data::Side::Post);
  auto p = predictor_for(c);
  const std::string review = "The GOOD movie, the bad plot... but great!";
  const auto e = explain(*p, {review})[0];
  EXPECT_NEAR(e.prob_positive, p->predict({review})[0], 1e-6);
  ASSERT_EQ(e.words.size(), 8u);
  std::map<std::string, double> c_of;
  for (const auto& w : e.words) {
    EXPECT_TRUE(w.seen);
    c_of[review.substr(w.begin, w.end - w.begin)] = w.contribution;
  }
  EXPECT_GT(c_of.at("GOOD"), 0.3);
  EXPECT_GT(c_of.at("great"), 0.3);
  EXPECT_LT(c_of.at("bad"), -0.3);
  for (const char* neutral : {"The", "movie", "plot", "but"})
    EXPECT_LT(std::fabs(c_of.at(neutral)), 0.02) << neutral;
  // Leaving "bad" out: the logit moves by exactly -contribution.
  const float without_bad = p->predict({"The GOOD movie, the plot... but great!"})[0];
  const double logit = [](double q) { return std::log(q / (1 - q)); }(e.prob_positive);
  EXPECT_NEAR(c_of.at("bad"), logit - std::log(without_bad / (1.0 - without_bad)), 1e-4);
}

TEST(Explain, WordsOutsideTheWindowAreNotSeen) {
  // 7 words; maxlen 5: 4 are read. Leaving a read word out pulls the next unread one in, as the
  // shortened review really would.
  const std::string review = "awful good good good the bad great";
  for (const data::Side side : {data::Side::Post, data::Side::Pre}) {
    auto p = predictor_for(sentiment_model(5, side));
    const auto e = explain(*p, {review})[0];
    ASSERT_EQ(e.words.size(), 7u);
    for (size_t i = 0; i < 7; ++i) {
      const bool seen = side == data::Side::Post ? i < 4 : i >= 3;
      EXPECT_EQ(e.words[i].seen, seen) << i;
      if (!seen) {
        EXPECT_EQ(e.words[i].contribution, 0.0) << i;
      }
    }
    // The model reads "awful good good good" (post) or "good the bad great" (pre).
    if (side == data::Side::Post) {
      EXPECT_LT(e.words[0].contribution, -0.1) << "awful";
    } else {
      EXPECT_LT(e.words[5].contribution, -0.1) << "bad";
    }
  }
}

TEST(Explain, JsonAndTopWordsNameWordsByTheirOriginalText) {
  auto p = predictor_for(sentiment_model(20, data::Side::Post));
  const std::string review = "Awful, just AWFUL. But the movie: great.";
  const auto e = explain(*p, {review})[0];
  const nlohmann::json j = explanation_json(e, review);
  EXPECT_EQ(j["unit"], "log-odds");
  ASSERT_EQ(j["words"].size(), 7u);
  EXPECT_EQ(j["words"][0]["text"], "Awful");
  EXPECT_EQ(j["words"][0]["start"], 0);
  EXPECT_EQ(j["words"][0]["end"], 5);
  EXPECT_EQ(j["words"][0]["id"], 8);
  EXPECT_EQ(j["words"][1]["id"], 2) << "'just' is out of the vocabulary";
  EXPECT_LT(j["words"][0]["contribution"].get<double>(), 0);
  const std::string top = top_words(e, review, 3);
  EXPECT_NE(top.find(" great"), std::string::npos) << top;
  EXPECT_NE(top.find(" AWFUL"), std::string::npos) << top;
  EXPECT_EQ(top.find("movie"), std::string::npos) << top;
}

TEST(Explain, ServeApiExplainsWhenAskedAndWithinItsLimit) {
  auto p = predictor_for(sentiment_model(20, data::Side::Post));
  cli::ServeLimits limits;
  limits.max_explain_texts = 2;
  cli::PredictRequest r;
  cli::ApiError err;
  ASSERT_TRUE(cli::parse_predict_request(R"({"texts": ["great", "bad"], "explain": true})", limits, &r, &err))
      << err.message;
  EXPECT_TRUE(r.explain);
  const auto body = nlohmann::json::parse(cli::predict_response(*p, r));
  ASSERT_EQ(body["predictions"].size(), 2u);
  EXPECT_EQ(body["predictions"][0]["label"], "positive");
  EXPECT_GT(body["predictions"][0]["explanation"]["words"][0]["contribution"].get<double>(), 0);
  EXPECT_LT(body["predictions"][1]["explanation"]["words"][0]["contribution"].get<double>(), 0);
  ASSERT_TRUE(cli::parse_predict_request(R"({"texts": ["great"]})", limits, &r, &err));
  EXPECT_FALSE(r.explain);
  EXPECT_FALSE(nlohmann::json::parse(cli::predict_response(*p, r))["predictions"][0].contains("explanation"));
  EXPECT_FALSE(cli::parse_predict_request(R"({"texts": ["a"], "explain": "yes"})", limits, &r, &err));
  EXPECT_EQ(err.status, 400);
  EXPECT_NE(err.message.find("\"explain\" is a string"), std::string::npos) << err.message;
  EXPECT_FALSE(cli::parse_predict_request(R"({"texts": ["a", "b", "c"], "explain": true})", limits, &r, &err));
  EXPECT_EQ(err.status, 413);
  EXPECT_NE(err.message.find("limit is 2"), std::string::npos) << err.message;
  EXPECT_TRUE(cli::parse_predict_request(R"({"texts": ["a", "b", "c"], "explain": false})", limits, &r, &err));
}

TEST(Explain, PredictCliPrintsTheStrongestWords) {
  const std::string dir = test::scratch_dir("explain-cli");
  save_checkpoint(dir + "/m.safetensors", sentiment_model(20, data::Side::Post));
  std::string out;
  ASSERT_EQ(test::run_command(test::senti_bin() + " predict -q --device cpu --explain --checkpoint " + dir +
                                  "/m.safetensors 'the movie was awful but the plot great'", &out), 0) << out;
  EXPECT_NE(out.find("\twhy (log-odds, leave one word out): "), std::string::npos) << out;
  EXPECT_NE(out.find(" awful"), std::string::npos) << out;
  ASSERT_EQ(test::run_command(test::senti_bin() + " predict -q --device cpu --explain --json --checkpoint " + dir +
                                  "/m.safetensors 'great'", &out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["explanation"]["words"][0]["text"], "great");
  EXPECT_EQ(j["explanation"]["method"], "occlusion: leave one word out");
}

}  // namespace
}  // namespace senti
