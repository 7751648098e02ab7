#include "engine/bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <sys/resource.h>

#include "kernels/common/error.h"

namespace senti {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kPi = 3.14159265358979323846;  // M_PI is POSIX, not C++17

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Uniform in [0, 1) from the top 53 bits: the same on every platform (std distributions are not).
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Standard normal by Box–Muller (one value per call; simplicity over speed).
double normal01(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng);  // (0, 1]: log is finite
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

// User + sys CPU seconds of the whole process (every thread), as Python's time.process_time().
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * t.tv_usec; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

BenchBatches::BenchBatches(Backend& backend, int count, int batch, int maxlen) {
  SENTI_CHECK(count >= 1 && batch >= 1 && maxlen >= 1, "bad batch pool shape");
  const size_t b = static_cast<size_t>(batch), t = static_cast<size_t>(maxlen);
  for (int k = 0; k < count; ++k) {
    // One allocation per batch: ids, then lengths (both int32), then labels (float).
    buffers_.push_back(backend.alloc_host((b * t + b) * sizeof(int32_t) + b * sizeof(float)));
    auto* base = static_cast<int32_t*>(buffers_.back().get());
    ids_.push_back(base);
    lengths_.push_back(base + b * t);
    labels_.push_back(reinterpret_cast<float*>(base + b * t + b));
    Batch view;
    view.ids = ids_.back();
    view.labels = labels_.back();
    view.lengths = lengths_.back();
    view.batch = batch;
    view.maxlen = maxlen;
    batches_.push_back(view);
  }
}

void fill_synthetic(BenchBatches* batches, int vocab, uint64_t seed) {
  SENTI_CHECK(vocab > 3, "synthetic ids need a vocabulary above the 3 reserved ids, got ", vocab);
  std::mt19937_64 rng(seed);
  for (int k = 0; k < batches->count(); ++k) {
    const Batch& view = (*batches)[k];
    const int b = view.batch, t = view.maxlen;
    for (int r = 0; r < b; ++r) {
      const double drawn = std::exp(std::log(175.0) + 0.75 * normal01(rng));
      const int len = static_cast<int>(std::clamp(drawn, std::min(10.0, double(t)), double(t)));
      int32_t* row = batches->ids(k) + static_cast<size_t>(r) * t;
      row[0] = 1;  // start token
      for (int s = 1; s < t; ++s)
        row[s] = s < len ? 3 + static_cast<int32_t>(rng() % static_cast<uint64_t>(vocab - 3)) : 0;
      batches->lengths(k)[r] = len;
      batches->labels(k)[r] = static_cast<float>(rng() & 1);
    }
  }
}

BenchResult run_bench(Backend& backend, const BenchBatches& batches, const BenchOptions& opts) {
  SENTI_CHECK(opts.steps >= 1 && opts.warmup >= 0 && opts.split_steps >= 0, "bad bench options");
  BenchResult r;
  r.batch = batches[0].batch;
  r.maxlen = batches[0].maxlen;
  r.warmup = opts.warmup;
  r.steps = opts.steps;
  int next = 0;
  auto step = [&] {
    backend.train_step(batches[next]);
    next = (next + 1) % batches.count();
  };

  for (int i = 0; i < opts.warmup; ++i) step();
  backend.take_metrics();  // drains the warm-up (synchronises)

  std::vector<Clock::time_point> marks;
  marks.reserve(opts.steps + 1);
  const double cpu0 = process_cpu_seconds();
  marks.push_back(Clock::now());
  for (int i = 0; i < opts.steps; ++i) {
    step();
    marks.push_back(Clock::now());
  }
  const Metrics m = backend.take_metrics();  // the device is done with every timed step
  marks.back() = Clock::now();
  const double cpu1 = process_cpu_seconds();

  std::vector<double> deltas;
  for (size_t i = 1; i < marks.size(); ++i) deltas.push_back(1e3 * seconds_between(marks[i - 1], marks[i]));
  r.total_s = seconds_between(marks.front(), marks.back());
  r.ms_per_step = 1e3 * r.total_s / opts.steps;
  r.median_ms = median(deltas);
  r.cpu_ms_per_step = 1e3 * (cpu1 - cpu0) / opts.steps;
  r.samples_per_s = r.batch * 1e3 / r.ms_per_step;
  r.tokens_per_s = static_cast<double>(r.batch) * r.maxlen * 1e3 / r.ms_per_step;
  r.loss = m.loss();

  if (opts.split_steps > 0) {
    backend.set_step_timing(true);
    Backend::StepTimings sum, one;
    int measured = 0;
    for (int i = 0; i < opts.split_steps; ++i) {
      step();
      if (!backend.last_step_timings(&one)) break;  // this backend has no split (the CPU)
      sum.copy_ms += one.copy_ms;
      sum.forward_ms += one.forward_ms;
      sum.backward_ms += one.backward_ms;
      sum.optimizer_ms += one.optimizer_ms;
      ++measured;
    }
    backend.set_step_timing(false);
    backend.take_metrics();
    if (measured > 0) {
      r.has_split = true;
      r.split_steps = measured;
      r.split = {sum.copy_ms / measured, sum.forward_ms / measured, sum.backward_ms / measured,
                 sum.optimizer_ms / measured};
    }
  }
  return r;
}

}  // namespace senti
