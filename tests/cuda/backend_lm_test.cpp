// The CUDA backend's language-model head (ModelConfig::language_model(), `senti pretrain`) against
// the CPU backend (the oracle: engine/cpu/lm_head_cpu.h, LstmCpu::forward_states/backward_lm):
// unidirectional and bidirectional, with and without embedding dropout, post and pre padding, a
// per-tensor learning rate (OptimizerConfig::lr_scale). For each: one batch's objective and every
// gradient (loss_and_gradients: the sampled softmax of step 0's candidates), the evaluation
// metrics (full softmax over V: exact loss, argmax), three Adam steps' parameters (each step
// draws new candidates from the device step counter, as a replayed CUDA graph must; graphs on, and
// one case eager) and the
// training metrics (predicted tokens). Also: cuda_unsupported names the head for other LSTMs.
// Tiny shapes: the emulated device is slow. Runs on a GPU and on the emulated device.
#include <gtest/gtest.h>

#include <cmath>
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

struct LmModelCase {
  const char* name;
  bool bidirectional = false;
  float dropout = 0.f;
  PadSide padding = PadSide::Post;
  bool lr_scale = false;
  bool graph = true;  // BackendOptions::cuda_graph (the default): captured and replayed steps
};

BackendOptions options_for(const LmModelCase& c) {
  BackendOptions o;
  o.model.vocab_size = 53;
  o.model.embed_dim = 12;
  o.model.hidden = 8;
  o.model.head = Head::LanguageModel;
  o.model.lm_samples = 17;
  o.model.mask = true;
  o.model.bidirectional = c.bidirectional;
  o.model.dropout = c.dropout;
  if (c.lr_scale) {  // fine-tuning style: slower embedding and LSTM, the dense layer at full rate
    const float f[] = {0.1f, 0.5f, 0.25f, 0.f, 1.f, 1.f, 0.3f, 0.7f, 0.9f};
    std::copy(std::begin(f), std::end(f), o.optimizer.lr_scale);
  }
  o.optimizer.clipnorm = 0.05f;
  o.max_batch = 6;
  o.maxlen = 8;
  o.seed = 91;
  o.lstm = LstmKind::Fused;
  o.cuda_graph = c.graph;
  return o;
}

class CudaBackendLm : public ::testing::TestWithParam<LmModelCase> {};

TEST_P(CudaBackendLm, GradientsEvalAndStepsMatchCpu) {
  SENTI_REQUIRE_GPU();
  const LmModelCase& c = GetParam();
  const BackendOptions o = options_for(c);
  const ParamLayout L(o.model);
  auto cpu = make_cpu_backend(o);
  auto gpu = make_cuda_backend(o);
  const TrainState s0 = init_train_state(o.model, 42);
  cpu->set_state(s0);
  gpu->set_state(s0);

  const HostBatch b = make_batch(6, 8, 53, 1, c.padding);
  std::vector<float> gc(L.total()), gg(L.total());
  const double lc = cpu->loss_and_gradients(b.view(), gc.data());
  const double lg = gpu->loss_and_gradients(b.view(), gg.data());
  EXPECT_GT(lc, 0.0);
  EXPECT_NEAR(lg, lc, 1e-5 * std::fabs(lc));
  expect_grads_close(L, gc, gg, "gradient");
  const Metrics gmc = cpu->take_metrics(), gmg = gpu->take_metrics();
  EXPECT_EQ(gmg.count, gmc.count);
  EXPECT_EQ(gmg.correct, gmc.correct);
  EXPECT_NEAR(gmg.loss_sum, gmc.loss_sum, 1e-5 * gmc.loss_sum);

  cpu->eval_step(b.view(), nullptr);
  gpu->eval_step(b.view(), nullptr);
  const Metrics ec = cpu->take_metrics(), eg = gpu->take_metrics();
  int64_t tokens = 0;
  for (int len : b.lengths) tokens += (o.model.directions()) * (len - 1);
  EXPECT_EQ(ec.count, tokens);
  EXPECT_EQ(eg.count, ec.count);
  EXPECT_EQ(eg.correct, ec.correct);
  EXPECT_NEAR(eg.loss_sum, ec.loss_sum, 1e-5 * ec.loss_sum);
  std::vector<float> probs(static_cast<size_t>(b.B) * 53);
  EXPECT_THROW(gpu->eval_step(b.view(), probs.data()), Error);  // no class probabilities

  const int shapes[][2] = {{6, 8}, {4, 5}, {6, 8}, {6, 8}};
  for (int k = 0; k < 4; ++k) {
    const HostBatch t = make_batch(shapes[k][0], shapes[k][1], 53, 10 + k, c.padding);
    cpu->train_step(t.view());
    gpu->train_step(t.view());
  }
  const TrainState tc = cpu->get_state(), tg = gpu->get_state();
  EXPECT_EQ(tg.step, 4);
  for (const TensorInfo& t : L.tensors())
    EXPECT_TRUE(all_close(tc.params.data() + t.offset, tg.params.data() + t.offset, t.size, 1e-5,
                          1e-4, std::string("params ") + t.name));
  if (c.lr_scale)  // the frozen tensor (factor 0) did not move
    EXPECT_TRUE(all_close(s0.params.data() + L.tensors()[3].offset,
                          tg.params.data() + L.tensors()[3].offset, L.tensors()[3].size, 0, 0,
                          "frozen tensor"));
  const Metrics mc = cpu->take_metrics(), mg = gpu->take_metrics();
  EXPECT_GT(mc.count, 0);
  EXPECT_EQ(mg.count, mc.count);
  EXPECT_EQ(mg.correct, mc.correct);
  EXPECT_NEAR(mg.loss_sum, mc.loss_sum, 1e-4 * mc.loss_sum);
}

LmModelCase make(const char* name, bool bi, float dropout) {
  LmModelCase c;
  c.name = name;
  c.bidirectional = bi;
  c.dropout = dropout;
  return c;
}

std::vector<LmModelCase> lm_cases() {
  std::vector<LmModelCase> v{make("Unidirectional", false, 0.f), make("Bidirectional", true, 0.f),
                             make("UnidirectionalDropout", false, 0.2f),
                             make("BidirectionalDropout", true, 0.2f)};
  LmModelCase pre = make("BidirectionalPrePadding", true, 0.f);
  pre.padding = PadSide::Pre;
  v.push_back(pre);
  LmModelCase lr = make("LrScale", true, 0.f);
  lr.lr_scale = true;
  v.push_back(lr);
  LmModelCase graph = make("BidirectionalDropoutEager", true, 0.2f);
  graph.graph = false;
  v.push_back(graph);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Lm, CudaBackendLm, ::testing::ValuesIn(lm_cases()),
                         [](const ::testing::TestParamInfo<LmModelCase>& i) {
                           return std::string(i.param.name);
                         });

TEST(CudaBackendLm, OtherLstmKindsAreRefusedByName) {
  BackendOptions o = options_for(make("x", true, 0.f));
  o.lstm = LstmKind::Cudnn;
  const std::string why = cuda_unsupported(o);
  EXPECT_NE(why.find("--lstm cudnn"), std::string::npos) << why;
  EXPECT_NE(why.find("language-model head"), std::string::npos) << why;
  o.lstm = LstmKind::Fused;
  EXPECT_EQ(cuda_unsupported(o), "");
}

}  // namespace
}  // namespace senti
