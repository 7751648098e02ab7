#include "host/run/progress.h"

#include <algorithm>
#include <cmath>
#include <unistd.h>

namespace senti {
namespace {

constexpr int kBarWidth = 30;
constexpr double kRedrawSeconds = 0.25;

std::string bar(double fraction, bool started) {
  const int filled = static_cast<int>(kBarWidth * std::clamp(fraction, 0.0, 1.0));
  std::string b(kBarWidth, '.');
  for (int i = 0; i < filled && i < kBarWidth; ++i) b[i] = '=';
  if (filled < kBarWidth && started) b[filled] = '>';
  return "[" + b + "]";
}

// " - ETA: 12s" while a fraction of the work is known to be left.
std::string eta(double fraction, double seconds) {
  if (!(fraction > 0) || fraction >= 1 || seconds <= 0) return "";
  return " - ETA: " + format_duration(seconds * (1 - fraction) / fraction);
}

}  // namespace

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char buf[48];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%llds", s);
  return buf;
}

ProgressLine::ProgressLine(FILE* out, bool interactive, int64_t plain_every)
    : out_(out), interactive_(interactive), plain_every_(plain_every) {}

bool ProgressLine::is_terminal(FILE* out) { return ::isatty(::fileno(out)) == 1; }

void ProgressLine::draw(const std::string& line) {
  if (interactive_) {
    std::fprintf(out_, "\r%s\033[K", line.c_str());
    line_open_ = true;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void ProgressLine::start_epoch(int epoch, int epochs, int64_t steps) {
  steps_ = steps;
  std::fprintf(out_, "Epoch %d/%d\n", epoch, epochs);
  std::fflush(out_);
}

std::string ProgressLine::format(int64_t step, double seconds, int64_t samples, double loss,
                                 double acc) const {
  const double fraction = steps_ > 0 ? static_cast<double>(step) / steps_ : 1.0;
  const double ms_per_step = step > 0 ? 1000.0 * seconds / step : 0.0;
  const double rate = seconds > 0 ? samples / seconds : 0.0;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%lld/%lld %s%s - %.0fs %.0fms/step - %.0f samples/s - loss: %.4f - acc: %.4f",
                static_cast<long long>(step), static_cast<long long>(steps_),
                bar(fraction, step > 0).c_str(), step < steps_ ? eta(fraction, seconds).c_str() : "",
                seconds, ms_per_step, rate, loss, acc);
  return buf;
}

void ProgressLine::update(int64_t step, double seconds, int64_t samples, double loss, double acc) {
  if (interactive_ || (plain_every_ > 0 && step % plain_every_ == 0 && step < steps_))
    draw(format(step, seconds, samples, loss, acc));
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

void ProgressLine::start_task(const std::string& label, int64_t total, const std::string& unit) {
  label_ = label;
  unit_ = unit;
  total_ = std::max<int64_t>(total, 0);
  last_draw_ = -1;
  printed_tenths_ = 0;
  printed_units_ = 0;
}

double ProgressLine::fraction_of(int64_t done, double fraction) const {
  if (fraction >= 0) return std::min(fraction, 1.0);
  return total_ > 0 ? std::min(1.0, static_cast<double>(done) / total_) : -1.0;
}

std::string ProgressLine::format_task(int64_t done, double seconds, const std::string& figures,
                                      double fraction) const {
  std::string line = label_ + ": " + std::to_string(done);
  if (total_ > 0) line += "/" + std::to_string(total_);
  line += " " + unit_;
  if (fraction >= 0) {
    char pct[16];
    std::snprintf(pct, sizeof pct, " %3.0f%%", 100 * fraction);
    line += " " + bar(fraction, done > 0) + pct;
  }
  line += " - " + format_duration(seconds) + eta(fraction, seconds);
  char rate[64];
  std::snprintf(rate, sizeof rate, " - %.0f %s/s", seconds > 0 ? done / seconds : 0.0, unit_.c_str());
  line += rate;
  if (!figures.empty()) line += " - " + figures;
  return line;
}

bool ProgressLine::task_due(int64_t done, double seconds, double fraction) const {
  if (interactive_) return last_draw_ < 0 || seconds - last_draw_ >= kRedrawSeconds;
  const double f = fraction_of(done, fraction);
  if (f >= 0) return static_cast<int>(10 * f) > printed_tenths_ && f < 1;
  return plain_every_ > 0 && done - printed_units_ >= plain_every_;
}

void ProgressLine::task_update(int64_t done, double seconds, const std::string& figures,
                               double fraction) {
  const double f = fraction_of(done, fraction);
  if (interactive_) {
    if (last_draw_ >= 0 && seconds - last_draw_ < kRedrawSeconds) return;
    last_draw_ = seconds;
  } else if (f >= 0) {
    if (static_cast<int>(10 * f) <= printed_tenths_ || f >= 1) return;  // the end has its own line
    printed_tenths_ = static_cast<int>(10 * f);
  } else {
    if (plain_every_ <= 0 || done - printed_units_ < plain_every_) return;
    printed_units_ = done;
  }
  draw(format_task(done, seconds, figures, f));
}

void ProgressLine::end_task() {
  if (interactive_ && line_open_) std::fprintf(out_, "\r\033[K");
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
