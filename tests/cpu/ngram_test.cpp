// The n-gram features (docs/model.md, "N-gram features"; kernels/common/math/ngram.h): the hash
// pinned to values computed independently, NgramFeatures' sets on hand-built rows against
// hand-computed features, the CPU backend's logits and every gradient element with --ngrams
// against central differences of the double reference (tests/cpu/lstm_reference.h), and a
// checkpoint round trip that keeps the n-gram settings and predicts like the backend's eval.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/ngram_cpu.h"
#include "engine/init.h"
#include "host/run/checkpoint.h"
#include "host/run/predictor.h"
#include "kernels/common/math/ngram.h"
#include "gradient_check.h"
#include "lstm_reference.h"
#include "test_env.h"
#include "tiny_checkpoint.h"

namespace senti {
namespace {

// Values of ngram_hash computed with Python integers, masking to 32 bits after every multiply:
//   h = ((0x811C9DC5 ^ n) * 0x01000193) & M; for i in ids: h = ((h ^ i) * 0x01000193) & M
//   h ^= h >> 16; h = (h * 0x85EBCA6B) & M; h ^= h >> 13; h = (h * 0xC2B2AE35) & M; h ^= h >> 16
// (M = 0xFFFFFFFF), i.e. FNV-1a seeded with n and murmur3's fmix32, as ngram.h describes.
TEST(NgramHash, PinnedToIndependentValues) {
  struct Pin {
    int n;
    std::vector<int32_t> ids;
    uint32_t hash;
  };
  const Pin pins[] = {{2, {1, 2}, 0xEE34DB81u},       {2, {2, 1}, 0x8D9355B5u},
                      {3, {1, 2, 3}, 0x26E3C9F7u},    {2, {9999, 9998}, 0x8D8C0355u},
                      {1, {5}, 0x073165C9u},          {2, {7, 7}, 0x70EC9A9Eu},
                      {2, {1, 4}, 0xA9820520u},       {3, {4, 4, 7}, 0x3C0A928Fu}};
  for (const Pin& p : pins) EXPECT_EQ(math::ngram_hash(p.n, p.ids.data()), p.hash) << p.n << "-gram";
  // The bucket a pair lands in is the hash modulo the buckets: 318337 of 2^20 for (1, 2).
  const int32_t pair[] = {1, 2};
  EXPECT_EQ(math::ngram_feature(pair, 2, 0, 2, 10000, 1 << 20), 10000 + 318337);
}

// The features of each row of a batch of T-wide rows, through NgramFeatures.
std::vector<std::vector<int32_t>> features_of(const std::vector<std::vector<int32_t>>& rows, int ngrams,
                                              int vocab = 10, int buckets = 8) {
  const int T = static_cast<int>(rows[0].size()), B = static_cast<int>(rows.size());
  std::vector<int32_t> ids, lengths(B, 1);
  for (const auto& r : rows) ids.insert(ids.end(), r.begin(), r.end());
  std::vector<float> labels(B, 0.f);
  ModelConfig cfg;
  cfg.vocab_size = vocab;
  cfg.ngrams = ngrams;
  cfg.ngram_buckets = buckets;
  NgramFeatures nf;
  nf.compute(Batch{ids.data(), labels.data(), lengths.data(), B, T}, cfg);
  std::vector<std::vector<int32_t>> out;
  EXPECT_EQ(nf.rows(), B);
  for (int b = 0; b < nf.rows(); ++b) out.emplace_back(nf.begin(b), nf.end(b));
  return out;
}

using Set = std::vector<int32_t>;

// V 10, buckets 8. The pairs' and triples' buckets (hash % 8, the Python above):
//   (1,4) 0  (4,4) 2  (4,7) 5  (4,1) 5  (7,4) 1  (1,4,4) 1  (4,4,7) 7
// so a pair is feature 10 + bucket.
TEST(NgramFeatures, HandComputedRowForEachN) {
  const std::vector<int32_t> row = {1, 4, 4, 7, 0, 0};
  EXPECT_EQ(features_of({row}, 1)[0], (Set{1, 4, 7}));
  EXPECT_EQ(features_of({row}, 2)[0], (Set{1, 4, 7, 10, 12, 15}));
  EXPECT_EQ(features_of({row}, 3)[0], (Set{1, 4, 7, 10, 11, 12, 15, 17}));
}

TEST(NgramFeatures, PreAndPostPaddingGiveTheSameSet) {
  for (int n = 1; n <= 3; ++n) {
    const auto f = features_of({{1, 4, 4, 7, 0, 0}, {0, 0, 1, 4, 4, 7}, {0, 1, 4, 4, 7, 0}}, n);
    EXPECT_EQ(f[0], f[1]) << n;
    EXPECT_EQ(f[0], f[2]) << n;
  }
}

TEST(NgramFeatures, RepeatedWordsAndPairsCountOnce) {
  // (4,4) three times and 4 four times: one feature each.
  EXPECT_EQ(features_of({{4, 4, 4, 4}}, 2)[0], (Set{4, 12}));
  // (1,4) twice; (4,1) lands in bucket 5 and so would (4,7): one slot, once.
  EXPECT_EQ(features_of({{1, 4, 1, 4}}, 2)[0], (Set{1, 4, 10, 15}));
  EXPECT_EQ(features_of({{1, 4, 1, 4, 7}}, 2)[0], (Set{1, 4, 7, 10, 15}));
}

TEST(NgramFeatures, NoNgramCrossesPaddingOrRows) {
  // A 0 inside the row splits it: (4,7) (7,4) and every triple over the 0 are absent.
  EXPECT_EQ(features_of({{1, 4, 0, 7, 4}}, 3)[0], (Set{1, 4, 7, 10, 11}));
  EXPECT_EQ(features_of({{4, 0, 7}}, 2)[0], (Set{4, 7}));
  // Row 0 ends with 7 and row 1 starts with 4: no (7,4) = 11 in either.
  const auto f = features_of({{1, 4, 7}, {4, 1, 0}}, 2);
  EXPECT_EQ(f[0], (Set{1, 4, 7, 10, 15}));
  EXPECT_EQ(f[1], (Set{1, 4, 15}));
}

TEST(NgramFeatures, PaddingOnlyRowHasNoFeatures) {
  const auto f = features_of({{0, 0, 0}, {1, 4, 0}, {0, 0, 0}}, 3);
  EXPECT_TRUE(f[0].empty());
  EXPECT_EQ(f[1], (Set{1, 4, 10}));
  EXPECT_TRUE(f[2].empty());
}

// --ngrams 1 has no buckets: W = V (the word slots); 2 and 3 add the buckets.
TEST(NgramFeatures, DenseKernelRows) {
  ModelConfig cfg{13, 5, 4};
  EXPECT_EQ(cfg.dense_inputs(), 4);
  cfg.ngram_buckets = 8;
  cfg.ngrams = 1;
  EXPECT_EQ(cfg.dense_inputs(), 4 + 13);
  cfg.ngrams = 3;
  cfg.bidirectional = true;
  cfg.pool = Pool::Concat;
  EXPECT_EQ(cfg.dense_inputs(), 24 + 13 + 8);
  EXPECT_EQ(ParamLayout(cfg)[ParamId::DenseKernel].size, 45u);
}

// The CPU backend with n-grams against the double reference: V 13, E 5, H 4, 8 buckets; rows of
// lengths 7, 3, 1, 5 with a repeated word and a repeated pair.
ref::Case make_case(int ngrams, bool mask, bool bidirectional, Pool pool, PadSide padding) {
  ref::Case c;
  c.cfg.vocab_size = 13;
  c.cfg.embed_dim = 5;
  c.cfg.hidden = 4;
  c.cfg.mask = mask;
  c.cfg.bidirectional = bidirectional;
  c.cfg.pool = pool;
  c.cfg.ngrams = ngrams;
  c.cfg.ngram_buckets = 8;
  c.B = 4;
  c.T = 7;
  c.padding = padding;
  c.lengths = {7, 3, 1, 5};
  const std::vector<std::vector<int32_t>> real = {
      {1, 4, 4, 12, 4, 4, 2}, {1, 7, 7}, {1}, {1, 9, 3, 9, 3}};
  c.ids.assign(static_cast<size_t>(c.B) * c.T, 0);
  for (int b = 0; b < c.B; ++b) {
    const int L = c.lengths[b], first = padding == PadSide::Pre ? c.T - L : 0;
    for (int k = 0; k < L; ++k) c.ids[b * c.T + first + k] = real[b][k];
  }
  c.labels = {1.f, 0.f, 1.f, 0.f};
  return c;
}

TrainState make_state(const ModelConfig& cfg) {
  TrainState s = init_train_state(cfg, 42);
  const ParamLayout L(cfg);
  for (float& p : s.params) p *= 4.f;  // livelier dynamics
  s.params[L[ParamId::DenseBias].offset] = 0.3f;
  return s;
}

std::unique_ptr<Backend> make_backend(const ref::Case& c, const TrainState& s) {
  BackendOptions o;
  o.model = c.cfg;
  o.max_batch = 6;
  o.maxlen = 9;
  auto be = make_cpu_backend(o);
  be->set_state(s);
  return be;
}

struct GradVariant {
  const char* name;
  int ngrams;
  bool mask, bidirectional;
  Pool pool;
  PadSide padding;
};
void PrintTo(const GradVariant& v, std::ostream* os) { *os << v.name; }

class NgramGrad : public ::testing::TestWithParam<GradVariant> {};

TEST_P(NgramGrad, LogitsAndEveryGradientMatchTheReference) {
  const GradVariant& v = GetParam();
  const ref::Case c = make_case(v.ngrams, v.mask, v.bidirectional, v.pool, v.padding);
  const TrainState s = make_state(c.cfg);
  std::vector<double> theta(s.params.begin(), s.params.end());
  auto be = make_backend(c, s);

  const std::vector<double> z = ref::logits(c, theta);
  std::vector<float> probs(c.B);
  be->eval_step(c.batch(), probs.data());
  for (int b = 0; b < c.B; ++b) EXPECT_NEAR(probs[b], ref::sigmoid(z[b]), 2e-6) << "row " << b;

  const ParamLayout L(c.cfg);
  std::vector<float> grads(L.total(), -1.f);
  EXPECT_NEAR(be->loss_and_gradients(c.batch(), grads.data()), ref::loss(c, theta), 1e-5);
  test::expect_gradients_match_central_differences(c, theta, grads);

  // The n-gram rows on their own: a slot no row has gets exactly 0, and the slots every row's set
  // names carry gradient (so the FD check above saw the n-gram part, not only the LSTM's).
  const float* dk = &grads[L[ParamId::DenseKernel].offset] + c.cfg.features();
  std::set<int64_t> used;
  for (int b = 0; b < c.B; ++b)
    for (int64_t f : ref::ngram_set(c, b)) used.insert(f);
  ASSERT_GE(used.size(), 7u);  // the 7 distinct words, and pairs and triples when on
  for (int64_t f = 0; f < c.cfg.ngram_width(); ++f) {
    if (used.count(f))
      EXPECT_NE(dk[f], 0.f) << "slot " << f;
    else
      EXPECT_EQ(dk[f], 0.f) << "slot " << f;
  }
}

const GradVariant kGradVariants[] = {
    {"Bigrams", 2, false, false, Pool::Last, PadSide::Pre},
    {"BigramsMaskBiConcatPre", 2, true, true, Pool::Concat, PadSide::Pre},
    {"BigramsMaskBiMaxPost", 2, true, true, Pool::Max, PadSide::Post},
    {"WordsMaskPost", 1, true, false, Pool::Last, PadSide::Post},
    {"TrigramsMaskMeanPre", 3, true, false, Pool::Mean, PadSide::Pre},
};
INSTANTIATE_TEST_SUITE_P(Options, NgramGrad, ::testing::ValuesIn(kGradVariants),
                         [](const ::testing::TestParamInfo<GradVariant>& i) { return i.param.name; });

// Saved and loaded, an n-gram model keeps --ngrams and --ngram-buckets, and the Predictor on raw
// text gives bit for bit the probabilities of the backend's eval_step on the same sequences.
TEST(NgramCheckpoint, RoundTripKeepsSettingsAndPredictions) {
  Checkpoint c = test::tiny_checkpoint(3);
  c.model.ngrams = 2;
  c.model.ngram_buckets = 64;
  c.model.mask = true;
  c.state = init_train_state(c.model, 3);
  const ParamLayout layout(c.model);
  // Larger n-gram weights than the init (fan-in 6 + 16 + 64) so the words and pairs move the output.
  float* ngram_rows = &c.state.params[layout[ParamId::DenseKernel].offset] + c.model.features();
  for (int64_t f = 0; f < c.model.ngram_width(); ++f) ngram_rows[f] *= 10.f;
  const std::string path = test::scratch_dir("ngram-ckpt") + "/model.safetensors";
  save_checkpoint(path, c);
  const Checkpoint back = load_checkpoint(path);
  EXPECT_EQ(back.model.ngrams, 2);
  EXPECT_EQ(back.model.ngram_buckets, 64);
  EXPECT_EQ(back.state.params, c.state.params);

  const std::vector<std::string> texts = {"the movie good", "good movie the", "great plot, awful acting",
                                          "awful acting great plot", "", "loved loved loved it"};
  Predictor p(back, make_cpu_backend(inference_backend_options(back, 4)), 4, path);
  const std::vector<float> got = p.predict(texts);

  auto be = make_cpu_backend(inference_backend_options(c, 8));
  be->set_state(c.state);
  const int T = c.sequence.maxlen, B = static_cast<int>(texts.size());
  std::vector<int32_t> ids(static_cast<size_t>(B) * T), lengths(B);
  std::vector<float> labels(B, 0.f), want(B);
  for (int b = 0; b < B; ++b) lengths[b] = p.encode(texts[b], &ids[static_cast<size_t>(b) * T]);
  const PadSide side = c.sequence.padding == data::Side::Pre ? PadSide::Pre : PadSide::Post;
  be->eval_step(Batch{ids.data(), labels.data(), lengths.data(), B, T, side}, want.data());
  EXPECT_EQ(got, want);
  // The n-gram rows take part: with them zeroed every non-empty review's probability moves.
  TrainState zeroed = c.state;
  std::fill_n(&zeroed.params[layout[ParamId::DenseKernel].offset] + c.model.features(),
              c.model.ngram_width(), 0.f);
  be->set_state(zeroed);
  std::vector<float> without(B);
  be->eval_step(Batch{ids.data(), labels.data(), lengths.data(), B, T, side}, without.data());
  for (int b = 0; b < B; ++b) EXPECT_GT(std::fabs(without[b] - want[b]), 1e-3) << texts[b];
}

}  // namespace
}  // namespace senti
