// The divergence guard: a NaN or infinite loss, a loss above max_loss, or weights that stopped
// being finite (where a NaN gradient ends up) stop training with TrainingDiverged, and the epoch
// is not saved: latest.safetensors and metrics.jsonl still hold the last good epoch. A wrapper
// around the CPU backend injects the failures, so the guard is tested whatever the data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <random>
#include <string>

#include "data_synthetic_test.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "host/run/checkpoint.h"
#include "host/run/trainer.h"
#include "test_env.h"

namespace senti {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class FaultyBackend : public Backend {
 public:
  explicit FaultyBackend(const BackendOptions& o) : Backend(o), inner_(make_cpu_backend(o)) {}
  int64_t steps = 0;
  int64_t nan_loss_after = -1;     // take_metrics reports a NaN loss once this many steps ran
  int64_t nan_weights_after = -1;  // get_state returns a NaN weight once this many steps ran
  double loss_scale = 1;           // multiplies the reported loss (an exploding run)

  std::string describe() const override { return "faulty " + inner_->describe(); }
  HostBuffer alloc_host(size_t bytes) override { return inner_->alloc_host(bytes); }
  void set_state(const TrainState& s) override { inner_->set_state(s); }
  TrainState get_state() override {
    TrainState s = inner_->get_state();
    if (nan_weights_after >= 0 && steps >= nan_weights_after) s.params[7] = std::nanf("");
    return s;
  }
  void train_step(const Batch& b) override {
    inner_->train_step(b);
    ++steps;
  }
  void eval_step(const Batch& b, float* probs) override { inner_->eval_step(b, probs); }
  Metrics take_metrics() override {
    Metrics m = inner_->take_metrics();
    m.loss_sum *= loss_scale;
    if (nan_loss_after >= 0 && steps >= nan_loss_after && m.count) m.loss_sum = kNaN;
    return m;
  }
  double loss_and_gradients(const Batch& b, float* g) override { return inner_->loss_and_gradients(b, g); }

 private:
  std::unique_ptr<Backend> inner_;
};

data::Corpus synthetic_corpus(int reviews, int num_words) {
  data::Corpus c;
  c.vocab.num_words = num_words;
  c.vocab.source = "train-split";
  for (int i = 3; i < num_words; ++i) c.vocab.words.push_back("w" + std::to_string(i));
  std::mt19937 rng(3);
  for (data::Split* s : {&c.train, &c.test}) {
    s->offsets.push_back(0);
    for (int r = 0; r < reviews; ++r) {
      for (int t = 0; t < 5 + r % 7; ++t) s->tokens.push_back(3 + static_cast<int32_t>(rng() % (num_words - 3)));
      s->offsets.push_back(s->tokens.size());
      s->labels.push_back(static_cast<int32_t>(r % 2));
      s->review_ids.push_back(r);
      s->ratings.push_back(r % 2 ? 8 : 2);
    }
  }
  return c;
}

struct GuardedRun {
  std::string dir = test::scratch_dir("guard");
  data::Corpus corpus = synthetic_corpus(64, 20);
  TrainOptions opts;
  BackendOptions bo;
  Checkpoint start;
  GuardedRun() {
    opts.batch_size = 8;
    opts.epochs = 3;
    opts.test_limit = 0;
    opts.out_dir = dir;
    opts.metrics_path = dir + "/metrics.jsonl";
    start.model = ModelConfig{20, 4, 3};
    start.state = init_train_state(start.model, 1);
    start.vocab = corpus.vocab;
    start.sequence.maxlen = 12;
    start.seed = 1;
    bo.model = start.model;
    bo.max_batch = 8;
    bo.maxlen = 12;
  }
  // Runs fit with the faults `setup` plants; returns the TrainingDiverged message ("" if none).
  std::string fit(const std::function<void(FaultyBackend*)>& setup) {
    FaultyBackend backend(bo);
    setup(&backend);
    FILE* sink = std::tmpfile();
    ProgressLine progress(sink, false, 0);
    Trainer trainer(backend, corpus, opts, &progress);
    std::string message;
    try {
      trainer.fit(start);
    } catch (const TrainingDiverged& e) {
      message = e.what();
    }
    std::fclose(sink);
    return message;
  }
  int64_t saved_epoch() const {
    return std::filesystem::exists(dir + "/latest.safetensors") ? load_checkpoint(dir).epoch : 0;
  }
  size_t metrics_lines() const {
    const std::string s = test::read_bytes(dir + "/metrics.jsonl");
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }
};

TEST(DivergenceGuard, HealthyRunTrainsEveryEpoch) {  // the control: the faults below are the cause
  GuardedRun run;
  EXPECT_EQ(run.fit([](FaultyBackend*) {}), "");
  EXPECT_EQ(run.saved_epoch(), 3);
  EXPECT_EQ(run.metrics_lines(), 3u);
}

TEST(DivergenceGuard, NaNLossStopsAndKeepsTheLastGoodEpoch) {
  GuardedRun run;  // 51 training rows of batch 8: 7 steps an epoch; the NaN comes in epoch 2
  const std::string why = run.fit([](FaultyBackend* b) { b->nan_loss_after = 8; });
  EXPECT_NE(why.find("epoch 2"), std::string::npos) << why;
  EXPECT_NE(why.find("nan"), std::string::npos) << why;
  EXPECT_NE(why.find("still holds epoch 1"), std::string::npos) << why;
  EXPECT_EQ(run.saved_epoch(), 1);
  EXPECT_EQ(run.metrics_lines(), 1u);
}

TEST(DivergenceGuard, NonFiniteWeightsStopBeforeTheyAreSaved) {
  GuardedRun run;
  const std::string why = run.fit([](FaultyBackend* b) { b->nan_weights_after = 1; });
  EXPECT_NE(why.find("epoch 1"), std::string::npos) << why;
  EXPECT_NE(why.find("weights"), std::string::npos) << why;
  EXPECT_NE(why.find("no checkpoint was written"), std::string::npos) << why;
  EXPECT_EQ(run.saved_epoch(), 0);
}

TEST(DivergenceGuard, LossAboveMaxLossStops) {
  GuardedRun run;
  run.opts.max_loss = 50;
  const std::string why = run.fit([](FaultyBackend* b) { b->loss_scale = 1e6; });
  EXPECT_NE(why.find("--max-loss 50"), std::string::npos) << why;
  EXPECT_EQ(run.saved_epoch(), 0);
  GuardedRun off;
  off.opts.max_loss = 0;  // the guard is off: a finite loss, however large, trains on
  EXPECT_EQ(off.fit([](FaultyBackend* b) { b->loss_scale = 1e6; }), "");
  EXPECT_EQ(off.saved_epoch(), 3);
}

}  // namespace
}  // namespace senti
