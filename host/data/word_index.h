#pragma once
// The Keras IMDB word index (imdb_word_index.json: {"the": 1, "and": 2, ...}, word -> frequency
// rank from 1). With it, word ids are Keras-compatible: id = rank + 3 (index_from=3), so id 3 is
// never used, as in keras.datasets.imdb.
#include <cstdint>
#include <string>
#include <vector>

#include "host/text/word_table.h"

namespace senti::data {

struct WordIndex {
  text::WordTable words;       // table index i holds the word of ranks[i]
  std::vector<int32_t> ranks;  // by table index, >= 1
  int32_t max_rank = 0;
  uint64_t content_hash = 0;   // XXH64 of the file bytes: part of the cache key
};

// Loads and validates the JSON file; UsageError naming --word-index FILE when it cannot be read or
// is not an object of word -> positive integer rank (ranks must be unique).
WordIndex load_word_index(const std::string& path);

// XXH64 of the file's bytes (the cache key part), without parsing; UsageError when unreadable.
uint64_t word_index_content_hash(const std::string& path);

}  // namespace senti::data
