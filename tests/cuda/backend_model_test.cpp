// The CUDA backend with the fused LSTM (--lstm fused, the default) against the CPU backend (the
// oracle, engine/cpu/lstm_cpu.cpp) for every model option beyond the seed: the sparse embedding
// clip norm, masking (pre and post padding), each pooling, element / spatial / dense dropout, the
// bidirectional LSTM and one combination like the best preset. For each: one batch's loss and every
// gradient (loss_and_gradients, training mode: dropout on), evaluation probabilities (dropout off),
// three Adam steps' parameters and the gradient norms and clip factors of the last step
// (last_gradient_stats). The n-gram features (--ngrams) alone, masked with pre and post padding,
// with dropout, like the best preset, and under the other LSTM kind (the stand-in).
// Tiny shapes: the emulated device is slow.
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

struct ModelCase {
  const char* name;
  bool mask = false, bidirectional = false, spatial = false, sparse = false;
  Pool pool = Pool::Last;
  float dropout = 0.f, dense_dropout = 0.f;
  PadSide padding = PadSide::Post;
  int hidden = 8;  // the generic kernels; 64 runs the resident ones
  int ngrams = 0;  // --ngrams, with 61 buckets (pairs and triples collide)
};

BackendOptions options_for(const ModelCase& c) {
  BackendOptions o;
  o.model.vocab_size = 97;
  o.model.embed_dim = 12;
  o.model.hidden = c.hidden;
  o.model.mask = c.mask;
  o.model.bidirectional = c.bidirectional;
  o.model.pool = c.pool;
  o.model.dropout = c.dropout;
  o.model.spatial_dropout = c.spatial;
  o.model.dense_dropout = c.dense_dropout;
  o.model.ngrams = c.ngrams;
  o.model.ngram_buckets = 61;
  o.optimizer.clipnorm = 0.01f;  // small enough that every tensor is clipped: the norms matter
  o.optimizer.embedding_clip_norm = c.sparse ? EmbeddingClipNorm::Sparse : EmbeddingClipNorm::Dense;
  o.max_batch = 6;
  o.maxlen = 9;
  o.seed = 1234;
  o.lstm = LstmKind::Fused;
  return o;
}


// The whole comparison for one case, with the CUDA backend's LSTM `kind`.
void expect_matches_cpu(const ModelCase& c, LstmKind kind, const char* describe) {
  BackendOptions o = options_for(c);
  o.lstm = kind;
  const ParamLayout L(o.model);
  auto cpu = make_cpu_backend(o);
  auto gpu = make_cuda_backend(o);
  ASSERT_NE(gpu->describe().find(describe), std::string::npos) << gpu->describe();
  const TrainState s0 = init_train_state(o.model, 42);
  cpu->set_state(s0);
  gpu->set_state(s0);

  // Training-mode loss and gradients of one batch (dropout keyed by step 0).
  const HostBatch b = make_batch(6, 9, o.model.vocab_size, 1, c.padding);
  std::vector<float> gc(L.total()), gg(L.total());
  const double lc = cpu->loss_and_gradients(b.view(), gc.data());
  const double lg = gpu->loss_and_gradients(b.view(), gg.data());
  EXPECT_NEAR(lg, lc, 1e-5 * std::fabs(lc));
  expect_grads_close(L, gc, gg, "gradient");
  if (c.mask) {  // the padding row gets no gradient
    for (int e = 0; e < o.model.embed_dim; ++e) ASSERT_EQ(gg[L[ParamId::Embedding].offset + e], 0.f);
  }

  // Evaluation: dropout off.
  std::vector<float> pc(b.B), pg(b.B);
  cpu->eval_step(b.view(), pc.data());
  gpu->eval_step(b.view(), pg.data());
  EXPECT_TRUE(all_close(pc, pg, 1e-6, 1e-4, "eval probabilities"));

  // Three Adam steps (dropout keyed by steps 0, 1, 2), shapes changing; then the last step's
  // gradient norms (sparse rule: the per-position one) and clip factors.
  const int shapes[][2] = {{6, 9}, {5, 7}, {6, 9}};
  for (int k = 0; k < 3; ++k) {
    const HostBatch t = make_batch(shapes[k][0], shapes[k][1], o.model.vocab_size, 10 + k, c.padding);
    cpu->train_step(t.view());
    gpu->train_step(t.view());
  }
  Backend::GradientStats sc, sg;
  ASSERT_TRUE(cpu->last_gradient_stats(&sc));
  ASSERT_TRUE(gpu->last_gradient_stats(&sg));
  ASSERT_EQ(sg.count, L.count());
  for (int i = 0; i < L.count(); ++i) {
    EXPECT_NEAR(sg.norm[i], sc.norm[i], 1e-4 * sc.norm[i]) << L.tensors()[i].name;
    EXPECT_NEAR(sg.clip_scale[i], sc.clip_scale[i], 1e-4 * sc.clip_scale[i]) << L.tensors()[i].name;
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

class CudaBackendFusedModel : public ::testing::TestWithParam<ModelCase> {};

TEST_P(CudaBackendFusedModel, GradientsEvalAndStepsMatchCpu) {
  SENTI_REQUIRE_GPU();
  expect_matches_cpu(GetParam(), LstmKind::Fused, "LSTM: fused");
}

ModelCase make(const char* name) {
  ModelCase c;
  c.name = name;
  return c;
}

std::vector<ModelCase> model_cases() {
  std::vector<ModelCase> v;
  ModelCase c = make("SparseClipNorm");
  c.sparse = true;
  v.push_back(c);
  c = make("MaskPost");
  c.mask = true;
  v.push_back(c);
  c = make("MaskPre");
  c.mask = c.sparse = true;
  c.padding = PadSide::Pre;
  v.push_back(c);
  for (Pool p : {Pool::Max, Pool::Mean, Pool::Concat}) {
    static const char* const names[] = {"", "MaskedPoolMax", "MaskedPoolMean", "MaskedPoolConcat"};
    c = make(names[static_cast<int>(p)]);
    c.mask = true;
    c.pool = p;
    c.padding = p == Pool::Mean ? PadSide::Pre : PadSide::Post;
    v.push_back(c);
  }
  c = make("UnmaskedPoolConcat");
  c.pool = Pool::Concat;
  v.push_back(c);
  c = make("ElementDropout");
  c.dropout = 0.3f;
  c.sparse = true;
  v.push_back(c);
  c = make("MaskedElementDropoutPre");
  c.mask = true;
  c.dropout = 0.3f;
  c.padding = PadSide::Pre;
  v.push_back(c);
  c = make("SpatialDropout");
  c.dropout = 0.3f;
  c.spatial = c.mask = c.sparse = true;
  v.push_back(c);
  c = make("DenseDropout");
  c.dense_dropout = 0.4f;
  v.push_back(c);
  c = make("Bidirectional");
  c.bidirectional = true;
  v.push_back(c);
  c = make("MaskedBidirectionalPre");
  c.bidirectional = c.mask = true;
  c.padding = PadSide::Pre;
  v.push_back(c);
  // Like --preset best: mask, BiLSTM, concat pooling, embedding and dense dropout, word-pair
  // features, the dense clip rule, on the resident kernels (H 64).
  c = make("BestLikeResident");
  c.mask = c.bidirectional = true;
  c.pool = Pool::Concat;
  c.dropout = 0.2f;
  c.dense_dropout = 0.2f;
  c.ngrams = 2;
  c.hidden = 64;
  v.push_back(c);
  c = make("Ngrams1");
  c.ngrams = 1;
  v.push_back(c);
  c = make("Ngrams2MaskPost");
  c.ngrams = 2;
  c.mask = true;
  v.push_back(c);
  c = make("Ngrams3MaskedDropoutPre");
  c.ngrams = 3;
  c.mask = c.sparse = true;
  c.dropout = 0.3f;
  c.padding = PadSide::Pre;
  v.push_back(c);
  c = make("Ngrams2BidirectionalMaskConcat");
  c.ngrams = 2;
  c.mask = c.bidirectional = true;
  c.pool = Pool::Concat;
  c.dense_dropout = 0.2f;
  v.push_back(c);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Options, CudaBackendFusedModel, ::testing::ValuesIn(model_cases()),
                         [](const ::testing::TestParamInfo<ModelCase>& i) { return i.param.name; });

#if !defined(SENTI_CUDA_EMU)
// cuDNN with per-row lengths (seqLengthArray, post padding) and dL/dy for pooling: the same
// comparison on the real GPU (cuDNN is not emulated; the GPU check runs these).
class CudaBackendCudnnModel : public ::testing::TestWithParam<ModelCase> {};

TEST_P(CudaBackendCudnnModel, GradientsEvalAndStepsMatchCpu) {
  SENTI_REQUIRE_GPU();
  expect_matches_cpu(GetParam(), LstmKind::Cudnn, "LSTM: cuDNN");
}

std::vector<ModelCase> cudnn_cases() {
  std::vector<ModelCase> v;
  for (const ModelCase& c : model_cases())
    if (!c.bidirectional && c.padding == PadSide::Post && (c.mask || c.pool != Pool::Last))
      v.push_back(c);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Options, CudaBackendCudnnModel, ::testing::ValuesIn(cudnn_cases()),
                         [](const ::testing::TestParamInfo<ModelCase>& i) { return i.param.name; });

// Pre padding with a mask is the fused LSTM's: cuDNN's padded layout keeps real tokens first.
TEST(CudaBackendCudnnModel, MaskWithPrePaddingIsAClearError) {
  SENTI_REQUIRE_GPU();
  ModelCase c = make("x");
  c.mask = true;
  BackendOptions o = options_for(c);
  o.lstm = LstmKind::Cudnn;
  auto gpu = make_cuda_backend(o);
  gpu->set_state(init_train_state(o.model, 1));
  const HostBatch b = make_batch(6, 9, o.model.vocab_size, 2, PadSide::Pre);
  try {
    gpu->train_step(b.view());
    ADD_FAILURE() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--padding post"), std::string::npos) << e.what();
  }
}
#endif

#if defined(SENTI_CUDA_EMU)
// The n-gram part does not depend on the LSTM: the same comparison with the CPU stand-in LSTM
// (emulated device only; the real GPU runs Ngrams2MaskPost with cuDNN above).
TEST(CudaBackendFusedModel, NgramsWithStandInLstmMatchCpu) {
  SENTI_REQUIRE_GPU();
  ModelCase c = make("x");
  c.ngrams = 2;
  expect_matches_cpu(c, LstmKind::StandIn, "LSTM: CPU stand-in");
}
#endif

// The sparse rule is not the dense one (so the comparison above can tell them apart): ids read at
// several positions (the padding row above all) make the two norms differ.
TEST(CudaBackendFusedModel, SparseEmbeddingNormDiffersFromDense) {
  SENTI_REQUIRE_GPU();
  ModelCase c = make("x");
  BackendOptions dense = options_for(c);
  c.sparse = true;
  BackendOptions sparse = options_for(c);
  auto a = make_cuda_backend(dense), s = make_cuda_backend(sparse);
  const TrainState s0 = init_train_state(dense.model, 3);
  a->set_state(s0);
  s->set_state(s0);
  const HostBatch b = make_batch(6, 9, dense.model.vocab_size, 5, PadSide::Post);
  a->train_step(b.view());
  s->train_step(b.view());
  Backend::GradientStats ga, gs;
  ASSERT_TRUE(a->last_gradient_stats(&ga));
  ASSERT_TRUE(s->last_gradient_stats(&gs));
  EXPECT_GT(std::fabs(gs.norm[0] - ga.norm[0]), 0.1 * ga.norm[0]) << gs.norm[0] << " vs " << ga.norm[0];
  for (int i = 1; i < ga.count; ++i) EXPECT_EQ(gs.norm[i], ga.norm[i]) << i;
}

// The non-fused LSTM kinds refuse the LSTM options they do not implement, naming --lstm.
TEST(CudaBackendFusedModel, OtherLstmKindsRefuseWhatOnlyFusedImplements) {
  SENTI_REQUIRE_GPU();
  ModelCase c = make("x");
  c.bidirectional = true;
  BackendOptions o = options_for(c);
  o.lstm = LstmKind::StandIn;
  try {
    make_cuda_backend(o);
    ADD_FAILURE() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--lstm stand-in does not implement --bidirectional"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace senti
