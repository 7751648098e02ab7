// Batch-invariant inference (docs/serving.md, "Batch invariance"): a review's probability is the
// same bits alone and inside any batch, at any position, beside any other reviews of any length,
// with any thread count, through the library (Predictor, which predict, serve and eval share) and
// through `senti predict`. The models have the seed shape (E 128, H 64: the GEMM shapes where
// OpenBLAS's kernel choice depends on the rows around a review) and the other options of the
// forward pass (mask, BiLSTM, pooling, n-grams, pre-padding).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "host/run/checkpoint.h"
#include "host/run/predictor.h"
#include "host/text/tokenizer.h"
#include "test_env.h"

namespace senti {
namespace {

struct Variant {
  const char* name;
  ModelConfig model;
  data::Side padding;
};

std::vector<Variant> variants() {
  ModelConfig seed;  // Embedding(V, 128) -> LSTM(64) -> Dense(1)
  seed.vocab_size = 400;
  ModelConfig best = seed;  // --preset best's forward: mask, BiLSTM, concat pooling, --ngrams 2
  best.mask = true;
  best.bidirectional = true;
  best.pool = Pool::Concat;
  best.ngrams = 2;
  best.ngram_buckets = 4096;
  ModelConfig mean = seed;
  mean.mask = true;
  mean.pool = Pool::Mean;
  return {{"seed", seed, data::Side::Post},
          {"seed-pre", seed, data::Side::Pre},
          {"masked-bilstm-concat-ngrams", best, data::Side::Post},
          {"masked-mean", mean, data::Side::Pre}};
}

Checkpoint checkpoint_of(const Variant& v) {
  Checkpoint c;
  c.model = v.model;
  c.state = init_train_state(c.model, 29);
  // Keras's init gives tiny logits; larger weights make every bit of the sums matter.
  const ParamLayout layout(c.model);
  for (ParamId id : {ParamId::Embedding, ParamId::DenseKernel})
    for (size_t i = 0; i < layout[id].size; ++i) c.state.params[layout[id].offset + i] *= 20.f;
  c.vocab.num_words = c.model.vocab_size;
  c.vocab.source = "train-split";
  for (int w = 0; w < c.model.vocab_size - 3; ++w) c.vocab.words.push_back("w" + std::to_string(w));
  c.sequence.maxlen = 160;
  c.sequence.padding = v.padding;
  c.tokenizer_version = static_cast<int>(text::kTokenizerVersion);
  return c;
}

// Reviews of very different lengths (empty, a word, longer than maxlen) over the vocabulary.
std::vector<std::string> reviews(int n, int vocab_words) {
  std::mt19937 rng(5);
  std::vector<std::string> out;
  for (int r = 0; r < n; ++r) {
    const int len = r == 0 ? 0 : r == 1 ? 1 : static_cast<int>(rng() % 220);
    std::string text;
    for (int k = 0; k < len; ++k)
      text += "w" + std::to_string(rng() % (vocab_words + 40)) + " ";  // some out-of-vocabulary
    out.push_back(text);
  }
  return out;
}

// SENTI_CPU_THREADS for the backends made while it lives.
struct CpuThreads {
  explicit CpuThreads(int n) { setenv("SENTI_CPU_THREADS", std::to_string(n).c_str(), 1); }
  ~CpuThreads() { unsetenv("SENTI_CPU_THREADS"); }
};

std::vector<float> predict_all(const Checkpoint& c, const std::vector<std::string>& texts,
                               int batch, int threads) {
  CpuThreads t(threads);
  Predictor p(c, make_cpu_backend(inference_backend_options(c, batch)), batch, "invariance");
  return p.predict(texts);
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(BatchInvariance, EveryReviewAloneEqualsItInAnyBatch) {
  for (const Variant& v : variants()) {
    SCOPED_TRACE(v.name);
    const Checkpoint c = checkpoint_of(v);
    const std::vector<std::string> texts = reviews(70, c.model.vocab_size - 3);
    // Each review alone: a batch of one, one thread.
    std::vector<float> alone(texts.size());
    {
      CpuThreads t(1);
      Predictor p(c, make_cpu_backend(inference_backend_options(c, 1)), 1, "alone");
      for (size_t i = 0; i < texts.size(); ++i) alone[i] = p.predict({texts[i]})[0];
    }
    float lo = 1.f, hi = 0.f;
    for (float p : alone) lo = std::min(lo, p), hi = std::max(hi, p);
    ASSERT_LT(lo, hi) << "the model should tell the reviews apart";
    // The same reviews in other orders (other neighbours, other positions), in batches of many
    // sizes, with 1-3 threads.
    std::mt19937 rng(17);
    const int batches[] = {2, 3, 5, 8, 13, 16, 31, 32, 33, 64};
    for (size_t round = 0; round < std::size(batches); ++round) {
      std::vector<size_t> order(texts.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      std::vector<std::string> shuffled;
      for (size_t i : order) shuffled.push_back(texts[i]);
      const int threads = 1 + static_cast<int>(round % 3);
      const std::vector<float> got = predict_all(c, shuffled, batches[round], threads);
      for (size_t k = 0; k < order.size(); ++k)
        ASSERT_TRUE(same_bits(got[k], alone[order[k]]))
            << "review " << order[k] << " (" << texts[order[k]].size() << " bytes) at position "
            << k % batches[round] << " of a batch of " << batches[round] << ", " << threads
            << " threads: " << got[k] << " vs " << alone[order[k]] << " alone";
    }
    // The same review repeated a whole batch long, and beside only empty reviews.
    std::vector<std::string> same(32, texts[5]);
    for (float p : predict_all(c, same, 32, 2)) ASSERT_TRUE(same_bits(p, alone[5]));
    std::vector<std::string> with_empty(9, std::string());
    with_empty[4] = texts[7];
    ASSERT_TRUE(same_bits(predict_all(c, with_empty, 9, 2)[4], alone[7]));
  }
}

std::vector<float> cli_probabilities(const std::string& ckpt, const std::string& file, int batch,
                                     int threads) {
  std::string out;
  const int rc = test::run_command("SENTI_CPU_THREADS=" + std::to_string(threads) + " " +
                                       test::senti_bin() + " predict -q --json --device cpu --batch " +
                                       std::to_string(batch) + " --checkpoint " + ckpt +
                                       " --file " + file,
                                   &out);
  EXPECT_EQ(rc, 0) << out.substr(0, 500);
  std::vector<float> probs;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    probs.push_back(nlohmann::json::parse(line).at("prob_positive").get<float>());
  return probs;
}

TEST(BatchInvariance, PredictCliGivesTheSameBitsForAnyBatch) {
  const std::vector<Variant> all = variants();
  const Checkpoint c = checkpoint_of(all[2]);
  const std::string dir = test::scratch_dir("batch-invariance");
  const std::string ckpt = dir + "/model.safetensors";
  save_checkpoint(ckpt, c);
  const std::vector<std::string> texts = reviews(40, c.model.vocab_size - 3);
  const std::string file = dir + "/reviews.txt";
  {
    std::ofstream f(file, std::ios::binary);
    for (const std::string& t : texts) f << t << "\n";
  }
  const std::vector<float> one = cli_probabilities(ckpt, file, 1, 1);
  ASSERT_EQ(one.size(), texts.size());
  for (const auto& [batch, threads] : {std::pair{7, 2}, std::pair{40, 1}, std::pair{64, 2}}) {
    const std::vector<float> got = cli_probabilities(ckpt, file, batch, threads);
    ASSERT_EQ(got.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i)
      EXPECT_TRUE(same_bits(got[i], one[i]))
          << "line " << i + 1 << ", --batch " << batch << ": " << got[i] << " vs " << one[i];
  }
}

}  // namespace
}  // namespace senti
