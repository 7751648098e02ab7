// CpuBackend as a trainer: learns a simple rule, state round trips, bit-identical determinism,
// metrics and argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <random>
#include <vector>

#include "kernels/common/error.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/small_gemm.h"
#include "engine/init.h"
#include "test_env.h"

namespace senti {
namespace {

// Random sequences of ids in [1, V) with label = "token 5 appears".
struct SyntheticBatch {
  std::vector<int32_t> ids, lengths;
  std::vector<float> labels;
  Batch batch;
  SyntheticBatch(std::mt19937& rng, int B, int T, int V) : ids(B * T), lengths(B, T), labels(B) {
    for (int b = 0; b < B; ++b) {
      bool has5 = false;
      for (int t = 0; t < T; ++t) {
        const int32_t id = 1 + static_cast<int32_t>(rng() % (V - 1));
        ids[b * T + t] = id;
        has5 |= id == 5;
      }
      labels[b] = has5 ? 1.f : 0.f;
    }
    batch = Batch{ids.data(), labels.data(), lengths.data(), B, T};
  }
};

BackendOptions small_options(int V, int E, int H, int max_batch, int maxlen) {
  BackendOptions o;
  o.model.vocab_size = V;
  o.model.embed_dim = E;
  o.model.hidden = H;
  o.max_batch = max_batch;
  o.maxlen = maxlen;
  return o;
}

TEST(CpuBackend, DescribeNamesGemmLibraryAndThreads) {
  auto be = make_cpu_backend(small_options(10, 4, 3, 2, 3));
  const std::string d = be->describe();
  EXPECT_EQ(d.rfind(cpu::gemm_library() == cpu::GemmLibrary::Libxsmm ? "cpu (libxsmm 1.17 JIT "
                                                                      : "cpu (OpenBLAS ",
                    0),
            0u)
      << d;
  EXPECT_NE(d.find("thread"), std::string::npos) << d;
}

TEST(CpuBackend, LearnsWhetherToken5Appears) {
  const int V = 10, B = 16, T = 8;
  BackendOptions o = small_options(V, 8, 8, B, T);
  o.optimizer.adam.lr = 0.02f;
  o.optimizer.clipnorm = 1.f;
  auto be = make_cpu_backend(o);
  be->set_state(init_train_state(o.model, 5));
  std::mt19937 rng(11);

  double first_loss = 0, last_loss = 0;
  const int steps = 300;
  for (int s = 0; s < steps; ++s) {
    SyntheticBatch sb(rng, B, T, V);
    be->train_step(sb.batch);
    if (s == 19) first_loss = be->take_metrics().loss();  // mean over the first 20 steps
    if (s == steps - 21) be->take_metrics();
  }
  last_loss = be->take_metrics().loss();  // mean over the last 20 steps
  EXPECT_LT(last_loss, 0.5 * first_loss) << "first " << first_loss << " last " << last_loss;
  EXPECT_EQ(be->get_state().step, steps);

  // Held-out batches.
  for (int i = 0; i < 8; ++i) {
    SyntheticBatch sb(rng, B, T, V);
    be->eval_step(sb.batch, nullptr);
  }
  const Metrics m = be->take_metrics();
  EXPECT_EQ(m.count, 8 * B);
  EXPECT_GT(m.accuracy(), 0.9);
}

TrainState random_state(const ParamLayout& L, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  TrainState s;
  for (size_t k = 0; k < L.total(); ++k) {
    s.params.push_back(u(rng));
    s.m.push_back(u(rng));
    s.v.push_back(std::fabs(u(rng)));
  }
  s.step = 17;
  return s;
}

TEST(CpuBackend, StateRoundTripsAndResumesExactly) {
  const BackendOptions o = small_options(40, 6, 5, 4, 7);
  const ParamLayout L(o.model);
  const TrainState s0 = random_state(L, 3);
  auto a = make_cpu_backend(o);
  a->set_state(s0);
  const TrainState back = a->get_state();
  EXPECT_EQ(back.params, s0.params);
  EXPECT_EQ(back.m, s0.m);
  EXPECT_EQ(back.v, s0.v);
  EXPECT_EQ(back.step, 17);

  // Four steps in one go vs two steps, a hand-over through get/set_state, two more.
  std::mt19937 rng(9);
  std::vector<SyntheticBatch> batches;
  for (int i = 0; i < 4; ++i) batches.emplace_back(rng, 4, 7, 40);
  for (auto& sb : batches) a->train_step(sb.batch);
  auto b = make_cpu_backend(o);
  b->set_state(s0);
  b->train_step(batches[0].batch);
  b->train_step(batches[1].batch);
  auto c = make_cpu_backend(o);
  c->set_state(b->get_state());
  c->train_step(batches[2].batch);
  c->train_step(batches[3].batch);
  const TrainState sa = a->get_state(), sc = c->get_state();
  EXPECT_EQ(sa.step, 21);
  EXPECT_EQ(sc.step, 21);
  EXPECT_EQ(sa.params, sc.params);
  EXPECT_EQ(sa.m, sc.m);
  EXPECT_EQ(sa.v, sc.v);
  EXPECT_NE(sa.params, s0.params);
}

TEST(CpuBackend, TwoBackendsSameStepsAreBitIdentical) {
  // Batches smaller than the maxima and of changing length, as at the end of an epoch.
  const BackendOptions o = small_options(300, 16, 12, 8, 30);
  auto a = make_cpu_backend(o);
  auto b = make_cpu_backend(o);
  a->set_state(init_train_state(o.model, 1));
  b->set_state(init_train_state(o.model, 1));
  std::mt19937 rng(2);
  for (int i = 0; i < 6; ++i) {
    SyntheticBatch sb(rng, i == 5 ? 3 : 8, 20 + i, 300);
    a->train_step(sb.batch);
    b->train_step(sb.batch);
  }
  const Metrics ma = a->take_metrics(), mb = b->take_metrics();
  EXPECT_EQ(ma.loss_sum, mb.loss_sum);
  EXPECT_EQ(ma.count, 5 * 8 + 3);
  const TrainState sa = a->get_state(), sb = b->get_state();
  EXPECT_EQ(sa.params, sb.params);
  EXPECT_EQ(sa.m, sb.m);
  EXPECT_EQ(sa.v, sb.v);
}

// Work is cut into chunks that do not depend on the thread count, so neither do the results.
TEST(CpuBackend, ThreadCountDoesNotChangeResults) {
  // B 40, T 60, E 80, 4H 160: several chunks in every phase (rows, samples, both column kinds).
  const BackendOptions o = small_options(500, 80, 40, 40, 60);
  std::vector<TrainState> states;
  for (const char* threads : {"1", "3"}) {
    const test::ScopedEnv env("SENTI_CPU_THREADS", threads);
    auto be = make_cpu_backend(o);
    EXPECT_NE(be->describe().find(std::string(threads) + " thread"), std::string::npos);
    be->set_state(init_train_state(o.model, 8));
    std::mt19937 rng(6);
    for (int i = 0; i < 3; ++i) {
      SyntheticBatch sb(rng, 40, 60, 500);
      be->train_step(sb.batch);
    }
    states.push_back(be->get_state());
  }
  EXPECT_EQ(states[0].params, states[1].params);
  EXPECT_EQ(states[0].m, states[1].m);
  EXPECT_EQ(states[0].v, states[1].v);
}

TEST(CpuBackend, EvalMetricsMatchLossAndTakeMetricsResets) {
  const BackendOptions o = small_options(30, 6, 5, 8, 9);
  auto be = make_cpu_backend(o);
  be->set_state(init_train_state(o.model, 4));
  std::mt19937 rng(5);
  SyntheticBatch sb(rng, 8, 9, 30);
  std::vector<float> probs(8), grads(ParamLayout(o.model).total());
  be->eval_step(sb.batch, probs.data());
  const Metrics m = be->take_metrics();
  EXPECT_EQ(m.count, 8);
  EXPECT_EQ(be->take_metrics().count, 0);  // reset
  const double loss = be->loss_and_gradients(sb.batch, grads.data());
  EXPECT_NEAR(m.loss(), loss, 1e-9);
  double bce = 0;
  int64_t correct = 0;
  for (int i = 0; i < 8; ++i) {
    const double p = probs[i], y = sb.labels[i];
    ASSERT_TRUE(p > 0 && p < 1);
    bce -= y * std::log(p) + (1 - y) * std::log(1 - p);
    correct += (p > 0.5) == (y > 0.5);
  }
  EXPECT_NEAR(bce / 8, loss, 1e-5);
  EXPECT_EQ(m.correct, correct);
  EXPECT_EQ(be->get_state().step, 0);  // neither call updates anything
}

TEST(CpuBackend, RejectsBadBatchesAndStates) {
  const BackendOptions o = small_options(30, 6, 5, 4, 9);
  auto be = make_cpu_backend(o);
  std::mt19937 rng(1);
  SyntheticBatch too_big(rng, 5, 9, 30);
  EXPECT_THROW(be->train_step(too_big.batch), Error);
  SyntheticBatch too_long(rng, 4, 10, 30);
  EXPECT_THROW(be->eval_step(too_long.batch, nullptr), Error);
  SyntheticBatch bad_id(rng, 4, 9, 30);
  bad_id.ids[13] = 30;  // == V
  EXPECT_THROW(be->train_step(bad_id.batch), Error);
  bad_id.ids[13] = -1;
  EXPECT_THROW(be->train_step(bad_id.batch), Error);
  TrainState wrong = init_train_state(o.model, 1);
  wrong.m.pop_back();
  EXPECT_THROW(be->set_state(wrong), Error);
}

TEST(CpuBackend, AllocHostIsAlignedAndWritable) {
  auto be = make_cpu_backend(small_options(10, 4, 3, 2, 3));
  HostBuffer buf = be->alloc_host(1000);
  ASSERT_NE(buf.get(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buf.get()) % 64, 0u);
  std::fill_n(static_cast<char*>(buf.get()), 1000, 'x');
}

}  // namespace
}  // namespace senti
