// The CUDA backend's K-output heads (ModelConfig::head: softmax and multi-label over K classes,
// kernels/dense_softmax_ce) and class weights against the CPU backend (the oracle,
// engine/cpu/head_cpu.cpp): softmax K = 5 with and without class weights, with --ngrams, with mask,
// bidirectional LSTM and concat pooling; multi-label K = 4, plain and with --ngrams and a mask; the
// sigmoid head with class weights (dense_bce's weighted path). For each: one batch's loss and every
// gradient (loss_and_gradients, weighted as training is), the (B, K) evaluation probabilities
// (unweighted), three Adam steps' parameters and the metrics; the head under the CPU stand-in LSTM;
// evaluation unweighted. Tiny shapes: the emulated device is slow. Runs on a GPU and on the
// emulated device.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "host_batch.h"
#include "engine/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"

namespace senti {
namespace {

using test::all_close;
using test::expect_grads_close;
using test::HostBatch;
using test::make_batch;

struct HeadModelCase {
  const char* name;
  Head head = Head::Softmax;
  int classes = 5;
  bool weights = false, mask = false, bidirectional = false;
  Pool pool = Pool::Last;
  int ngrams = 0;
  PadSide padding = PadSide::Post;
};

BackendOptions options_for(const HeadModelCase& c) {
  BackendOptions o;
  o.model.vocab_size = 97;
  o.model.embed_dim = 12;
  o.model.hidden = 8;
  o.model.head = c.head;
  o.model.classes = c.classes;
  o.model.mask = c.mask;
  o.model.bidirectional = c.bidirectional;
  o.model.pool = c.pool;
  o.model.ngrams = c.ngrams;
  o.model.ngram_buckets = 61;
  if (c.weights) {
    o.class_weights.clear();
    for (int k = 0; k < c.classes; ++k) o.class_weights.push_back(0.5f + 0.7f * static_cast<float>(k));
  }
  o.optimizer.clipnorm = 0.01f;  // every tensor clipped: the norms matter
  o.max_batch = 7;
  o.maxlen = 9;
  o.seed = 77;
  o.lstm = LstmKind::Fused;
  return o;
}

// make_batch's ids and lengths with the head's labels: a class index per row (every class in a
// batch of B >= K), or 0/1 per (row, label).
HostBatch head_batch(const HeadModelCase& c, int B, int T, uint64_t seed) {
  HostBatch h = make_batch(B, T, 97, seed, c.padding);
  std::mt19937_64 rng(seed * 31 + 1);
  h.labels.clear();
  if (c.head == Head::MultiLabel) {
    for (int i = 0; i < B * c.classes; ++i) h.labels.push_back(static_cast<float>(rng() % 2));
  } else {
    const int K = c.head == Head::Sigmoid ? 2 : c.classes;
    for (int b = 0; b < B; ++b) h.labels.push_back(static_cast<float>((b + rng() % 2) % K));
  }
  return h;
}

class CudaBackendHead : public ::testing::TestWithParam<HeadModelCase> {};

TEST_P(CudaBackendHead, GradientsEvalAndStepsMatchCpu) {
  SENTI_REQUIRE_GPU();
  const HeadModelCase& c = GetParam();
  const BackendOptions o = options_for(c);
  const ParamLayout L(o.model);
  auto cpu = make_cpu_backend(o);
  auto gpu = make_cuda_backend(o);
  const TrainState s0 = init_train_state(o.model, 42);
  cpu->set_state(s0);
  gpu->set_state(s0);

  const HostBatch b = head_batch(c, 7, 9, 1);
  std::vector<float> gc(L.total()), gg(L.total());
  const double lc = cpu->loss_and_gradients(b.view(), gc.data());
  const double lg = gpu->loss_and_gradients(b.view(), gg.data());
  EXPECT_NEAR(lg, lc, 1e-5 * std::fabs(lc));
  expect_grads_close(L, gc, gg, "gradient");

  const size_t BO = static_cast<size_t>(b.B) * o.model.outputs();
  std::vector<float> pc(BO), pg(BO);
  cpu->eval_step(b.view(), pc.data());
  gpu->eval_step(b.view(), pg.data());
  EXPECT_TRUE(all_close(pc, pg, 1e-6, 1e-4, "eval probabilities"));
  if (c.head == Head::Softmax) {  // each row a distribution
    for (int r = 0; r < b.B; ++r) {
      double s = 0;
      for (int k = 0; k < c.classes; ++k) s += pg[static_cast<size_t>(r) * c.classes + k];
      EXPECT_NEAR(s, 1.0, 1e-5) << "row " << r;
    }
  }
  const Metrics ec = cpu->take_metrics(), eg = gpu->take_metrics();  // the batch twice: lg, eval
  EXPECT_EQ(eg.count, ec.count);
  EXPECT_EQ(eg.correct, ec.correct);
  EXPECT_NEAR(eg.loss_sum, ec.loss_sum, 1e-5 * ec.loss_sum);

  const int shapes[][2] = {{7, 9}, {5, 6}, {7, 9}};
  for (int k = 0; k < 3; ++k) {
    const HostBatch t = head_batch(c, shapes[k][0], shapes[k][1], 10 + k);
    cpu->train_step(t.view());
    gpu->train_step(t.view());
  }
  const TrainState tc = cpu->get_state(), tg = gpu->get_state();
  EXPECT_EQ(tg.step, 3);
  for (const TensorInfo& t : L.tensors())
    EXPECT_TRUE(all_close(tc.params.data() + t.offset, tg.params.data() + t.offset, t.size, 1e-5,
                          1e-4, std::string("params ") + t.name));
  const Metrics mc = cpu->take_metrics(), mg = gpu->take_metrics();
  EXPECT_EQ(mg.count, mc.count);
  EXPECT_NEAR(mg.loss_sum, mc.loss_sum, 1e-4 * mc.loss_sum);
}

HeadModelCase make(const char* name, Head head, int classes) {
  HeadModelCase c;
  c.name = name;
  c.head = head;
  c.classes = classes;
  return c;
}

std::vector<HeadModelCase> head_cases() {
  std::vector<HeadModelCase> v;
  v.push_back(make("Softmax5", Head::Softmax, 5));
  HeadModelCase c = make("Softmax5ClassWeights", Head::Softmax, 5);
  c.weights = true;
  v.push_back(c);
  c = make("Softmax5Ngrams2ClassWeights", Head::Softmax, 5);
  c.ngrams = 2;
  c.weights = true;
  v.push_back(c);
  c = make("Softmax5MaskedBidirectionalConcatNgramsPre", Head::Softmax, 5);
  c.mask = c.bidirectional = true;
  c.pool = Pool::Concat;
  c.ngrams = 2;
  c.padding = PadSide::Pre;
  v.push_back(c);
  v.push_back(make("MultiLabel4", Head::MultiLabel, 4));
  c = make("MultiLabel4Ngrams3MaskPoolMax", Head::MultiLabel, 4);
  c.ngrams = 3;
  c.mask = true;
  c.pool = Pool::Max;
  v.push_back(c);
  c = make("SigmoidClassWeights", Head::Sigmoid, 2);
  c.weights = true;
  v.push_back(c);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Heads, CudaBackendHead, ::testing::ValuesIn(head_cases()),
                         [](const ::testing::TestParamInfo<HeadModelCase>& i) { return i.param.name; });

#if defined(SENTI_CUDA_EMU)
// The head does not depend on the LSTM: a softmax head with class weights under the other LSTM kind
// (the CPU stand-in; on a GPU, cuDNN runs the same head) is accepted (cuda_unsupported refuses no
// head) and matches the CPU backend.
TEST(CudaBackendHead, SoftmaxWithStandInLstmMatchesCpu) {
  SENTI_REQUIRE_GPU();
  HeadModelCase c = make("x", Head::Softmax, 5);
  c.weights = true;
  BackendOptions o = options_for(c);
  o.lstm = LstmKind::StandIn;
  EXPECT_EQ(cuda_unsupported(o), "");
  const ParamLayout L(o.model);
  auto cpu = make_cpu_backend(o);
  auto gpu = make_cuda_backend(o);
  const TrainState s0 = init_train_state(o.model, 8);
  cpu->set_state(s0);
  gpu->set_state(s0);
  const HostBatch b = head_batch(c, 7, 9, 4);
  std::vector<float> gc(L.total()), gg(L.total());
  const double lc = cpu->loss_and_gradients(b.view(), gc.data());
  EXPECT_NEAR(gpu->loss_and_gradients(b.view(), gg.data()), lc, 1e-5 * std::fabs(lc));
  expect_grads_close(L, gc, gg, "gradient");
}
#endif

// Evaluation is unweighted (Keras applies class_weight to training only): the same model with and
// without class weights gives the same evaluation loss, and a different training loss.
TEST(CudaBackendHead, ClassWeightsApplyToTrainingOnly) {
  SENTI_REQUIRE_GPU();
  HeadModelCase c = make("x", Head::Softmax, 5);
  auto plain = make_cuda_backend(options_for(c));
  c.weights = true;
  auto weighted = make_cuda_backend(options_for(c));
  const TrainState s0 = init_train_state(options_for(c).model, 5);
  plain->set_state(s0);
  weighted->set_state(s0);
  const HostBatch b = head_batch(c, 7, 9, 3);
  std::vector<float> probs(7 * 5), grads(ParamLayout(options_for(c).model).total());
  plain->eval_step(b.view(), probs.data());
  weighted->eval_step(b.view(), probs.data());
  EXPECT_EQ(plain->take_metrics().loss_sum, weighted->take_metrics().loss_sum);
  const double lp = plain->loss_and_gradients(b.view(), grads.data());
  const double lw = weighted->loss_and_gradients(b.view(), grads.data());
  EXPECT_GT(std::fabs(lw - lp), 1e-3 * lp) << lp << " vs " << lw;
}

}  // namespace
}  // namespace senti
