#pragma once
// What the trainer reports while it runs, for training logs other than metrics.jsonl (TensorBoard:
// host/tensorboard/training_log.h). The trainer knows nothing about file formats; a log implements
// this interface and the CLI hands it to the Trainer.
#include <string>
#include <vector>
#include <cstdint>

#include "engine/backend.h"
#include "engine/batch.h"

namespace senti {

// Every TrainEvents::step_every() optimizer steps.
struct StepEvent {
  int64_t global_step = 0;    // optimizer steps done, this one included
  int epoch = 0;              // 1-based
  Metrics window;             // loss and accuracy of the batches since the previous StepEvent
  bool language_model = false;  // window counts predicted tokens; perplexity logged
  double samples_per_s = 0;   // over those batches
  bool has_gradients = false; // the backend exposed the last step's gradient norms
  Backend::GradientStats gradients;
};

struct EpochEvent {
  int epoch = 0;              // 1-based
  int64_t global_step = 0;    // optimizer steps done at its end
  Metrics train, validation;  // validation.count == 0 when there is no validation split
  double samples_per_s = 0;   // training samples over the training time
  double seconds = 0;         // the epoch's wall time, validation included
  double learning_rate = 0;
  double val_macro_f1 = 0;    // with a validation split
  std::vector<std::vector<int64_t>> val_confusion;  // K×K, rows true; empty without validation
  std::vector<std::string> classes;                 // the class names, label order
  bool language_model = false;  // `senti pretrain`: figures per predicted token; perplexity logged
};

class TrainEvents {
 public:
  virtual ~TrainEvents() = default;
  // on_step() every this many steps; 0: never (the trainer then reads no per-step metrics).
  virtual int64_t step_every() const = 0;
  virtual void on_step(const StepEvent& e) = 0;
  virtual void on_epoch(const EpochEvent& e) = 0;
  // The final test evaluation, after `epoch` epochs and `global_step` steps.
  virtual void on_test(const Metrics& test, int epoch, int64_t global_step) = 0;
};

}  // namespace senti
