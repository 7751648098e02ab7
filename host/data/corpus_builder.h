#pragma once
// Builds the Corpus (vocabulary, classes and the splits as word ids) from a CorpusSource in one
// pass: every document is tokenized once into provisional word indices; then the classes are fixed
// (the sorted label names of the training documents, as Keras orders class folders), a test split
// is held out when the source has none, train-split frequencies are counted, the final ids are
// assigned (Keras scheme, capped to num_words), and the documents put in order: aclImdb in its
// contract order (pos by id, then neg by id, whatever the storage order), other sources in the
// order they were read.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "host/data/corpus_source.h"
#include "host/data/dataset.h"
#include "host/text/tokenizers.h"

namespace senti::data {

struct VocabularyOptions {
  int num_words = 10000;       // keep ids < num_words (>= 4)
  std::string word_index;      // Keras word index JSON; empty: build from the train split
  text::TokenizerKind tokenizer = text::TokenizerKind::V1;  // --tokenizer
  // --vocab-from train+unlabeled: word frequencies counted over the train split and the unlabeled
  // documents together (Vocabulary::source "train+unlabeled"); needs unlabeled documents and no
  // word_index.
  bool include_unlabeled = false;
  // When set, every document is encoded with this vocabulary (a pretrained checkpoint's) instead of
  // building one: corpus.vocab = *fixed, num_words = fixed->num_words; word_index and
  // include_unlabeled are then not used.
  std::shared_ptr<const Vocabulary> fixed;
};

struct BuildInfo {
  size_t distinct_train_words = 0;  // before the num_words cap (train + unlabeled with include_unlabeled)
  size_t unlabeled_documents = 0;   // Corpus::unlabeled.size()
  uint64_t input_bytes = 0;         // review bytes read
  uint64_t content_digest = 0;      // XXH64-chained over every review's name and bytes, sorted
};

// Called on the building thread after each review: reviews tokenized so far, and how much of the
// input was read (ReviewFile::input_fraction).
using BuildProgress = std::function<void(int64_t reviews, double input_fraction)>;

// Throws UsageError (naming the data path, file and line, or flag) on bad input: on top of what
// the source checks, fewer than two classes, and a test or validation label that training never saw.
// test_split: the share held out as the test split (seeded, fixed) when the source has no test part.
Corpus build_corpus(CorpusSource& source, const VocabularyOptions& opts, double test_split, BuildInfo* info,
                    const BuildProgress& progress = nullptr);

// The same for `data_path` read with --format auto and the default settings (aclImdb: its splits).
Corpus build_corpus(const std::string& data_path, const VocabularyOptions& opts, BuildInfo* info,
                    const BuildProgress& progress = nullptr);

// The seed of the held-out test split (DataSpec::test_split): fixed, so that the test split of a
// file never changes with --seed (which moves only the training run).
constexpr uint64_t kTestSplitSeed = 20140825;

// The one owner of the vocabulary-size rule: InvalidSetting "num_words" unless 4 <= num_words <=
// kMaxVocabSize (engine/params.h; it becomes the embedding's V).
void check_num_words(int num_words);

}  // namespace senti::data
