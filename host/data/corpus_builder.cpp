#include "host/data/corpus_builder.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <numeric>
#include <thread>
#include <vector>

#include "engine/params.h"
#include "kernels/common/error.h"
#include "host/data/aclimdb_reader.h"
#include "host/data/hash.h"
#include "host/data/review_queue.h"
#include "host/data/word_index.h"
#include "host/text/tokenizer.h"
#include "host/text/word_table.h"

namespace senti::data {
namespace {

struct ReviewRecord {
  SplitName split;
  uint8_t label;
  uint8_t rating;
  int32_t id;
  uint64_t begin, end;  // into the provisional index buffer
  uint64_t digest;      // XXH64 of the review bytes
  std::string name;
};

// Final id of every provisional word index, ranking train words by (count desc, bytes asc).
std::vector<int32_t> ids_from_train(const text::WordTable& table, const std::vector<int64_t>& train_count,
                                    int num_words, Vocabulary* vocab) {
  std::vector<int32_t> order;
  for (size_t i = 0; i < train_count.size(); ++i)
    if (train_count[i] > 0) order.push_back(static_cast<int32_t>(i));
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    if (train_count[a] != train_count[b]) return train_count[a] > train_count[b];
    return table.word(a) < table.word(b);
  });
  std::vector<int32_t> id(table.size(), kOovId);
  const size_t kept = std::min(order.size(), static_cast<size_t>(num_words - kFirstWordId));
  vocab->words.clear();
  vocab->words.reserve(kept);
  for (size_t r = 0; r < kept; ++r) {
    id[order[r]] = static_cast<int32_t>(r) + kFirstWordId;
    vocab->words.emplace_back(table.word(order[r]));
  }
  vocab->source = "train-split";
  return id;
}

// Keras-compatible ids: rank + 3 when below num_words, else OOV; words not in the index are OOV.
std::vector<int32_t> ids_from_word_index(const text::WordTable& table, const WordIndex& wi,
                                         const std::string& path, int num_words, Vocabulary* vocab) {
  std::vector<int32_t> id(table.size(), kOovId);
  for (size_t i = 0; i < table.size(); ++i) {
    const int32_t k = wi.words.find(table.word(static_cast<int32_t>(i)));
    if (k < 0) continue;
    const int64_t keras_id = static_cast<int64_t>(wi.ranks[k]) + kFirstWordId;
    if (keras_id < num_words) id[i] = static_cast<int32_t>(keras_id);
  }
  // words[k] has id k + 3, i.e. rank k: words[0] (Keras's unused id 3) and rank gaps stay "".
  const int64_t n = std::min<int64_t>(num_words - kFirstWordId, int64_t{wi.max_rank} + 1);
  vocab->words.assign(static_cast<size_t>(n), std::string());
  for (size_t k = 0; k < wi.ranks.size(); ++k)
    if (wi.ranks[k] < n) vocab->words[wi.ranks[k]] = std::string(wi.words.word(static_cast<int32_t>(k)));
  vocab->source = "keras-word-index:" + path;
  return id;
}

struct Cancelled {};  // thrown inside the reader when the consumer has stopped

// Reads on a second thread (decompression / file I/O) while the calling thread runs `consume`.
// Errors from either side surface here, on the calling thread, after both have stopped.
void read_pipelined(const std::string& data_path,
                    const std::function<void(const ReviewFile&, std::string_view)>& consume) {
  constexpr size_t kBatchBytes = 1 << 20;
  ReviewQueue queue(8);
  std::exception_ptr reader_error;
  std::thread reader([&] {
    try {
      auto batch = queue.empty_batch();
      read_aclimdb(data_path, [&](const ReviewFile& rf, std::string_view text) {
        batch->add(rf, text);
        if (batch->texts.size() >= kBatchBytes) {
          if (!queue.push(std::move(batch))) throw Cancelled{};
          batch = queue.empty_batch();
        }
      });
      if (!batch->meta.empty()) queue.push(std::move(batch));
    } catch (const Cancelled&) {
    } catch (...) {
      reader_error = std::current_exception();
    }
    queue.close();
  });
  try {
    while (auto batch = queue.pop()) {
      for (const ReviewBatch::Meta& m : batch->meta) {
        const std::string_view name(batch->names.data() + m.name_begin, m.name_end - m.name_begin);
        const std::string_view text(batch->texts.data() + m.text_begin, m.text_end - m.text_begin);
        consume(ReviewFile{m.split, m.label, m.id, m.rating, name, m.input_fraction}, text);
      }
      queue.recycle(std::move(batch));
    }
  } catch (...) {
    queue.cancel();
    reader.join();
    throw;
  }
  reader.join();
  if (reader_error) std::rethrow_exception(reader_error);
}

}  // namespace

void check_num_words(int num_words) {
  if (num_words < 4 || num_words > kMaxVocabSize)
    SENTI_FAIL_SETTING("num_words", "must be in 4..", kMaxVocabSize,
                       " (ids 0 pad, 1 start, 2 out-of-vocabulary, 3.. words), got ", num_words);
}

Corpus build_corpus(const std::string& data_path, const VocabularyOptions& opts, BuildInfo* info,
                    const BuildProgress& progress) {
  check_num_words(opts.num_words);
  // Load the word index first: a bad --word-index fails before the slow pass over the data.
  WordIndex wi;
  if (!opts.word_index.empty()) wi = load_word_index(opts.word_index);

  text::WordTable table;
  std::vector<int64_t> train_count;
  std::vector<int32_t> provisional;
  std::vector<ReviewRecord> records;
  records.reserve(50000);
  provisional.reserve(1 << 24);
  text::TokenList tokens;
  uint64_t input_bytes = 0;
  auto consume = [&](const ReviewFile& rf, std::string_view review) {
    text::tokenize(review, &tokens);
    input_bytes += review.size();
    const uint64_t begin = provisional.size();
    const bool train = rf.split == SplitName::Train;
    for (size_t t = 0; t < tokens.size(); ++t) {
      const int32_t w = table.intern(tokens[t]);
      if (static_cast<size_t>(w) == train_count.size()) train_count.push_back(0);
      if (train) ++train_count[w];
      provisional.push_back(w);
    }
    records.push_back(ReviewRecord{rf.split, rf.label, rf.rating, rf.id, begin, provisional.size(),
                                   xxh64(review.data(), review.size()), std::string(rf.name)});
    if (progress) progress(static_cast<int64_t>(records.size()), rf.input_fraction);
  };
  read_pipelined(data_path, consume);

  Corpus corpus;
  corpus.vocab.num_words = opts.num_words;
  const std::vector<int32_t> id =
      opts.word_index.empty() ? ids_from_train(table, train_count, opts.num_words, &corpus.vocab)
                              : ids_from_word_index(table, wi, opts.word_index, opts.num_words, &corpus.vocab);

  // Contract order: train then test; within a split pos then neg; within a class by id.
  std::vector<size_t> order(records.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const ReviewRecord& x = records[a];
    const ReviewRecord& y = records[b];
    if (x.split != y.split) return x.split < y.split;
    if (x.label != y.label) return x.label > y.label;
    return x.id < y.id;
  });
  uint64_t digest = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const ReviewRecord& r = records[order[k]];
    if (k > 0) {
      const ReviewRecord& prev = records[order[k - 1]];
      if (prev.split == r.split && prev.label == r.label && prev.id == r.id)
        SENTI_FAIL("--data ", data_path, ": review id ", r.id, " appears twice in one folder (", prev.name,
                   " and ", r.name, "); expected unique <id> per folder");
    }
    Split& s = r.split == SplitName::Train ? corpus.train : corpus.test;
    if (s.offsets.empty()) s.offsets.push_back(0);
    for (uint64_t t = r.begin; t < r.end; ++t) s.tokens.push_back(id[provisional[t]]);
    s.offsets.push_back(s.tokens.size());
    s.labels.push_back(r.label);
    s.review_ids.push_back(r.id);
    s.ratings.push_back(r.rating);
    const uint64_t key[4] = {static_cast<uint64_t>(r.split), r.label, static_cast<uint64_t>(r.id), r.digest};
    digest = xxh64(key, sizeof(key), digest);
  }
  if (corpus.test.offsets.empty()) corpus.test.offsets.push_back(0);
  if (corpus.train.offsets.empty()) corpus.train.offsets.push_back(0);
  if (info) {
    info->distinct_train_words = static_cast<size_t>(
        std::count_if(train_count.begin(), train_count.end(), [](int64_t c) { return c > 0; }));
    info->input_bytes = input_bytes;
    info->content_digest = digest;
  }
  return corpus;
}

}  // namespace senti::data
