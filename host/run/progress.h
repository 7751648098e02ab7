#pragma once
// The one live progress display of the CLI.
//
// Training epochs, Keras-like:
//   Epoch 3/20
//   312/625 [==============>...............] - ETA: 30s - 31s 98ms/step - 327 samples/s - loss: 0.4312 - acc: 0.8021
//   625/625 [==============================] - 61s 98ms/step - 327 samples/s - loss: 0.4312 - acc: 0.8021 - val_loss: 0.4550 - val_acc: 0.7910
// Other counted tasks (prepare, eval, predict --file):
//   test: 12000/25000 reviews [=============>................] 48% - 9s - ETA: 10s - 1318 reviews/s - loss: 0.3975 - acc: 0.8591
//
// On a terminal the line is redrawn in place (tasks at most every 0.25 s: task_due()); otherwise
// only whole lines are printed, so logs stay readable: for epochs one at the end plus one every
// `plain_every` steps when that is > 0; for tasks one each time another tenth of the total is done
// (every `plain_every` units when the total is unknown and plain_every > 0); a task's caller prints
// its own summary at the end.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace senti {

// Seconds since t0 on the steady clock: what the progress line's and the epoch records' times
// are measured with.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class ProgressLine {
 public:
  ProgressLine(FILE* out, bool interactive, int64_t plain_every);
  static bool is_terminal(FILE* out);
  bool interactive() const { return interactive_; }

  void start_epoch(int epoch, int epochs, int64_t steps);
  // Running figures of the current epoch after `step` steps.
  void update(int64_t step, double seconds, int64_t samples, double loss, double acc);
  // Ends the epoch's line; val_* < 0 means "no validation".
  void finish_epoch(double seconds, int64_t samples, double loss, double acc, double val_loss,
                    double val_acc);

  // A counted task: `total` units (0 = unknown: no bar, no ETA), named `unit` ("reviews").
  void start_task(const std::string& label, int64_t total, const std::string& unit);
  // Whether task_update(done, seconds, ...) would print anything now: callers whose figures cost
  // something to read (a GPU synchronisation) ask first.
  bool task_due(int64_t done, double seconds, double fraction = -1) const;
  // `done` units after `seconds`; `figures` (may be empty) follow the rate, " - "-separated.
  // `fraction` in [0, 1] overrides done/total for the bar and ETA (prepare reads a .tar.gz whose
  // review count is unknown, but how much of the file is read is known); < 0: done/total.
  void task_update(int64_t done, double seconds, const std::string& figures, double fraction = -1);
  // Ends the task: erases the live line on a terminal (every caller prints its own summary after).
  void end_task();

  void message(const std::string& line);

 private:
  std::string format(int64_t step, double seconds, int64_t samples, double loss, double acc) const;
  std::string format_task(int64_t done, double seconds, const std::string& figures,
                          double fraction) const;
  double fraction_of(int64_t done, double fraction) const;
  void draw(const std::string& line);
  FILE* out_;
  bool interactive_;
  int64_t plain_every_;
  int64_t steps_ = 0;
  bool line_open_ = false;
  // The current task.
  std::string label_, unit_;
  int64_t total_ = 0;
  double last_draw_ = -1;  // seconds of the last interactive draw
  int printed_tenths_ = 0; // plain mode: tenths of the total already printed
  int64_t printed_units_ = 0;
};

// "1:02:03", "4:05", "9s": a duration for ETAs and totals.
std::string format_duration(double seconds);

}  // namespace senti
