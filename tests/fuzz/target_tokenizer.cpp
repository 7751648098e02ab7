// libFuzzer: the tokenizer and the encoder (host/text) on arbitrary bytes. Checks the rules'
// consequences: tokens are non-empty, tokenizing is a fixed point (the tokens joined by spaces
// tokenize to themselves), and encoded ids stay inside the vocabulary.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "targets.h"
#include "host/data/dataset.h"
#include "host/text/encoder.h"
#include "host/text/tokenizer.h"

using senti::fuzz::require;

namespace senti::fuzz {

int tokenizer(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  senti::text::TokenList tokens;
  senti::text::tokenize(raw, &tokens);
  std::string joined;
  for (size_t i = 0; i < tokens.size(); ++i) {
    require(!tokens[i].empty());
    joined += tokens[i];
    joined += ' ';
  }
  senti::text::TokenList again;
  senti::text::tokenize(joined, &again);
  require(again.text == tokens.text && again.ends == tokens.ends);

  static const senti::text::Encoder encoder([] {
    senti::data::Vocabulary v;
    v.num_words = 12;
    v.words = {"the", "a", "film", "good", "bad", "don't", "très", "ελα", "фильм"};
    return v;
  }());
  std::vector<int32_t> ids;
  encoder.encode(raw, &ids);
  require(ids.size() == tokens.size());
  for (const int32_t id : ids) require(id >= senti::data::kOovId && id < encoder.num_words());
  return 0;
}

}  // namespace senti::fuzz
