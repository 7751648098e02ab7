#pragma once
// A bounded hand-off of review batches from the reading thread (decompression, file I/O) to the
// tokenizing thread, so the two overlap: `prepare` runs at roughly the speed of the slower stage
// instead of their sum. Batches are recycled, so steady state allocates nothing.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/data/aclimdb_reader.h"

namespace senti::data {

struct ReviewBatch {
  struct Meta {
    SplitName split;
    uint8_t label, rating;
    int32_t id;
    uint32_t name_begin, name_end;  // into names
    uint64_t text_begin, text_end;  // into texts
    double input_fraction;          // ReviewFile::input_fraction
  };
  std::vector<Meta> meta;
  std::string names, texts;
  void clear() {
    meta.clear();
    names.clear();
    texts.clear();
  }
  void add(const ReviewFile& rf, std::string_view text) {
    Meta m{rf.split, rf.label, rf.rating, rf.id, static_cast<uint32_t>(names.size()), 0, texts.size(), 0,
           rf.input_fraction};
    names.append(rf.name);
    texts.append(text);
    m.name_end = static_cast<uint32_t>(names.size());
    m.text_end = texts.size();
    meta.push_back(m);
  }
};

class ReviewQueue {
 public:
  explicit ReviewQueue(size_t capacity) : capacity_(capacity) {}
  // Producer: a batch to fill (recycled when possible).
  std::unique_ptr<ReviewBatch> empty_batch() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::make_unique<ReviewBatch>();
    auto b = std::move(free_.back());
    free_.pop_back();
    b->clear();
    return b;
  }
  // Producer: blocks while the queue is full; false when the consumer has cancelled.
  bool push(std::unique_ptr<ReviewBatch> b) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return full_.size() < capacity_ || cancelled_; });
    if (cancelled_) return false;
    full_.push_back(std::move(b));
    cv_.notify_all();
    return true;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  void cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }
  // Consumer: the next batch, or null once the producer closed and everything was taken.
  std::unique_ptr<ReviewBatch> pop() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !full_.empty() || closed_; });
    if (full_.empty()) return nullptr;
    auto b = std::move(full_.front());
    full_.pop_front();
    cv_.notify_all();
    return b;
  }
  void recycle(std::unique_ptr<ReviewBatch> b) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(b));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<ReviewBatch>> full_;
  std::vector<std::unique_ptr<ReviewBatch>> free_;
  size_t capacity_;
  bool closed_ = false, cancelled_ = false;
};

}  // namespace senti::data
