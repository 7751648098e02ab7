#include "host/run/progress.h"

#include <cmath>
#include <unistd.h>

namespace senti {

ProgressLine::ProgressLine(FILE* out, bool interactive, int64_t plain_every)
    : out_(out), interactive_(interactive), plain_every_(plain_every) {}

bool ProgressLine::is_terminal(FILE* out) { return ::isatty(::fileno(out)) == 1; }

void ProgressLine::start_epoch(int epoch, int epochs, int64_t steps) {
  steps_ = steps;
  std::fprintf(out_, "Epoch %d/%d\n", epoch, epochs);
  std::fflush(out_);
}

std::string ProgressLine::format(int64_t step, double seconds, int64_t samples, double loss,
                                 double acc) const {
  constexpr int kWidth = 30;
  const int filled = steps_ > 0 ? static_cast<int>(kWidth * step / steps_) : kWidth;
  std::string bar(kWidth, '.');
  for (int i = 0; i < filled && i < kWidth; ++i) bar[i] = '=';
  if (filled < kWidth && step > 0) bar[filled] = '>';
  const double ms_per_step = step > 0 ? 1000.0 * seconds / step : 0.0;
  const double rate = seconds > 0 ? samples / seconds : 0.0;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%lld/%lld [%s] - %.0fs %.0fms/step - %.0f samples/s - loss: %.4f - acc: %.4f",
                static_cast<long long>(step), static_cast<long long>(steps_), bar.c_str(), seconds,
                ms_per_step, rate, loss, acc);
  return buf;
}

void ProgressLine::update(int64_t step, double seconds, int64_t samples, double loss, double acc) {
  const std::string line = format(step, seconds, samples, loss, acc);
  if (interactive_) {
    std::fprintf(out_, "\r%s\033[K", line.c_str());
    line_open_ = true;
    std::fflush(out_);
  } else if (plain_every_ > 0 && step % plain_every_ == 0 && step < steps_) {
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
  }
}

void ProgressLine::finish_epoch(double seconds, int64_t samples, double loss, double acc,
                                double val_loss, double val_acc) {
  std::string line = format(steps_, seconds, samples, loss, acc);
  if (val_loss >= 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " - val_loss: %.4f - val_acc: %.4f", val_loss, val_acc);
    line += buf;
  }
  std::fprintf(out_, interactive_ ? "\r%s\033[K\n" : "%s\n", line.c_str());
  line_open_ = false;
  std::fflush(out_);
}

void ProgressLine::message(const std::string& line) {
  if (line_open_) std::fputc('\n', out_);
  line_open_ = false;
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

}  // namespace senti
