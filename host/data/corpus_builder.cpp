#include "host/data/corpus_builder.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <numeric>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/params.h"
#include "kernels/common/error.h"
#include "host/data/aclimdb_reader.h"
#include "host/data/class_order.h"
#include "host/data/hash.h"
#include "host/data/review_queue.h"
#include "host/data/word_index.h"
#include "host/text/tokenizers.h"
#include "host/text/word_table.h"

namespace senti::data {
namespace {

// Every document's provisional word indices, in blocks of 16 M (64 MB): appending never copies
// what is there (a vector of a billion indices would, at each doubling, briefly hold 1.5x-2x its
// size twice over) and never reserves more than a block beyond what was read. A block is above
// glibc's largest mmap threshold (32 MB), so each is its own mapping and goes back to the system
// when the build ends (smaller blocks would stay in the heap, as much again as the final ids).
class ProvisionalIds {
 public:
  void push_back(int32_t v) {
    if (size_ % kBlock == 0) {
      blocks_.emplace_back();
      blocks_.back().reserve(kBlock);
    }
    blocks_.back().push_back(v);
    ++size_;
  }
  uint64_t size() const { return size_; }
  int32_t operator[](uint64_t i) const { return blocks_[i / kBlock][i % kBlock]; }

 private:
  static constexpr uint64_t kBlock = uint64_t{1} << 24;
  std::vector<std::vector<int32_t>> blocks_;
  uint64_t size_ = 0;
};

struct DocumentRecord {
  SplitName split;
  int32_t label;        // provisional: index into the labels in order of first appearance
  std::vector<int32_t> label_set;  // multi-label: every provisional label of the document
  uint8_t rating;
  int32_t id;
  int32_t movie;        // Document::movie
  uint64_t begin, end;  // into the provisional index buffer
  uint64_t digest;      // XXH64 of the document bytes
  std::string where;
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

// Every provisional word index's id in a given vocabulary (a pretrained checkpoint's): word k of
// it is id k + 3 when below its num_words; other words are OOV.
std::vector<int32_t> ids_from_vocabulary(const text::WordTable& table, const Vocabulary& v) {
  std::unordered_map<std::string_view, int32_t> at;
  at.reserve(v.words.size());
  for (size_t k = 0; k < v.words.size(); ++k)
    if (!v.words[k].empty() && static_cast<int64_t>(k) + kFirstWordId < v.num_words)
      at.emplace(v.words[k], static_cast<int32_t>(k) + kFirstWordId);
  std::vector<int32_t> id(table.size(), kOovId);
  for (size_t i = 0; i < table.size(); ++i)
    if (auto it = at.find(table.word(static_cast<int32_t>(i))); it != at.end()) id[i] = it->second;
  return id;
}

struct Cancelled {};  // thrown inside the reader when the consumer has stopped

// Reads on a second thread (decompression / file I/O / parsing) while the calling thread runs
// `consume`. Errors from either side surface here, on the calling thread, after both have stopped.
void read_pipelined(CorpusSource& source, const std::function<void(const Document&)>& consume) {
  constexpr size_t kBatchBytes = 1 << 20;
  ReviewQueue queue(8);
  std::exception_ptr reader_error;
  std::thread reader([&] {
    try {
      auto batch = queue.empty_batch();
      source.read([&](const Document& d) {
        batch->add(d);
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
      for (size_t k = 0; k < batch->meta.size(); ++k) consume(batch->document(k));
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


// The final class of every provisional label: the training labels sorted by name (Keras's
// class-folder order; for aclImdb neg = 0, pos = 1). A test or validation label that training
// never saw is an error naming the first document that has it.
std::vector<int32_t> classes_from_train(const std::vector<std::string>& labels,
                                        const std::vector<DocumentRecord>& records, const std::string& data,
                                        std::vector<std::string>* classes) {
  std::vector<bool> in_train(labels.size(), false);
  for (const DocumentRecord& r : records)
    if (r.split == SplitName::Train && r.label >= 0) {
      in_train[static_cast<size_t>(r.label)] = true;
      for (const int32_t l : r.label_set) in_train[static_cast<size_t>(l)] = true;
    }
  classes->clear();
  for (size_t k = 0; k < labels.size(); ++k)
    if (in_train[k]) classes->push_back(labels[k]);
  std::sort(classes->begin(), classes->end());
  const bool multi_label = !records.empty() && !records.front().label_set.empty();
  if (classes->size() < (multi_label ? 1u : 2u))
    SENTI_FAIL("--data ", data, ": the training documents have ", classes->size(), " class",
               classes->size() == 1 ? " ('" + classes->front() + "')" : std::string("es"),
               "; expected at least two classes to tell apart (class folders, or labels in the file)");
  std::vector<int32_t> final_id(labels.size(), -1);
  for (size_t k = 0; k < labels.size(); ++k) {
    if (!in_train[k]) continue;
    final_id[k] = static_cast<int32_t>(std::lower_bound(classes->begin(), classes->end(), labels[k]) - classes->begin());
  }
  auto check_seen = [&](const DocumentRecord& r, int32_t l) {
    if (final_id[static_cast<size_t>(l)] < 0)
      SENTI_FAIL(r.where, ": label '", labels[static_cast<size_t>(l)],
                 "' never appears in the training data; expected one of the training classes (",
                 join_names(*classes, 20), ")");
  };
  for (const DocumentRecord& r : records) {  // a multi-label set starts with r.label
    if (r.split == SplitName::Unlabeled) continue;
    check_seen(r, r.label);
    for (const int32_t l : r.label_set) check_seen(r, l);
  }
  return final_id;
}

}  // namespace

void check_num_words(int num_words) {
  if (num_words < 4 || num_words > kMaxVocabSize)
    SENTI_FAIL_SETTING("num_words", "must be in 4..", kMaxVocabSize,
                       " (ids 0 pad, 1 start, 2 out-of-vocabulary, 3.. words), got ", num_words);
}

Corpus build_corpus(CorpusSource& source, const VocabularyOptions& opts, double test_split, BuildInfo* info,
                    const BuildProgress& progress) {
  check_num_words(opts.fixed ? opts.fixed->num_words : opts.num_words);
  if (!opts.fixed && opts.include_unlabeled && !opts.word_index.empty())
    SENTI_FAIL("--vocab-from train+unlabeled: not with --word-index, which fixes the vocabulary");
  // Load the word index first: a bad --word-index fails before the slow pass over the data.
  WordIndex wi;
  if (!opts.fixed && !opts.word_index.empty()) wi = load_word_index(opts.word_index);

  text::WordTable table;
  ProvisionalIds provisional;
  std::vector<DocumentRecord> records;
  std::vector<std::string> labels;                  // provisional label -> name
  std::unordered_map<std::string, int32_t> label_of;
  records.reserve(50000);
  text::TokenList tokens;
  uint64_t input_bytes = 0;
  auto consume = [&](const Document& d) {
    text::tokenize(opts.tokenizer, d.text, &tokens);
    input_bytes += d.text.size();
    const uint64_t begin = provisional.size();
    for (size_t t = 0; t < tokens.size(); ++t) provisional.push_back(table.intern(tokens[t]));
    auto intern_label = [&](std::string_view name) {
      auto [it, added] = label_of.try_emplace(std::string(name), static_cast<int32_t>(labels.size()));
      if (added) labels.emplace_back(name);
      return it->second;
    };
    const bool unlabeled = d.split == SplitName::Unlabeled;
    const int32_t label = unlabeled ? -1 : intern_label(d.label);
    std::vector<int32_t> label_set;
    if (source.multi_label() && !unlabeled) {
      label_set.push_back(label);
      if (d.labels)
        for (const std::string& l : *d.labels) label_set.push_back(intern_label(l));
    }
    records.push_back(DocumentRecord{d.split, label, std::move(label_set), d.rating, d.id, d.movie, begin,
                                     provisional.size(), xxh64(d.text.data(), d.text.size()),
                                     std::string(d.where)});
    if (progress) progress(static_cast<int64_t>(records.size()), d.input_fraction);
  };
  read_pipelined(source, consume);
  const std::string data = source.path();
  if (std::all_of(records.begin(), records.end(), [](const DocumentRecord& r) { return r.split == SplitName::Unlabeled; }))
    SENTI_FAIL("--data: no documents were read; expected labeled text");

  // Hold out the test split before anything is counted: its words must not shape the vocabulary.
  if (!source.has_test_part() && test_split > 0) {
    std::vector<int64_t> train_rows;
    for (size_t k = 0; k < records.size(); ++k)
      if (records[k].split == SplitName::Train) train_rows.push_back(static_cast<int64_t>(k));
    std::vector<int64_t> keep, held_out;
    validation_split(static_cast<int64_t>(train_rows.size()), test_split, kTestSplitSeed, &keep, &held_out);
    for (int64_t k : held_out) records[static_cast<size_t>(train_rows[static_cast<size_t>(k)])].split = SplitName::Test;
  }

  Corpus corpus;
  corpus.vocab.num_words = opts.fixed ? opts.fixed->num_words : opts.num_words;
  corpus.movie_ids = source.movie_ids();
  corpus.source = source.kind();
  corpus.multi_label = source.multi_label();
  const std::vector<int32_t> class_of = classes_from_train(labels, records, data, &corpus.classes);
  // The vocabulary's counts: the train split, and with include_unlabeled the unlabeled documents.
  const bool count_unlabeled = !opts.fixed && opts.word_index.empty() && opts.include_unlabeled;
  if (count_unlabeled && std::none_of(records.begin(), records.end(), [](const DocumentRecord& r) {
        return r.split == SplitName::Unlabeled;
      }))
    SENTI_FAIL("--vocab-from train+unlabeled: no unlabeled documents were read; expected "
               "--unlabeled-data PATH (or data with an unlabeled part)");
  std::vector<int64_t> train_count(table.size(), 0);
  for (const DocumentRecord& r : records)
    if (r.split == SplitName::Train || (count_unlabeled && r.split == SplitName::Unlabeled))
      for (uint64_t t = r.begin; t < r.end; ++t) ++train_count[static_cast<size_t>(provisional[t])];
  std::vector<int32_t> id;
  if (opts.fixed) {
    id = ids_from_vocabulary(table, *opts.fixed);
    corpus.vocab = *opts.fixed;
  } else if (!opts.word_index.empty()) {
    id = ids_from_word_index(table, wi, opts.word_index, opts.num_words, &corpus.vocab);
  } else {
    id = ids_from_train(table, train_count, opts.num_words, &corpus.vocab);
    if (count_unlabeled) corpus.vocab.source = "train+unlabeled";
  }

  // Order: train, validation, test; aclImdb within a split pos then neg, within a class by id
  // (its contract order, whatever the storage order); other sources as read.
  std::vector<size_t> order(records.size());
  std::iota(order.begin(), order.end(), 0);
  auto split_rank = [](SplitName s) {
    return s == SplitName::Train ? 0 : s == SplitName::Validation ? 1 : s == SplitName::Test ? 2 : 3;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const DocumentRecord& x = records[a];
    const DocumentRecord& y = records[b];
    if (x.split != y.split) return split_rank(x.split) < split_rank(y.split);
    if (!corpus.movie_ids) return false;
    if (x.label != y.label) return class_of[x.label] > class_of[y.label];
    return x.id < y.id;
  });
  {  // each split's ids reserved exactly: no growth beyond them
    uint64_t tokens[4] = {0, 0, 0, 0};
    for (const DocumentRecord& r : records) tokens[split_rank(r.split)] += r.end - r.begin;
    corpus.train.tokens.reserve(tokens[0]);
    corpus.validation.tokens.reserve(tokens[1]);
    corpus.test.tokens.reserve(tokens[2]);
    corpus.unlabeled.tokens.reserve(tokens[3]);
  }
  uint64_t digest = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const DocumentRecord& r = records[order[k]];
    if (k > 0 && corpus.movie_ids && r.split != SplitName::Unlabeled) {
      const DocumentRecord& prev = records[order[k - 1]];
      if (prev.split == r.split && prev.label == r.label && prev.id == r.id)
        SENTI_FAIL("--data ", data, ": review id ", r.id, " appears twice in one folder (", prev.where,
                   " and ", r.where, "); expected unique <id> per folder");
    }
    Split& s = r.split == SplitName::Train       ? corpus.train
               : r.split == SplitName::Test      ? corpus.test
               : r.split == SplitName::Unlabeled ? corpus.unlabeled
                                                 : corpus.validation;
    const bool unlabeled = r.split == SplitName::Unlabeled;
    if (s.offsets.empty()) s.offsets.push_back(0);
    for (uint64_t t = r.begin; t < r.end; ++t) s.tokens.push_back(id[provisional[t]]);
    s.offsets.push_back(s.tokens.size());
    int32_t label = unlabeled ? -1 : class_of[static_cast<size_t>(r.label)];
    if (corpus.multi_label && !unlabeled) {  // the set, ascending and distinct; the first class as the label
      std::vector<int32_t> set;
      for (const int32_t l : r.label_set) set.push_back(class_of[static_cast<size_t>(l)]);
      std::sort(set.begin(), set.end());
      set.erase(std::unique(set.begin(), set.end()), set.end());
      if (s.label_offsets.empty()) s.label_offsets.push_back(0);
      s.label_sets.insert(s.label_sets.end(), set.begin(), set.end());
      s.label_offsets.push_back(s.label_sets.size());
      label = set.front();
      for (const int32_t c : set) digest = xxh64(&c, sizeof c, digest);
    }
    s.labels.push_back(label);
    s.review_ids.push_back(corpus.movie_ids ? r.id : static_cast<int32_t>(s.labels.size() - 1));
    s.ratings.push_back(r.rating);
    s.movies.push_back(r.movie);
    if (r.movie >= 0) digest = xxh64(&r.movie, sizeof r.movie, digest);
    const uint64_t key[4] = {static_cast<uint64_t>(r.split), static_cast<uint64_t>(label),
                             static_cast<uint64_t>(r.id), r.digest};
    digest = xxh64(key, sizeof(key), digest);
  }
  for (Split* s : {&corpus.train, &corpus.validation, &corpus.test, &corpus.unlabeled}) {
    if (s->offsets.empty()) s->offsets.push_back(0);
    if (corpus.multi_label && s != &corpus.unlabeled && s->label_offsets.empty()) s->label_offsets.push_back(0);
    // Movies only where the input named them (urls files): else empty, as documented.
    if (std::all_of(s->movies.begin(), s->movies.end(), [](int32_t m) { return m < 0; })) s->movies.clear();
  }
  if (info) {
    info->distinct_train_words = static_cast<size_t>(
        std::count_if(train_count.begin(), train_count.end(), [](int64_t c) { return c > 0; }));
    info->input_bytes = input_bytes;
    info->unlabeled_documents = corpus.unlabeled.size();
    info->content_digest = digest;
  }
  return corpus;
}

Corpus build_corpus(const std::string& data_path, const VocabularyOptions& opts, BuildInfo* info,
                    const BuildProgress& progress) {
  DataSpec spec;
  spec.path = data_path;
  const std::unique_ptr<CorpusSource> source = open_corpus_source(spec);
  return build_corpus(*source, opts, spec.test_split, info, progress);
}

}  // namespace senti::data
