#pragma once
// Encoder: raw text -> word ids with exactly the tokenizer and vocabulary the training data went
// through (used by `senti predict` / `serve`). No start token, no padding; ids < num_words, words
// outside the vocabulary -> 2 (out-of-vocabulary).
#include <cstdint>
#include <string_view>
#include <vector>

#include "host/data/dataset.h"
#include "host/text/tokenizers.h"
#include "host/text/word_table.h"

namespace senti::text {

class Encoder {
 public:
  // `tokenizer`: the one the vocabulary was built with (the checkpoint's).
  explicit Encoder(const data::Vocabulary& vocab, TokenizerKind tokenizer = TokenizerKind::V1);
  // Replaces *ids with the ids of `text`'s tokens. Not thread-safe (reuses a token buffer); use
  // one Encoder per thread.
  void encode(std::string_view text, std::vector<int32_t>* ids) const;
  // The same, and each token's bytes in `text` (TokenList::spans), for explanations.
  void encode(std::string_view text, std::vector<int32_t>* ids,
              std::vector<std::pair<uint32_t, uint32_t>>* spans) const;
  int num_words() const { return num_words_; }

 private:
  int num_words_;
  TokenizerKind tokenizer_;
  WordTable table_;
  std::vector<int32_t> id_of_;  // by table index
  mutable TokenList tokens_;
};

}  // namespace senti::text
