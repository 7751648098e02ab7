#include "host/stream/batch_stream.h"

#include <algorithm>

#include "kernels/common/error.h"
#include "kernels/common/nvtx.h"

namespace senti::stream {

std::vector<BatchSlot> make_slots(int depth, int max_batch, int maxlen, const HostAlloc& alloc,
                                  int label_width) {
  SENTI_CHECK(depth >= 2 && max_batch > 0 && maxlen > 0 && label_width > 0, "bad slot shape");
  const size_t n_ids = static_cast<size_t>(max_batch) * maxlen;
  const size_t n_labels = static_cast<size_t>(max_batch) * label_width;
  const size_t bytes = n_ids * sizeof(int32_t) + n_labels * sizeof(float) + static_cast<size_t>(max_batch) * sizeof(int32_t);
  std::vector<BatchSlot> slots(depth);
  for (BatchSlot& s : slots) {
    s.memory = alloc(bytes);
    SENTI_CHECK(s.memory != nullptr, "host allocation of ", bytes, " bytes failed");
    auto* base = static_cast<char*>(s.memory.get());
    s.ids = reinterpret_cast<int32_t*>(base);
    s.labels = reinterpret_cast<float*>(base + n_ids * sizeof(int32_t));
    s.lengths = reinterpret_cast<int32_t*>(base + n_ids * sizeof(int32_t) + n_labels * sizeof(float));
    s.label_width = label_width;
  }
  return slots;
}

BatchStream::BatchStream(const data::Split& split, std::vector<int64_t> rows, int batch_size,
                         const data::SequenceOptions& seq, std::vector<BatchSlot>* slots,
                         bool trim)
    : split_(split),
      rows_(std::move(rows)),
      batch_size_(batch_size),
      seq_(seq),
      slots_(*slots),
      trim_(trim),
      num_batches_((static_cast<int64_t>(rows_.size()) + batch_size - 1) / batch_size) {
  SENTI_CHECK(batch_size > 0 && slots_.size() >= 2, "bad stream configuration");
  worker_ = std::thread([this] { produce(); });
}

BatchStream::~BatchStream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void BatchStream::produce() {
  const int64_t depth = static_cast<int64_t>(slots_.size());
  try {
    for (int64_t b = 0; b < num_batches_; ++b) {
      {
        // Slot b % depth last held batch b - depth; it is free once the consumer asked for batch
        // b - depth + 1 (asking releases the previous batch), i.e. consumed_ >= b - depth + 2.
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || b < depth || consumed_ >= b - depth + 2; });
        if (stop_) return;
      }
      BatchSlot& s = slots_[b % depth];
      const int64_t first = b * batch_size_;
      const int n = static_cast<int>(std::min<int64_t>(batch_size_, rows_.size() - first));
      data::SequenceOptions seq = seq_;
      if (trim_) {  // pad to the longest row: its length (start token included), capped at maxlen
        int64_t longest = 1;
        for (int i = 0; i < n; ++i) {
          const int64_t r = rows_[static_cast<size_t>(first + i)];
          SENTI_CHECK(r >= 0 && static_cast<size_t>(r) < split_.size(), "row ", r, " out of range");
          longest = std::max(longest, split_.length(static_cast<size_t>(r)) + 1);
        }
        seq.maxlen = static_cast<int>(std::min<int64_t>(longest, seq_.maxlen));
      }
      {
        SENTI_NVTX_RANGE("batch gather");
        data::gather_batch(split_, rows_.data() + first, n, seq, s.ids, s.labels, s.lengths, s.label_width);
      }
      s.batch = Batch{s.ids, s.labels, s.lengths, n, seq.maxlen,
                      seq_.padding == data::Side::Pre ? PadSide::Pre : PadSide::Post};
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++produced_;
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::current_exception();
    stop_ = true;
    cv_.notify_all();
  }
}

const Batch* BatchStream::next() {
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t b = consumed_;  // the batch to hand out now; asking for it releases b - 1
  ++consumed_;
  cv_.notify_all();
  if (b >= num_batches_) return nullptr;
  cv_.wait(lock, [&] { return produced_ > b || error_ != nullptr; });
  if (error_) std::rethrow_exception(error_);
  return &slots_[b % slots_.size()].batch;
}

}  // namespace senti::stream
