#pragma once
// Timing training steps on any Backend, the way every framework baseline in benchmarks/ is timed:
//
//   * `warmup` steps first (allocations, autotuning, caches), then take_metrics() to drain them;
//   * `steps` timed steps back to back, the host clock read after each train_step() returns, and
//     take_metrics() after the last one so the device has finished (it synchronises);
//   * ms/step = total wall / steps (the headline); median = median of the per-step host intervals
//     (exact on the CPU; on CUDA a step may return before its work is done); CPU ms/step = the
//     process's user + sys time per step, all threads (the fairer CPU figure on a loaded machine);
//   * then, where the backend measures its own split (CUDA events: copy, forward, backward,
//     clip + Adam), `split_steps` more steps with that timing on; it costs a sync per step, which
//     is why those steps are not part of the headline figure.
#include <cstdint>
#include <vector>

#include "engine/backend.h"

namespace senti {

// Batches in backend host memory (pinned on CUDA), cycled through by run_bench.
class BenchBatches {
 public:
  BenchBatches(Backend& backend, int count, int batch, int maxlen);
  int count() const { return static_cast<int>(batches_.size()); }
  // Writable views of batch k's (B, T) ids, (B) labels and (B) lengths.
  int32_t* ids(int k) { return ids_[k]; }
  float* labels(int k) { return labels_[k]; }
  int32_t* lengths(int k) { return lengths_[k]; }
  const Batch& operator[](int k) const { return batches_[k]; }

 private:
  std::vector<HostBuffer> buffers_;
  std::vector<int32_t*> ids_, lengths_;
  std::vector<float*> labels_;
  std::vector<Batch> batches_;
};

// Fills every batch with random ids shaped like the real data: a start token (1), then ids uniform
// in [3, vocab), IMDB-like true lengths (log-normal, median ~175 tokens, clipped to [10, T]), post
// padding with 0, random 0/1 labels. Deterministic for a seed on every platform. The same recipe
// as benchmarks/baselines/common.py's synthetic_batches (not the same numbers: another RNG).
void fill_synthetic(BenchBatches* batches, int vocab, uint64_t seed);

struct BenchOptions {
  int warmup = 5;
  int steps = 50;
  int split_steps = 20;  // extra steps for the CUDA split; 0 = skip
};

struct BenchResult {
  int batch = 0, maxlen = 0, warmup = 0, steps = 0;
  double total_s = 0;        // wall time of the timed steps, sync included
  double ms_per_step = 0;    // total_s / steps
  double median_ms = 0;      // median per-step host interval
  double cpu_ms_per_step = 0;  // process CPU time (user + sys, all threads) per timed step
  double samples_per_s = 0;  // B / step
  double tokens_per_s = 0;   // B·T / step (padded positions, as the LSTM runs over all T)
  double loss = 0;           // mean training loss over the timed steps (a sanity check)
  bool has_split = false;    // the backend measured the split below
  int split_steps = 0;
  Backend::StepTimings split;  // mean per step, ms
};

// Runs warm-up, timed steps and (where supported) the split on `backend`, cycling `batches`.
// The backend's state is whatever the caller set (set_state) and is trained in place.
BenchResult run_bench(Backend& backend, const BenchBatches& batches, const BenchOptions& opts);

}  // namespace senti
