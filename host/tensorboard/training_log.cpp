#include "host/tensorboard/training_log.h"

#include "host/tensorboard/confusion_image.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "kernels/common/error.h"

namespace senti::tb {
namespace {

std::string sub(const std::string& dir, const char* name) {
  return (std::filesystem::path(dir) / name).string();
}

}  // namespace

std::string settings_markdown(const nlohmann::json& hparams) {
  std::string md = "| setting | value |\n|---|---|\n";
  for (const auto& [key, value] : hparams.items())  // nlohmann::json objects iterate sorted
    md += "| " + key + " | " + (value.is_string() ? value.get<std::string>() : value.dump()) + " |\n";
  return md;
}

TrainingLog::TrainingLog(TrainingLogOptions opts, const ParamLayout& layout)
    : opts_(std::move(opts)),
      root_(opts_.dir, "--tensorboard"),
      train_(sub(opts_.dir, "train"), "--tensorboard"),
      validation_(sub(opts_.dir, "validation"), "--tensorboard") {
  if (opts_.step_every < 0) SENTI_FAIL("--tensorboard-every must be >= 0, got ", opts_.step_every);
  SENTI_CHECK(opts_.hparams.is_object(), "hparams must be a JSON object");
  for (const TensorInfo& t : layout.tensors()) variables_.emplace_back(t.name);
  if (opts_.resumed_at_step > 0) {
    for (EventFileWriter* w : {&root_, &train_, &validation_})
      w->add_session_start(opts_.resumed_at_step);
  }
  // TensorBoard keeps the first summary metadata of a tag, so only the first run start writes the
  // HParams session (a resumed run shares the resume-checked settings); every start gets a text
  // summary at its first step, with the settings it ran with (--epochs may have grown).
  if (opts_.resumed_at_step == 0) root_.add_hparams(opts_.hparams, wall_time_now());
  nlohmann::json settings = opts_.hparams;
  settings.update(opts_.run_settings);
  std::string md = opts_.description;
  if (opts_.resumed_at_step > 0) md += "\n\nResumed at step " + std::to_string(opts_.resumed_at_step) + ".";
  root_.add_text(opts_.resumed_at_step, "run_config", md + "\n\n" + settings_markdown(settings));
  for (EventFileWriter* w : {&root_, &train_, &validation_}) w->flush();
}

void TrainingLog::on_step(const StepEvent& e) {
  std::vector<std::pair<std::string, double>> v;
  if (e.window.count > 0) {
    v.emplace_back("batch_loss", e.window.loss());
    v.emplace_back("batch_accuracy", e.window.accuracy());
    if (e.language_model) v.emplace_back("batch_perplexity", std::exp(e.window.loss()));
  }
  v.emplace_back("batch_samples_per_s", e.samples_per_s);
  if (e.has_gradients) {
    double total = 0;
    for (size_t i = 0; i < variables_.size(); ++i) {
      v.emplace_back("grad_norm/" + variables_[i], e.gradients.norm[i]);
      v.emplace_back("clip_scale/" + variables_[i], e.gradients.clip_scale[i]);
      total += e.gradients.norm[i] * e.gradients.norm[i];
    }
    v.emplace_back("grad_norm/global", std::sqrt(total));
  } else {
    gradients_missing_ = true;
  }
  train_.add_scalars(e.global_step, v);
}

void TrainingLog::on_epoch(const EpochEvent& e) {
  train_.add_scalars(e.epoch, {{"epoch_loss", e.train.loss()},
                               {"epoch_accuracy", e.train.accuracy()},
                               {"epoch_learning_rate", e.learning_rate},
                               {"epoch_samples_per_s", e.samples_per_s},
                               {"epoch_seconds", e.seconds}});
  if (e.language_model) {  // training's over the sampled softmax, validation's over all words
    train_.add_scalars(e.epoch, {{"epoch_perplexity", std::exp(e.train.loss())}});
    if (e.validation.count > 0)
      validation_.add_scalars(e.epoch, {{"epoch_loss", e.validation.loss()},
                                        {"epoch_accuracy", e.validation.accuracy()},
                                        {"epoch_perplexity", std::exp(e.validation.loss())}});
  } else if (e.validation.count > 0) {
    validation_.add_scalars(e.epoch, {{"epoch_loss", e.validation.loss()},
                                      {"epoch_accuracy", e.validation.accuracy()},
                                      {"epoch_macro_f1", e.val_macro_f1}});
    if (!e.val_confusion.empty()) {
      const RgbImage img = confusion_image(e.val_confusion);
      validation_.add_image(e.epoch, "confusion_matrix", encode_png(img), img.width, img.height);
      if (!confusion_legend_written_) {  // the picture has no room for names: they come once, as text
        std::string md = "Rows: true class, columns: predicted class, shaded by the share of the row. Order: ";
        for (size_t k = 0; k < e.classes.size(); ++k) md += (k ? ", " : "") + std::to_string(k) + " " + e.classes[k];
        validation_.add_text(e.epoch, "confusion_matrix_classes", md);
        confusion_legend_written_ = true;
      }
    }
  }
  // Once an epoch: TensorBoard sees every finished epoch even if the run is stopped later.
  for (EventFileWriter* w : {&root_, &train_, &validation_}) w->flush();
}

void TrainingLog::on_test(const Metrics& test, int epoch, int64_t /*global_step*/) {
  if (test.count == 0) return;
  root_.add_scalars(epoch, {{"test_loss", test.loss()}, {"test_accuracy", test.accuracy()}});
  root_.flush();
}

}  // namespace senti::tb
