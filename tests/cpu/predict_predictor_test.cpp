// Predictor: raw text -> probabilities with the checkpoint's preprocessing. Edge cases on a tiny
// model built in-process, the checkpoint checks, and (on the real data) no train/serve skew: the
// same probabilities as the evaluation path, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "host/run/checkpoint.h"
#include "kernels/common/error.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "host/run/predictor.h"
#include "engine/safetensors.h"
#include "host/run/trainer.h"
#include "host/data/aclimdb_reader.h"
#include "host/data/corpus_builder.h"
#include "host/text/tokenizer.h"
#include "test_env.h"

namespace senti {
namespace {

// A small random model over a 12-word vocabulary: enough for every word to move the output.
Checkpoint tiny_checkpoint(data::Side padding = data::Side::Post,
                           data::Side truncating = data::Side::Post) {
  Checkpoint c;
  c.model = ModelConfig{16, 8, 6};
  c.state = init_train_state(c.model, 11);
  // Larger embeddings than Keras's init so that word choice clearly changes the output.
  const ParamLayout layout(c.model);
  for (size_t i = 0; i < layout[ParamId::Embedding].size; ++i)
    c.state.params[layout[ParamId::Embedding].offset + i] *= 40.f;
  c.vocab.num_words = 15;
  c.vocab.source = "train-split";
  c.vocab.words = {"the", "movie", "good", "bad", "great", "awful", "très", "bien", "plot",
                   "acting", "don't", "film"};
  c.sequence.maxlen = 12;
  c.sequence.padding = padding;
  c.sequence.truncating = truncating;
  c.tokenizer_version = static_cast<int>(text::kTokenizerVersion);
  return c;
}

Predictor make_predictor(const Checkpoint& c, int batch) {
  return Predictor(c, make_cpu_backend(inference_backend_options(c, batch)), batch, "tiny");
}

float predict_one(Predictor& p, const std::string& text) { return p.predict({text})[0]; }

std::vector<int32_t> encoded(Predictor& p, const std::string& text, int32_t* len = nullptr) {
  std::vector<int32_t> ids(static_cast<size_t>(p.sequence().maxlen));
  const int32_t n = p.encode(text, ids.data());
  if (len) *len = n;
  return ids;
}

TEST(Predictor, EncodesWithTheCheckpointVocabularyAndSequenceOptions) {
  const Checkpoint c = tiny_checkpoint(data::Side::Pre, data::Side::Post);
  Predictor p = make_predictor(c, 4);
  int32_t len = 0;
  // the=3 movie=4 good=5, "zebra" unknown -> 2; pre padding puts zeros first, start token 1.
  EXPECT_EQ(encoded(p, "The movie: GOOD zebra!", &len),
            (std::vector<int32_t>{0, 0, 0, 0, 0, 0, 0, 1, 3, 4, 5, 2}));
  EXPECT_EQ(len, 5);
}

TEST(Predictor, EmptyTextIsTheStartTokenAlone) {
  const Checkpoint c = tiny_checkpoint();
  Predictor p = make_predictor(c, 4);
  int32_t len = 0;
  std::vector<int32_t> want(12, 0);
  want[0] = 1;
  EXPECT_EQ(encoded(p, "", &len), want);
  EXPECT_EQ(len, 1);
  const float empty = predict_one(p, "");
  EXPECT_TRUE(std::isfinite(empty));
  EXPECT_EQ(empty, predict_one(p, "  ...!? \n\t"));  // only separators: also no words
  EXPECT_NE(empty, predict_one(p, "great"));
}

TEST(Predictor, OnlyUnknownWordsAreOutOfVocabularyIds) {
  const Checkpoint c = tiny_checkpoint();
  Predictor p = make_predictor(c, 4);
  EXPECT_EQ(encoded(p, "zebra quokka xylophone"),
            (std::vector<int32_t>{1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0}));
  // Any three unknown words are the same input.
  EXPECT_EQ(predict_one(p, "zebra quokka xylophone"), predict_one(p, "foo bar baz"));
  EXPECT_NE(predict_one(p, "zebra quokka xylophone"), predict_one(p, "zebra"));
}

TEST(Predictor, NonAsciiAndInvalidUtf8FollowTheTokenizerRules) {
  const Checkpoint c = tiny_checkpoint();
  Predictor p = make_predictor(c, 4);
  // Latin-1 letters are words and lowercased: "TRÈS BIEN" -> très (9), bien (10).
  EXPECT_EQ(encoded(p, "TRÈS BIEN")[1], 9);
  EXPECT_EQ(encoded(p, "TRÈS BIEN")[2], 10);
  // Invalid bytes separate words and are otherwise dropped, so never crash and never merge.
  EXPECT_EQ(predict_one(p, "good\xff" "movie"), predict_one(p, "good movie"));
  EXPECT_EQ(predict_one(p, "\xc3\x28 great \xed\xa0\x80"), predict_one(p, "great"));
  EXPECT_EQ(predict_one(p, "great \xe2\x82"), predict_one(p, "great"));  // truncated sequence
  // Curly apostrophe is the same word as the ASCII one.
  EXPECT_EQ(predict_one(p, "don\xe2\x80\x99t"), predict_one(p, "don't"));
  const float cjk = predict_one(p, "这部电影很好 🎬");
  EXPECT_TRUE(std::isfinite(cjk));
}

TEST(Predictor, LongReviewIsTruncatedLikeTraining) {
  std::string first, last, review;
  for (int i = 0; i < 11; ++i) first += "good ";  // maxlen 12 = start + 11 words
  for (int i = 0; i < 11; ++i) last += "awful ";
  std::string middle;
  for (int i = 0; i < 5000; ++i) middle += (i % 3 ? "plot " : "acting ");
  review = first + middle + last;

  Predictor post = make_predictor(tiny_checkpoint(data::Side::Post, data::Side::Post), 4);
  EXPECT_EQ(predict_one(post, review), predict_one(post, first));  // keeps the beginning
  int32_t len = 0;
  encoded(post, review, &len);
  EXPECT_EQ(len, 12);

  // truncating=pre keeps the end (and drops the start token, as Keras does).
  Predictor pre = make_predictor(tiny_checkpoint(data::Side::Post, data::Side::Pre), 4);
  std::vector<int32_t> want(12, 8);  // the last 12 words: the middle's last "plot" (11), 11 x awful
  want[0] = 11;
  EXPECT_EQ(encoded(pre, review), want);
}

TEST(Predictor, BatchingDoesNotChangeResults) {
  const Checkpoint c = tiny_checkpoint();
  std::vector<std::string> texts;
  const char* words[] = {"good", "bad", "great", "awful", "plot", "acting", "zebra", "the"};
  for (int i = 0; i < 37; ++i) {
    std::string t;
    for (int k = 0; k <= i % 9; ++k) t += std::string(words[(i * 7 + k * 3) % 8]) + " ";
    texts.push_back(t);
  }
  Predictor one = make_predictor(c, 1);
  Predictor many = make_predictor(c, 8);  // 37 = 4 full batches + 5
  const std::vector<float> a = one.predict(texts), b = many.predict(texts);
  ASSERT_EQ(a.size(), texts.size());
  ASSERT_EQ(b.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << texts[i];
  // Not all the same: the model does read the words.
  EXPECT_NE(*std::min_element(a.begin(), a.end()), *std::max_element(a.begin(), a.end()));
}

TEST(Predictor, VeryManyReviews) {
  const Checkpoint c = tiny_checkpoint();
  Predictor p = make_predictor(c, 64);
  const std::vector<std::string> kinds = {"", "great film", "awful plot, bad acting", "zebra",
                                          "très bien", "the movie"};
  std::vector<std::string> texts;
  for (int i = 0; i < 20000; ++i) texts.push_back(kinds[static_cast<size_t>(i * 5 + i / 7) % kinds.size()]);
  const std::vector<float> probs = p.predict(texts);
  ASSERT_EQ(probs.size(), texts.size());
  std::map<std::string, float> single;
  for (const auto& k : kinds) single[k] = predict_one(p, k);
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_GT(probs[i], 0.f);
    ASSERT_LT(probs[i], 1.f);
    ASSERT_NEAR(probs[i], single[texts[i]], 1e-6) << "review " << i;
  }
}

TEST(Predictor, RefusesAnotherTokenizerVersion) {
  Checkpoint c = tiny_checkpoint();
  c.tokenizer_version = static_cast<int>(text::kTokenizerVersion) + 1;
  try {
    check_inference_ready(c, "model.safetensors");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer version"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_predictor(c, 2), UsageError);
}

TEST(Predictor, RefusesACheckpointWithoutVocabulary) {
  Checkpoint c = tiny_checkpoint();
  c.vocab.words.clear();
  try {
    make_predictor(c, 2);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no vocabulary"), std::string::npos) << e.what();
  }
  c = tiny_checkpoint();
  c.vocab.num_words = 3;  // ids 0..2 only: no word could ever be looked up
  EXPECT_THROW(check_inference_ready(c, "x"), UsageError);
  c = tiny_checkpoint();
  c.vocab.num_words = c.model.vocab_size + 1;  // ids past the embedding
  EXPECT_THROW(check_inference_ready(c, "x"), UsageError);
}

TEST(Predictor, CheckpointFileWithoutVocabularyMetadataFailsToLoad) {
  const std::string dir = test::scratch_dir("predict-novocab");
  save_checkpoint(dir + "/c.safetensors", tiny_checkpoint());
  safetensors::File f = safetensors::read_file(dir + "/c.safetensors");
  f.metadata.erase("vocabulary");
  safetensors::write_file(dir + "/stripped.safetensors", f);
  try {
    load_checkpoint(dir + "/stripped.safetensors");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("vocabulary"), std::string::npos) << e.what();
  }
  // The round trip through a file keeps everything predictions depend on.
  const Checkpoint back = load_checkpoint(dir + "/c.safetensors");
  Predictor a = make_predictor(tiny_checkpoint(), 2), b = make_predictor(back, 2);
  EXPECT_EQ(a.predict({"great film", "awful"}), b.predict({"great film", "awful"}));
}

}  // namespace
}  // namespace senti
