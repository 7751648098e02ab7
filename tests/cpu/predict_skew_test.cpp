// No train/serve skew: for real IMDB test reviews, the Predictor on the *raw text* (read straight
// from the archive) must feed the model exactly the sequences the training data pipeline built for
// those reviews (corpus builder + gather_batch), and so produce bit-identical probabilities to the
// evaluation path, evaluate(), on the same rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "host/run/checkpoint.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "host/run/predictor.h"
#include "host/run/trainer.h"
#include "host/data/aclimdb_reader.h"
#include "host/data/corpus_builder.h"
#include "host/text/tokenizer.h"
#include "test_env.h"

namespace senti {
namespace {

// A small model trained for a few steps on the corpus, so its outputs depend on the words.
Checkpoint trained_tiny_model(const data::Corpus& corpus, const data::SequenceOptions& seq) {
  Checkpoint c;
  c.model = ModelConfig{corpus.vocab.num_words, 16, 16};
  c.state = init_train_state(c.model, 5);
  c.vocab = corpus.vocab;
  c.sequence = seq;
  c.tokenizer_version = static_cast<int>(text::kTokenizerVersion);
  c.optimizer.adam.lr = 0.01f;
  BackendOptions o;
  o.model = c.model;
  o.optimizer = c.optimizer;
  o.max_batch = 32;
  o.maxlen = seq.maxlen;
  auto backend = make_cpu_backend(o);
  backend->set_state(c.state);
  std::vector<int32_t> ids(32 * static_cast<size_t>(seq.maxlen)), lengths(32);
  std::vector<float> labels(32);
  for (int step = 0; step < 30; ++step) {
    std::vector<int64_t> rows(32);
    for (int i = 0; i < 32; ++i) rows[i] = (static_cast<int64_t>(step) * 32 + i) * 7919 % 25000;
    data::gather_batch(corpus.train, rows.data(), 32, seq, ids.data(), labels.data(), lengths.data());
    Batch b{ids.data(), labels.data(), lengths.data(), 32, seq.maxlen};
    backend->train_step(b);
  }
  c.state = backend->get_state();
  return c;
}

TEST(PredictSkew, SameProbabilitiesAsEvaluateOnRealReviews) {
  const std::string archive = test::imdb_archive();
  if (!std::filesystem::exists(archive))
    GTEST_SKIP() << "IMDB archive not found at " << archive << " (set SENTI_DATA_DIR)";
  data::BuildInfo info;
  const data::Corpus corpus = data::build_corpus(archive, data::VocabularyOptions{}, &info);
  // Pre padding / post truncation: both sides of make_sequence matter for these reviews.
  data::SequenceOptions seq;
  seq.maxlen = 120;
  seq.padding = data::Side::Pre;
  seq.truncating = data::Side::Post;

  // 75 positive and 75 negative test reviews (many longer than maxlen, some with <br /> and
  // non-ASCII), and the longest test review.
  std::vector<int64_t> rows;
  for (int64_t r = 0; r < 75; ++r) rows.push_back(r * 151);
  for (int64_t r = 0; r < 75; ++r) rows.push_back(12500 + r * 149);
  int64_t longest = 0;
  for (size_t r = 0; r < corpus.test.size(); ++r)
    if (corpus.test.length(r) > corpus.test.length(static_cast<size_t>(longest))) longest = static_cast<int64_t>(r);
  rows.push_back(longest);

  std::map<std::pair<int, int32_t>, std::string> wanted;  // (label, review id) -> raw text
  for (const int64_t r : rows) wanted[{corpus.test.labels[r], corpus.test.review_ids[r]}] = "";
  data::read_aclimdb(archive, [&](const data::ReviewFile& f, std::string_view text) {
    if (f.split != data::SplitName::Test) return;
    auto it = wanted.find({f.label, f.id});
    if (it != wanted.end()) it->second.assign(text);
  });
  std::vector<std::string> texts;
  for (const int64_t r : rows) texts.push_back(wanted[{corpus.test.labels[r], corpus.test.review_ids[r]}]);

  const std::string path = test::scratch_dir("predict-skew") + "/model.safetensors";
  save_checkpoint(path, trained_tiny_model(corpus, seq));
  const Checkpoint ckpt = load_checkpoint(path);
  Predictor predictor(ckpt, make_cpu_backend(inference_backend_options(ckpt, 32)), 32, path);

  // 1. The same model input, id for id.
  std::vector<int32_t> from_text(static_cast<size_t>(seq.maxlen)), from_corpus(from_text.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_FALSE(texts[i].empty()) << "review row " << rows[i] << " not found in the archive";
    const int64_t r = rows[i];
    const int32_t len_text = predictor.encode(texts[i], from_text.data());
    std::vector<int32_t> widened;  // the cache's ids are a 16-bit view
    const int32_t len_corpus = data::make_sequence(
        corpus.test.tokens.ids(corpus.test.offsets[r], static_cast<size_t>(corpus.test.length(r)), &widened),
        corpus.test.length(r), seq, from_corpus.data());
    ASSERT_EQ(len_text, len_corpus) << "row " << r;
    ASSERT_EQ(from_text, from_corpus) << "row " << r;
  }

  // 2. The same probabilities, bit for bit (same backend, same batches).
  std::vector<float> evaluated;
  const Metrics m = evaluate(predictor.backend(), corpus.test, rows, 32, seq, nullptr, &evaluated);
  EXPECT_EQ(m.count, static_cast<int64_t>(rows.size()));
  const std::vector<float> predicted = predictor.predict(texts);
  ASSERT_EQ(predicted.size(), evaluated.size());
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(predicted[i], evaluated[i]) << "row " << rows[i];
  // The model is not constant, so the comparison means something.
  EXPECT_NE(*std::min_element(predicted.begin(), predicted.end()),
            *std::max_element(predicted.begin(), predicted.end()));
}

}  // namespace
}  // namespace senti
