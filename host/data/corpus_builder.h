#pragma once
// Builds the Corpus (vocabulary + both splits as word ids) from the raw aclImdb data in one pass:
// every review is tokenized once into provisional word indices, train-split frequencies are
// counted, then the final ids are assigned (Keras scheme, capped to num_words) and the reviews put
// in the contract order (pos by id, then neg by id) - so the result does not depend on the order
// the files were stored in.
#include <cstdint>
#include <functional>
#include <string>

#include "host/data/dataset.h"

namespace senti::data {

struct VocabularyOptions {
  int num_words = 10000;       // keep ids < num_words (>= 4)
  std::string word_index;      // Keras word index JSON; empty: build from the train split
};

struct BuildInfo {
  size_t distinct_train_words = 0;  // before the num_words cap
  uint64_t input_bytes = 0;         // review bytes read
  uint64_t content_digest = 0;      // XXH64-chained over every review's name and bytes, sorted
};

// Called on the building thread after each review: reviews tokenized so far, and how much of the
// input was read (ReviewFile::input_fraction).
using BuildProgress = std::function<void(int64_t reviews, double input_fraction)>;

// Throws UsageError (naming the data path, file or flag) on bad input.
Corpus build_corpus(const std::string& data_path, const VocabularyOptions& opts, BuildInfo* info,
                    const BuildProgress& progress = nullptr);

// The one owner of the vocabulary-size rule: InvalidSetting "num_words" unless 4 <= num_words <=
// kMaxVocabSize (engine/params.h; it becomes the embedding's V).
void check_num_words(int num_words);

}  // namespace senti::data
