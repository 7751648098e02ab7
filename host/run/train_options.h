#pragma once
// What `senti train` asks of the training loop (host/run/trainer.h), and the one check of it.
#include <cstdint>
#include <string>

#include "engine/model_config.h"

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

}  // namespace senti
