#pragma once
// Keras-like progress display for training:
//   Epoch 3/20
//   625/625 [==============================] - 61s 98ms/step - 327 samples/s - loss: 0.4312 - acc: 0.8021 - val_loss: 0.4550 - val_acc: 0.7910
// On a terminal the line is redrawn in place; otherwise only whole lines are printed (one at the end
// of each epoch, plus one every `plain_every` steps when that is > 0), so logs stay readable.
#include <cstdint>
#include <cstdio>
#include <string>

namespace senti {

class ProgressLine {
 public:
  ProgressLine(FILE* out, bool interactive, int64_t plain_every);
  static bool is_terminal(FILE* out);

  void start_epoch(int epoch, int epochs, int64_t steps);
  // Running figures of the current epoch after `step` steps.
  void update(int64_t step, double seconds, int64_t samples, double loss, double acc);
  // Ends the epoch's line; val_* < 0 means "no validation".
  void finish_epoch(double seconds, int64_t samples, double loss, double acc, double val_loss,
                    double val_acc);
  void message(const std::string& line);

 private:
  std::string format(int64_t step, double seconds, int64_t samples, double loss, double acc) const;
  FILE* out_;
  bool interactive_;
  int64_t plain_every_;
  int64_t steps_ = 0;
  bool line_open_ = false;
};

}  // namespace senti
