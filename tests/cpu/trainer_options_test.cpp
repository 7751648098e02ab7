// The trainer's new options: length-bucketed batch order (--bucket), batches trimmed to their
// longest row for masked models, and early stopping with the best weights restored.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>

#include "host/run/trainer.h"
#include "host/stream/batch_stream.h"
#include "kernels/common/error.h"

namespace senti {
namespace {

// n reviews of random lengths 0..299, review r made of copies of id 3 + r % 50.
data::Split random_split(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  data::Split s;
  s.offsets.push_back(0);
  for (int r = 0; r < n; ++r) {
    const int len = static_cast<int>(rng() % 300);
    for (int k = 0; k < len; ++k) s.tokens.push_back(3 + r % 50);
    s.offsets.push_back(s.tokens.size());
    s.labels.push_back(r % 2);
    s.review_ids.push_back(r);
    s.ratings.push_back(r % 2 ? 8 : 2);
  }
  return s;
}

std::vector<int64_t> iota_rows(int n) {
  std::vector<int64_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = i;
  return v;
}

TEST(BucketedOrder, BatchesAreSortedSlicesOfOneWindowInShuffledOrder) {
  const int B = 8, n = 1000;  // windows of 400 rows; 125 batches, the last window 200 rows
  const data::Split split = random_split(n, 1);
  const std::vector<int64_t> shuffled = epoch_order(iota_rows(n), 5, 1);
  const std::vector<int64_t> order = bucketed_order(shuffled, split, B, 5, 1);
  ASSERT_EQ(order.size(), shuffled.size());
  EXPECT_EQ(std::set<int64_t>(order.begin(), order.end()).size(), static_cast<size_t>(n));
  std::vector<int> window_of(n);
  for (int i = 0; i < n; ++i) window_of[shuffled[i]] = i / (B * kBucketWindowBatches);
  double spread = 0, random_spread = 0;
  std::vector<int> first_windows;
  for (int b = 0; b < n / B; ++b) {
    int lo = 1 << 30, hi = -1, rlo = 1 << 30, rhi = -1;
    for (int i = b * B; i < (b + 1) * B; ++i) {
      const int len = static_cast<int>(split.length(order[i]));
      if (i > b * B) {
        EXPECT_LE(split.length(order[i - 1]), len) << "batch " << b;
      }
      EXPECT_EQ(window_of[order[i]], window_of[order[b * B]]) << "batch " << b;
      lo = std::min(lo, len), hi = std::max(hi, len);
      const int rlen = static_cast<int>(split.length(shuffled[i]));
      rlo = std::min(rlo, rlen), rhi = std::max(rhi, rlen);
    }
    spread += hi - lo;
    random_spread += rhi - rlo;
    first_windows.push_back(window_of[order[b * B]]);
  }
  EXPECT_LT(spread, 0.1 * random_spread) << "bucketing should leave little length spread per batch";
  EXPECT_FALSE(std::is_sorted(first_windows.begin(), first_windows.end()))
      << "the batches of different windows should be shuffled together";
  EXPECT_EQ(order, bucketed_order(shuffled, split, B, 5, 1));  // reproducible
  EXPECT_NE(order, bucketed_order(shuffled, split, B, 5, 2));  // another epoch, another order
}

TEST(BucketedOrder, OnlyTheLastBatchIsPartial) {
  const data::Split split = random_split(1003, 2);
  const std::vector<int64_t> shuffled = epoch_order(iota_rows(1003), 5, 1);
  const std::vector<int64_t> order = bucketed_order(shuffled, split, 8, 5, 1);
  // The 3 rows of the partial batch are the last 3 of the last window, sorted: the longest there.
  const std::vector<int64_t> tail(order.end() - 3, order.end());
  std::vector<int64_t> last_window(shuffled.begin() + 800, shuffled.end());
  std::stable_sort(last_window.begin(), last_window.end(),
                   [&](int64_t a, int64_t b) { return split.length(a) < split.length(b); });
  EXPECT_EQ(tail, std::vector<int64_t>(last_window.end() - 3, last_window.end()));
}

std::shared_ptr<void> plain_alloc(size_t n) { return std::shared_ptr<void>(std::malloc(n), std::free); }

TEST(BatchStreamTrim, BatchesArePaddedToTheirLongestRow) {
  const data::Split split = random_split(40, 3);
  for (data::Side side : {data::Side::Post, data::Side::Pre}) {
    data::SequenceOptions seq;
    seq.maxlen = 200;
    seq.padding = side;
    auto slots = stream::make_slots(3, 10, seq.maxlen, plain_alloc);
    auto full_slots = stream::make_slots(3, 10, seq.maxlen, plain_alloc);
    stream::BatchStream trimmed(split, iota_rows(40), 10, seq, &slots, /*trim=*/true);
    stream::BatchStream full(split, iota_rows(40), 10, seq, &full_slots);
    int batch = 0;
    while (const Batch* b = trimmed.next()) {
      const Batch* f = full.next();
      ASSERT_NE(f, nullptr);
      EXPECT_EQ(f->maxlen, 200);
      EXPECT_EQ(b->padding, side == data::Side::Pre ? PadSide::Pre : PadSide::Post);
      int longest = 0;
      for (int i = 0; i < b->batch; ++i) longest = std::max(longest, b->lengths[i]);
      EXPECT_EQ(b->maxlen, longest) << "batch " << batch;
      for (int i = 0; i < b->batch; ++i) {
        EXPECT_EQ(b->lengths[i], f->lengths[i]);
        const int L = b->lengths[i];
        const int32_t* tr = b->ids + i * b->maxlen + (side == data::Side::Pre ? b->maxlen - L : 0);
        const int32_t* fr = f->ids + i * 200 + (side == data::Side::Pre ? 200 - L : 0);
        EXPECT_TRUE(std::equal(tr, tr + L, fr)) << "batch " << batch << " row " << i;
      }
      ++batch;
    }
    EXPECT_EQ(batch, 4);
  }
}

// A backend that trains nothing: its "weights" count the steps taken, and validation reports a
// scripted loss per epoch, so early stopping's decisions and the restored weights can be followed.
class ScriptedBackend final : public Backend {
 public:
  ScriptedBackend(BackendOptions o, std::vector<double> val_loss)
      : Backend(std::move(o)), val_loss_(std::move(val_loss)) {}
  std::string describe() const override { return "scripted"; }
  HostBuffer alloc_host(size_t n) override { return HostBuffer(std::malloc(n), std::free); }
  void set_state(const TrainState& s) override { state_ = s; }
  TrainState get_state() override { return state_; }
  void train_step(const Batch&) override { state_.params[0] += 1.f; }
  void eval_step(const Batch& b, float*) override {
    const int epoch = static_cast<int>(state_.params[0]) / kStepsPerEpoch;
    m_.loss_sum += b.batch * (epoch >= 1 && epoch <= static_cast<int>(val_loss_.size()) ? val_loss_[epoch - 1] : 9.0);
    m_.count += b.batch;
    evaluated_at_.push_back(state_.params[0]);
  }
  Metrics take_metrics() override {
    Metrics m = m_;
    m_ = Metrics{};
    return m;
  }
  double loss_and_gradients(const Batch&, float*) override { return 0; }
  static constexpr int kStepsPerEpoch = 2;  // 8 training reviews in batches of 4
  std::vector<float> evaluated_at_;

 private:
  std::vector<double> val_loss_;
  TrainState state_;
  Metrics m_;
};

// fit() on a ScriptedBackend from a one-parameter checkpoint, progress to a scratch file.
TrainResult fit_scripted(Backend& be, const data::Corpus& corpus, const TrainOptions& opts) {
  std::FILE* sink = std::tmpfile();
  ProgressLine progress(sink, false, 0);
  Trainer trainer(be, corpus, opts, &progress);
  Checkpoint ckpt;
  ckpt.sequence.maxlen = 300;
  ckpt.state.params.assign(1, 0.f);
  ckpt.state.m.assign(1, 0.f);
  ckpt.state.v.assign(1, 0.f);
  TrainResult r = trainer.fit(ckpt);
  std::fclose(sink);
  return r;
}

TEST(EarlyStopping, StopsAfterPatienceAndTestsTheRestoredBestWeights) {
  data::Corpus corpus;
  corpus.train = random_split(10, 4);  // 8 train + 2 validation
  corpus.test = random_split(4, 5);
  BackendOptions o;
  o.max_batch = 4;
  o.maxlen = 300;
  //                       epoch: 1    2    3     4     5    6
  ScriptedBackend be(o, {0.7, 0.5, 0.6, 0.55, 0.4, 0.3});
  TrainOptions opts;
  opts.batch_size = 4;
  opts.epochs = 6;
  opts.early_stopping = 2;
  opts.monitor = "val_loss";
  const TrainResult r = fit_scripted(be, corpus, opts);
  // Best at epoch 2; epochs 3 and 4 do not improve on it: patience 2 is used up after epoch 4.
  EXPECT_EQ(r.history.size(), 4u);
  EXPECT_EQ(r.best_epoch, 2);
  EXPECT_TRUE(r.stopped_early);
  EXPECT_TRUE(r.restored_best);
  ASSERT_FALSE(be.evaluated_at_.empty());
  // The test split (the last evaluations) ran on epoch 2's weights: 4 steps.
  EXPECT_EQ(be.evaluated_at_.back(), 2.f * ScriptedBackend::kStepsPerEpoch);
  EXPECT_EQ(r.test.count, 4);
}

TEST(EarlyStopping, RunsToTheEndWhenItKeepsImprovingAndStillRestoresTheBest) {
  data::Corpus corpus;
  corpus.train = random_split(10, 4);
  corpus.test = random_split(4, 5);
  BackendOptions o;
  o.max_batch = 4;
  o.maxlen = 300;
  ScriptedBackend be(o, {0.7, 0.5, 0.6});  // best at epoch 2 of 3; patience 2 never runs out
  TrainOptions opts;
  opts.batch_size = 4;
  opts.epochs = 3;
  opts.early_stopping = 2;
  opts.monitor = "val_loss";
  const TrainResult r = fit_scripted(be, corpus, opts);
  EXPECT_EQ(r.history.size(), 3u);
  EXPECT_FALSE(r.stopped_early);
  EXPECT_TRUE(r.restored_best);  // Keras 3 restores at the end of training either way
  EXPECT_EQ(be.evaluated_at_.back(), 2.f * ScriptedBackend::kStepsPerEpoch);
}

TEST(EarlyStopping, NeedsValidationAndBucketNeedsMask) {
  data::Corpus corpus;
  corpus.train = random_split(10, 4);
  BackendOptions o;
  o.max_batch = 4;
  ScriptedBackend be(o, {});
  TrainOptions opts;
  opts.batch_size = 4;
  opts.early_stopping = 1;
  opts.validation_split = 0;
  EXPECT_THROW(Trainer(be, corpus, opts, nullptr), UsageError);
  opts.early_stopping = 0;
  opts.bucket = true;
  EXPECT_THROW(Trainer(be, corpus, opts, nullptr), UsageError);
  opts.bucket = false;
  opts.monitor = "accuracy";
  EXPECT_THROW(Trainer(be, corpus, opts, nullptr), UsageError);
}

}  // namespace
}  // namespace senti
