#include "host/text/encoder.h"

#include "kernels/common/error.h"

namespace senti::text {

Encoder::Encoder(const data::Vocabulary& vocab, TokenizerKind tokenizer)
    : num_words_(vocab.num_words), tokenizer_(tokenizer) {
  SENTI_CHECK(vocab.num_words >= 4, "Encoder: num_words must be >= 4, got ", vocab.num_words);
  for (size_t k = 0; k < vocab.words.size(); ++k) {
    const int64_t id = static_cast<int64_t>(k) + data::kFirstWordId;
    if (id >= num_words_) break;
    if (vocab.words[k].empty()) continue;  // Keras's unused id 3 / gaps in a word index
    const int32_t t = table_.intern(vocab.words[k]);
    if (static_cast<size_t>(t) == id_of_.size()) id_of_.push_back(static_cast<int32_t>(id));
  }
}

void Encoder::encode(std::string_view text, std::vector<int32_t>* ids) const {
  tokenize(tokenizer_, text, &tokens_);
  ids->resize(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const int32_t t = table_.find(tokens_[i]);
    (*ids)[i] = t < 0 ? data::kOovId : id_of_[t];
  }
}

}  // namespace senti::text

namespace senti::text {

void Encoder::encode(std::string_view text, std::vector<int32_t>* ids,
                     std::vector<std::pair<uint32_t, uint32_t>>* spans) const {
  tokens_.keep_spans = true;
  encode(text, ids);
  tokens_.keep_spans = false;
  *spans = tokens_.spans;
}

}  // namespace senti::text
