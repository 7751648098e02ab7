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
#include "host/run/evaluate.h"
#include "host/run/train_options.h"
#include "host/run/row_order.h"

namespace senti {

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
