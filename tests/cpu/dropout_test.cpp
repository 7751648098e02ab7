// Dropout's masks (kernels/common/math/dropout.h): reproducible from (seed, step), different for
// another step or seed, the right keep rate and scale; and the new options keep the CPU backend
// bit-identical for any thread count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "kernels/common/math/dropout.h"
#include "test_env.h"

namespace senti {
namespace {

TEST(DropoutMask, KeepRateAndInvertedScale) {
  for (float rate : {0.1f, 0.3f, 0.5f}) {
    const uint32_t thr = math::dropout_threshold(rate);
    const float keep = math::dropout_keep_scale(rate);
    int64_t dropped = 0, n = 0;
    for (uint64_t row = 0; row < 2000; ++row) {
      const uint64_t key = math::dropout_row_key(7, 3, math::kDropoutEmbedding, row);
      for (uint32_t e = 0; e < 128; ++e, ++n) {
        const float f = math::dropout_factor(key, e, thr, keep);
        ASSERT_TRUE(f == 0.f || f == keep) << f;
        dropped += f == 0.f;
      }
    }
    // 256,000 draws: the standard deviation of the fraction is <= 0.001.
    EXPECT_NEAR(static_cast<double>(dropped) / n, rate, 0.005) << "rate " << rate;
    EXPECT_FLOAT_EQ(keep, 1.f / (1.f - rate));
  }
  EXPECT_EQ(math::dropout_threshold(0.f), 0u);  // rate 0 keeps everything
  // The row-at-a-time form draws the same factors (also for a length that is not a multiple of 4).
  const uint64_t key = math::dropout_row_key(7, 3, math::kDropoutDense, 9);
  std::vector<float> row(13);
  math::dropout_factors(key, 13, math::dropout_threshold(0.5f), 2.f, row.data());
  for (uint32_t e = 0; e < 13; ++e)
    EXPECT_EQ(row[e], math::dropout_factor(key, e, math::dropout_threshold(0.5f), 2.f)) << e;
}

TEST(DropoutMask, KeysSeparateSeedsStepsStreamsRowsAndElements) {
  const uint64_t base = math::dropout_row_key(1, 2, math::kDropoutEmbedding, 3);
  EXPECT_EQ(base, math::dropout_row_key(1, 2, math::kDropoutEmbedding, 3));
  EXPECT_NE(base, math::dropout_row_key(2, 2, math::kDropoutEmbedding, 3));
  EXPECT_NE(base, math::dropout_row_key(1, 3, math::kDropoutEmbedding, 3));
  EXPECT_NE(base, math::dropout_row_key(1, 2, math::kDropoutSpatial, 3));
  EXPECT_NE(base, math::dropout_row_key(1, 2, math::kDropoutEmbedding, 4));
  int same = 0;
  for (uint32_t e = 1; e < 64; ++e) same += math::dropout_u16(base, e) == math::dropout_u16(base, 0);
  EXPECT_LE(same, 1);
}

BackendOptions dropout_options(uint64_t seed) {
  BackendOptions o;
  o.model.vocab_size = 50;
  o.model.embed_dim = 8;
  o.model.hidden = 6;
  o.model.mask = true;
  o.model.bidirectional = true;
  o.model.pool = Pool::Concat;
  o.model.dropout = 0.3f;
  o.model.dense_dropout = 0.2f;
  o.max_batch = 40;
  o.maxlen = 30;
  o.seed = seed;
  return o;
}

// Random masked rows of lengths 1..T, post padded.
struct Rows {
  std::vector<int32_t> ids, lengths;
  std::vector<float> labels;
  Batch batch() const { return Batch{ids.data(), labels.data(), lengths.data(), 40, 30}; }
  explicit Rows(uint32_t seed) : ids(40 * 30, 0), lengths(40), labels(40) {
    std::mt19937 rng(seed);
    for (int b = 0; b < 40; ++b) {
      lengths[b] = 1 + static_cast<int>(rng() % 30);
      for (int t = 0; t < lengths[b]; ++t) ids[b * 30 + t] = 1 + static_cast<int32_t>(rng() % 49);
      labels[b] = static_cast<float>(rng() % 2);
    }
  }
};

std::vector<float> gradient(const BackendOptions& o, int64_t step, const Rows& rows) {
  auto be = make_cpu_backend(o);
  TrainState s = init_train_state(o.model, 4);
  s.step = step;
  be->set_state(s);
  std::vector<float> g(ParamLayout(o.model).total());
  be->loss_and_gradients(rows.batch(), g.data());
  return g;
}

TEST(DropoutMask, TrainingGradientIsReproducibleAndKeyedBySeedAndStep) {
  const Rows rows(5);
  const std::vector<float> a = gradient(dropout_options(11), 7, rows);
  EXPECT_EQ(a, gradient(dropout_options(11), 7, rows));
  EXPECT_NE(a, gradient(dropout_options(11), 8, rows));
  EXPECT_NE(a, gradient(dropout_options(12), 7, rows));
}

TEST(DropoutMask, EvaluationDoesNotDropOut) {
  const Rows rows(6);
  BackendOptions with = dropout_options(11), without = with;
  without.model.dropout = without.model.dense_dropout = 0.f;
  std::vector<float> pa(40), pb(40);
  for (auto [o, p] : {std::pair{&with, &pa}, std::pair{&without, &pb}}) {
    auto be = make_cpu_backend(*o);
    be->set_state(init_train_state(o->model, 4));
    be->eval_step(rows.batch(), p->data());
  }
  EXPECT_EQ(pa, pb);
}

// Groups, directions, pooling and dropout chunks are fixed by the data, not the thread count.
TEST(CpuBackendOptions, ThreadCountDoesNotChangeResults) {
  std::vector<TrainState> states;
  for (const char* threads : {"1", "3"}) {
    const test::ScopedEnv env("SENTI_CPU_THREADS", threads);
    BackendOptions o = dropout_options(2);
    o.model.spatial_dropout = true;
    o.optimizer.embedding_clip_norm = EmbeddingClipNorm::Sparse;
    o.optimizer.clipnorm = 0.01f;
    auto be = make_cpu_backend(o);
    be->set_state(init_train_state(o.model, 8));
    for (uint32_t i = 0; i < 3; ++i) be->train_step(Rows(20 + i).batch());
    states.push_back(be->get_state());
  }
  EXPECT_EQ(states[0].params, states[1].params);
  EXPECT_EQ(states[0].m, states[1].m);
}

}  // namespace
}  // namespace senti
