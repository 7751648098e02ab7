// The real training path on the CUDA backend: Trainer -> BatchStream (its producer thread filling
// pinned slots from Backend::alloc_host while the backend trains) -> CudaBackend, on a small
// synthetic corpus, against the same training on the CPU backend. Checks the per-epoch history
// and the final TrainState. Runs on a real GPU and on the emulated device.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "host/run/checkpoint.h"
#include "host/run/progress.h"
#include "host/run/trainer.h"

namespace senti {
namespace {

using test::all_close;

// Reviews of 5..60 word ids in [3, V) (Keras ids: 0 pad, 1 start, 2 OOV); positive reviews
// contain word id 5, so there is something to learn.
data::Split synthetic_split(int n, int V, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> word(6, V - 1);
  std::uniform_int_distribution<int> len(5, 60);
  data::Split s;
  s.offsets.push_back(0);
  for (int r = 0; r < n; ++r) {
    const bool pos = r % 2 == 0;
    const int L = len(rng);
    for (int t = 0; t < L; ++t) s.tokens.push_back(pos && t % 7 == 3 ? 5 : word(rng));
    s.offsets.push_back(s.tokens.size());
    s.labels.push_back(pos ? 1 : 0);
    s.review_ids.push_back(r);
    s.ratings.push_back(pos ? 8 : 2);
  }
  return s;
}

struct TrainRun {
  TrainResult result;
  TrainState state;
};

TrainRun train(Backend& backend, const data::Corpus& corpus, const Checkpoint& start,
          const TrainOptions& opts) {
  ProgressLine quiet(stdout, /*interactive=*/false, /*plain_every=*/0);
  Trainer trainer(backend, corpus, opts, &quiet);
  TrainRun r;
  r.result = trainer.fit(start);
  r.state = backend.get_state();
  return r;
}

// The CUDA run against the CPU run of the same training: the step count, every epoch's loss and
// val_loss, the test loss and the final parameters.
void expect_runs_close(const TrainRun& rc, const TrainRun& rg, const ModelConfig& model,
                       size_t epochs) {
  EXPECT_EQ(rg.state.step, rc.state.step);
  ASSERT_EQ(rg.result.history.size(), epochs);
  ASSERT_EQ(rc.result.history.size(), epochs);
  for (size_t e = 0; e < epochs; ++e) {
    const auto &hc = rc.result.history[e], &hg = rg.result.history[e];
    SCOPED_TRACE("epoch " + std::to_string(e + 1));
    EXPECT_NEAR(hg["loss"].get<double>(), hc["loss"].get<double>(), 1e-4);
    EXPECT_NEAR(hg["val_loss"].get<double>(), hc["val_loss"].get<double>(), 1e-4);
  }
  EXPECT_NEAR(rg.result.test.loss(), rc.result.test.loss(), 1e-4);
  const ParamLayout L(model);
  for (const TensorInfo& ti : L.tensors())
    EXPECT_TRUE(all_close(rc.state.params.data() + ti.offset, rg.state.params.data() + ti.offset,
                          ti.size, 1e-4, 1e-3, std::string("params ") + ti.name));
}

TEST(CudaTrainerPath, ShortTrainingMatchesCpuBackend) {
  SENTI_REQUIRE_GPU();
  const int V = 300, maxlen = 48;
  data::Corpus corpus;
  corpus.vocab.num_words = V;
  corpus.train = synthetic_split(150, V, 1);
  corpus.test = synthetic_split(40, V, 2);

  BackendOptions o;
  o.model.vocab_size = V;
  o.model.embed_dim = 16;
  o.model.hidden = 8;
  o.max_batch = 16;
  o.maxlen = maxlen;

  Checkpoint start;
  start.model = o.model;
  start.optimizer = o.optimizer;
  start.state = init_train_state(o.model, 7);
  start.sequence.maxlen = maxlen;  // post padding and truncation: the seed recipe
  start.seed = 7;

  TrainOptions t;
  t.batch_size = 16;
  t.epochs = 2;
  t.validation_split = 0.2;  // 120 train rows: 8 steps an epoch (the last one short), 30 validate
  t.seed = 7;
  t.test_limit = 40;

  auto cpu = make_cpu_backend(o);
  auto gpu = make_cuda_backend(o);
  const TrainRun rc = train(*cpu, corpus, start, t);
  const TrainRun rg = train(*gpu, corpus, start, t);

  ASSERT_EQ(rg.state.step, 16);
  expect_runs_close(rc, rg, o.model, 2);
  ASSERT_EQ(rc.result.history.size(), 2u);
  ASSERT_EQ(rg.result.history.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    SCOPED_TRACE("epoch " + std::to_string(e + 1));
    // A probability within float noise of 0.5 may round either way: at most one of the 30.
    EXPECT_NEAR(rg.result.history[e]["val_acc"].get<double>(),
                rc.result.history[e]["val_acc"].get<double>(), 1.0 / 30 + 1e-9);
  }
  EXPECT_EQ(rg.result.test.count, 40);
  const ParamLayout L(o.model);
  for (const TensorInfo& ti : L.tensors())
    EXPECT_TRUE(all_close(rc.state.v.data() + ti.offset, rg.state.v.data() + ti.offset, ti.size,
                          1e-9, 1e-2, std::string("v ") + ti.name));
}

// The best preset's kind of model through the real path on the fused LSTM: masked, pre-padded,
// length-bucketed batches (lengths and padding side reach the device through the pinned slots),
// bidirectional with concat pooling, embedding and dense dropout (keyed by the device step
// counter across two epochs), the sparse embedding clip norm.
TEST(CudaTrainerPath, FusedMaskedBidirectionalTrainingMatchesCpuBackend) {
  SENTI_REQUIRE_GPU();
  const int V = 300, maxlen = 40;
  data::Corpus corpus;
  corpus.vocab.num_words = V;
  corpus.train = synthetic_split(100, V, 3);
  corpus.test = synthetic_split(20, V, 4);

  BackendOptions o;
  o.model.vocab_size = V;
  o.model.embed_dim = 12;
  o.model.hidden = 8;
  o.model.mask = o.model.bidirectional = true;
  o.model.pool = Pool::Concat;
  o.model.dropout = 0.2f;
  o.model.dense_dropout = 0.2f;
  o.optimizer.embedding_clip_norm = EmbeddingClipNorm::Sparse;
  o.max_batch = 16;
  o.maxlen = maxlen;
  o.seed = 9;
  o.lstm = LstmKind::Fused;

  Checkpoint start;
  start.model = o.model;
  start.optimizer = o.optimizer;
  start.state = init_train_state(o.model, 9);
  start.sequence.maxlen = maxlen;
  start.sequence.padding = data::Side::Pre;
  start.seed = 9;

  TrainOptions t;
  t.batch_size = 16;
  t.epochs = 2;
  t.validation_split = 0.2;  // 80 train rows: 5 steps an epoch, 20 validate
  t.seed = 9;
  t.bucket = true;
  t.test_limit = 20;

  auto cpu = make_cpu_backend(o);
  auto gpu = make_cuda_backend(o);
  const TrainRun rc = train(*cpu, corpus, start, t);
  const TrainRun rg = train(*gpu, corpus, start, t);

  ASSERT_EQ(rg.state.step, 10);
  expect_runs_close(rc, rg, o.model, 2);
}

}  // namespace
}  // namespace senti
