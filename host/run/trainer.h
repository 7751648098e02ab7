#pragma once
// The training loop: Keras's fit() for the seed recipe. Per epoch: shuffle the training rows
// (derived from seed and epoch, so a resumed run replays the same order), stream batches through
// the backend, evaluate on the validation rows, log, checkpoint. At the end: the test split.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/backend.h"
#include "kernels/common/error.h"
#include "host/run/checkpoint.h"
#include "host/run/progress.h"
#include "host/run/train_events.h"
#include "host/data/dataset.h"
#include "host/stream/batch_stream.h"

namespace senti {

struct TrainOptions {
  int batch_size = 32;
  int epochs = 20;                // total epochs (a resumed run continues up to this number)
  double validation_split = 0.2;  // last fraction of the (shuffled, limited) training reviews
  std::string validation_split_by = "review";  // review (Keras: shuffled reviews) or movie
                                  // (data::movie_block_order: held-out movies, as the test split's)
  uint64_t seed = 1337;           // data split, per-epoch shuffles (and the initial weights)
  int64_t limit = 0;              // use only the first N training reviews after the shuffle; 0 = all
  int64_t test_limit = -1;        // evaluate on the first N test reviews; -1 = all, 0 = none
  std::string out_dir;            // checkpoints: latest.safetensors, best.safetensors; "" = none
  std::string metrics_path;       // JSON lines, one per epoch plus a final test record; "" = none
  int64_t log_every = 0;          // non-terminal output: a progress line every N steps (0 = none)
  double max_loss = 100;          // divergence guard: stop when the training loss exceeds it (0 = off);
                                  // chance is 0.69, so only an exploding run gets near 100
  int64_t profile_first = -1;     // global steps [first, last] bracketed by profiler_range
  int64_t profile_last = -1;
  bool bucket = false;            // length-bucketed batches (bucketed_order); masked models only
  int early_stopping = 0;         // patience in epochs (Keras EarlyStopping); 0 = off
  std::string monitor = "val_acc";  // val_acc or val_loss: best.safetensors and early stopping
};

// The largest training batch (far above what fits an LSTM step on any one device).
constexpr int kMaxTrainBatch = 1 << 16;

// The one owner of the rules for TrainOptions: throws InvalidSetting named "batch_size", "epochs",
// "validation_split", "validation_split_by", "limit", "test_limit", "log_every", "max_loss",
// "monitor" or "early_stopping". Cheap: callers check before
// any slow work; the Trainer and split_rows check again.
void validate_train_options(const TrainOptions& opts);
// The rules that join TrainOptions and the model: the above, and "bucket" (length buckets need a
// masked model: without the mask the padding is part of the model's input).
void validate_train_options(const TrainOptions& opts, const ModelConfig& model);

// fit() stops with this when the training or validation loss is NaN or infinite or above
// max_loss, or the weights stop being finite (a NaN or infinite gradient ends up in them). The
// diverged epoch is not saved: latest.safetensors keeps the last good one.
class TrainingDiverged : public Error {
 public:
  using Error::Error;
};

struct TrainResult {
  nlohmann::json history = nlohmann::json::array();  // every epoch's record (resumed ones too)
  Metrics test;                                      // count 0 when not evaluated
  double seconds = 0;                                // this run's wall time
  int best_epoch = 0;         // epoch with the best monitored value (0: no validation)
  bool stopped_early = false; // early stopping ended the run before opts.epochs
  bool restored_best = false; // the test evaluation used the best epoch's weights
};

// Which training reviews are trained on and which validate: Keras style (the tail of a seeded
// shuffle of the reviews), or with validation_split_by "movie" the tail of
// data::movie_block_order. The first form knows only the count, so it takes review splits only.
struct SplitRows {
  std::vector<int64_t> train, validation;
};
SplitRows split_rows(int64_t num_train_reviews, const TrainOptions& opts);
SplitRows split_rows(const data::Split& train, const TrainOptions& opts);

// Rows to evaluate out of a split of n reviews: all of them in order when limit < 0 or >= n, else
// a seeded sample of `limit` (the files are ordered pos then neg, so the first N would be one class).
std::vector<int64_t> sample_rows(int64_t n, int64_t limit, uint64_t seed);

// The order of the training rows in `epoch` (1-based): a Fisher–Yates shuffle seeded by (seed, epoch).
std::vector<int64_t> epoch_order(const std::vector<int64_t>& rows, uint64_t seed, int epoch);

// Length-bucketed batches (--bucket): the epoch's shuffled order cut into windows of
// kBucketWindowBatches batches, each window sorted by review length (stable) and cut into
// batches, then the full batches shuffled (seeded by seed and epoch) and the one partial batch, if
// any, put last. Consecutive batch_size rows of the result are one batch of similar lengths.
constexpr int kBucketWindowBatches = 50;
std::vector<int64_t> bucketed_order(const std::vector<int64_t>& shuffled, const data::Split& split,
                                    int batch_size, uint64_t seed, int epoch);

// Forward passes over `rows` of `split`; returns loss/accuracy, and each row's probability of the
// positive class in *probs when given. With `progress`, shows a task line "<label>: done/total
// reviews ... - loss - acc" (running figures) while it runs.
Metrics evaluate(Backend& backend, const data::Split& split, const std::vector<int64_t>& rows,
                 int batch_size, const data::SequenceOptions& seq,
                 std::vector<stream::BatchSlot>* slots, std::vector<float>* probs = nullptr,
                 ProgressLine* progress = nullptr, const std::string& progress_label = "test");

class Trainer {
 public:
  // `events` (optional) receives per-step and per-epoch records (TensorBoard logs).
  Trainer(Backend& backend, const data::Corpus& corpus, TrainOptions opts, ProgressLine* progress,
          TrainEvents* events = nullptr);

  // Trains from `ckpt` (state, epochs done, history; model/vocab/preprocessing describe the run)
  // up to opts.epochs, saving a checkpoint after every epoch, then evaluates on the test split.
  // With early stopping, training ends once the monitored value has not improved for `patience`
  // epochs, and the best epoch's weights are restored before the test evaluation (also when the
  // run went the full number of epochs, as Keras 3's restore_best_weights does).
  TrainResult fit(Checkpoint ckpt);

 private:
  // A resumed early-stopping run's best weights: <out>/best.safetensors, which must be best_epoch.
  TrainState best_saved_state(int best_epoch) const;

  Backend& backend_;
  const data::Corpus& corpus_;
  TrainOptions opts_;
  ProgressLine* progress_;
  TrainEvents* events_;
};

}  // namespace senti
