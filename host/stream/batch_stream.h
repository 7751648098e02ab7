#pragma once
// Streams padded batches to a backend: a producer thread gathers the next batches of a pass into a
// ring of host slots (pinned memory from Backend::alloc_host on CUDA) while the consumer trains on
// the current one. A slot is refilled only after the consumer released it, i.e. after the
// backend's train_step/eval_step returned (by then the backend no longer reads it: the CUDA backend
// has finished the async copy).
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/batch.h"
#include "host/data/dataset.h"

namespace senti::stream {

// Host memory for one batch: ids (B, T), labels (B, label_width), lengths (B); label_width is 1
// (a class index a row) or K (0/1 a class: multi-label).
struct BatchSlot {
  std::shared_ptr<void> memory;
  int32_t* ids = nullptr;
  float* labels = nullptr;
  int label_width = 1;
  int32_t* lengths = nullptr;
  Batch batch;  // views of the above, with this batch's B and T
};

// Allocates `depth` slots of (max_batch, maxlen) with `alloc` (Backend::alloc_host).
using HostAlloc = std::function<std::shared_ptr<void>(size_t bytes)>;
std::vector<BatchSlot> make_slots(int depth, int max_batch, int maxlen, const HostAlloc& alloc,
                                  int label_width = 1);

// One pass over `rows` of `split` in that order, in batches of `batch_size` (the last may be
// smaller). Not restartable: make one per epoch; slots are borrowed and reused across passes.
// trim: each batch is padded only to its longest row (T = that length, at most seq.maxlen) instead
// of seq.maxlen — for masked models, whose outputs do not depend on the padding (docs/model.md).
class BatchStream {
 public:
  BatchStream(const data::Split& split, std::vector<int64_t> rows, int batch_size,
              const data::SequenceOptions& seq, std::vector<BatchSlot>* slots, bool trim = false);
  ~BatchStream();
  BatchStream(const BatchStream&) = delete;
  BatchStream& operator=(const BatchStream&) = delete;

  int64_t num_batches() const { return num_batches_; }
  // The next batch, or nullptr at the end of the pass. The previous batch is released by this call.
  const Batch* next();

 private:
  void produce();

  const data::Split& split_;
  const std::vector<int64_t> rows_;
  const int batch_size_;
  const data::SequenceOptions seq_;
  std::vector<BatchSlot>& slots_;
  const bool trim_;
  const int64_t num_batches_;

  std::mutex mu_;
  std::condition_variable cv_;
  int64_t produced_ = 0;  // batches gathered so far
  int64_t consumed_ = 0;  // batches handed to the consumer so far (the last one may still be in use)
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace senti::stream
