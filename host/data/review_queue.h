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

#include "host/data/corpus_source.h"

namespace senti::data {

struct ReviewBatch {
  struct Meta {
    SplitName split;
    uint8_t rating;
    int32_t id;
    int32_t movie;                    // Document::movie
    uint32_t where_begin, where_end;  // into wheres
    uint32_t label_begin, label_end;  // into labels
    uint64_t text_begin, text_end;    // into texts
    double input_fraction;            // Document::input_fraction
    int32_t label_list;               // into label_lists (multi-label documents), else -1
  };
  std::vector<Meta> meta;
  std::string wheres, labels, texts;
  std::vector<std::vector<std::string>> label_lists;  // Document::labels, when given
  void clear() {
    meta.clear();
    label_lists.clear();
    wheres.clear();
    labels.clear();
    texts.clear();
  }
  void add(const Document& d) {
    Meta m{d.split, d.rating, d.id, d.movie, static_cast<uint32_t>(wheres.size()), 0,
           static_cast<uint32_t>(labels.size()), 0, texts.size(), 0, d.input_fraction, -1};
    if (d.labels) {
      m.label_list = static_cast<int32_t>(label_lists.size());
      label_lists.push_back(*d.labels);
    }
    wheres.append(d.where);
    labels.append(d.label);
    texts.append(d.text);
    m.where_end = static_cast<uint32_t>(wheres.size());
    m.label_end = static_cast<uint32_t>(labels.size());
    m.text_end = texts.size();
    meta.push_back(m);
  }
  Document document(size_t k) const {
    const Meta& m = meta[k];
    Document d;
    d.split = m.split;
    d.rating = m.rating;
    d.id = m.id;
    d.movie = m.movie;
    d.where = std::string_view(wheres.data() + m.where_begin, m.where_end - m.where_begin);
    d.label = std::string_view(labels.data() + m.label_begin, m.label_end - m.label_begin);
    d.text = std::string_view(texts.data() + m.text_begin, m.text_end - m.text_begin);
    d.input_fraction = m.input_fraction;
    if (m.label_list >= 0) d.labels = &label_lists[static_cast<size_t>(m.label_list)];
    return d;
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
