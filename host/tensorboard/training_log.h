#pragma once
// `senti train --tensorboard DIR`: the trainer's events as TensorBoard logs, laid out as Keras's
// TensorBoard callback lays them out so the dashboards look the same:
//
//   DIR/                  hparams (HParams plugin session_start_info, written by the first run
//                         start only) and a text summary "run_config" of the settings at each
//                         start; test_loss / test_accuracy at the end (x = epoch)
//   DIR/train/            batch_loss, batch_accuracy, batch_samples_per_s, grad_norm/<variable>,
//                         grad_norm/global, clip_scale/<variable> (x = global step, every
//                         step_every steps); epoch_loss, epoch_accuracy, epoch_learning_rate,
//                         epoch_samples_per_s (x = epoch)
//   DIR/validation/       epoch_loss, epoch_accuracy (x = epoch)
//
// So train and validation curves of one tag share a chart. <variable> is the Keras variable path
// (embedding/embeddings, lstm/lstm_cell/kernel, ...). Gradient norms are written when the backend
// exposes them (Backend::last_gradient_stats: the CPU backend does); otherwise a note says so once.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/params.h"
#include "host/run/train_events.h"
#include "host/tensorboard/event_writer.h"

namespace senti::tb {

struct TrainingLogOptions {
  std::string dir;             // the --tensorboard folder
  int64_t step_every = 10;     // batch_* scalars every N steps
  nlohmann::json hparams;      // flat object: the settings a resumed run must share (HParams)
  nlohmann::json run_settings = nlohmann::json::object();  // others (epochs, device): text only
  std::string description;     // Markdown shown above the settings table (model, backend)
  int64_t resumed_at_step = 0; // > 0: a resumed run (see EventFileWriter::add_session_start)
};

class TrainingLog final : public TrainEvents {
 public:
  TrainingLog(TrainingLogOptions opts, const ParamLayout& layout);
  int64_t step_every() const override { return opts_.step_every; }
  void on_step(const StepEvent& e) override;
  void on_epoch(const EpochEvent& e) override;
  void on_test(const Metrics& test, int epoch, int64_t global_step) override;
  // Set when a step came without gradient norms (the backend does not expose them).
  bool gradients_missing() const { return gradients_missing_; }

 private:
  TrainingLogOptions opts_;
  std::vector<std::string> variables_;  // Keras variable paths, ParamLayout order
  EventFileWriter root_, train_, validation_;
  bool gradients_missing_ = false;
  bool confusion_legend_written_ = false;  // the class order text, once a run
};

// The Markdown table of a flat JSON object, one row a key (sorted).
std::string settings_markdown(const nlohmann::json& hparams);

}  // namespace senti::tb
