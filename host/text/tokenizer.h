#pragma once
// The review tokenizer. Rules (also in docs/data.md; any change bumps kTokenizerVersion, which is
// stored in token caches and checkpoints so stale ids are never reused):
//  1. Input is UTF-8. A byte that does not start a valid, shortest-form UTF-8 sequence (stray
//     continuation byte, truncated or overlong sequence, surrogate, > U+10FFFF) counts as one
//     separator byte: it splits words and is otherwise dropped. Deterministic, never throws.
//  2. HTML line breaks `<br />`, `<br/>`, `<br>` (any case, spaces before the slash) are separators,
//     so the IMDB markup never becomes a word "br".
//  3. Word characters: ASCII letters and digits, and every code point >= U+00C0 except the
//     separators below. Letters are lowercased: ASCII, Latin-1, Latin Extended-A, basic Greek and
//     basic Cyrillic (other scripts are kept as they are).
//  4. Apostrophes: ' ` U+2018 U+2019 U+00B4 and the cp1252 leftovers U+0091 U+0092 are all written
//     as ' and kept only *inside* a word ("don't", "tom's", "rock'n'roll"); leading or trailing
//     ones are quotes and are dropped ("'girlfriend'" -> girlfriend); two in a row end the word.
//  5. Everything else is a separator: ASCII punctuation, symbols and whitespace (so "well-made" ->
//     well made, "10/10" -> 10 10), U+0080..U+00BF (C1 controls, nbsp, Latin-1 punctuation),
//     U+00D7, U+00F7, General Punctuation U+2000..U+206F (dashes, quotes, ellipsis, spaces),
//     U+3000, U+FEFF and U+FFFD.
// Tokens are the maximal runs of word characters (with inner apostrophes).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace senti::text {

constexpr uint32_t kTokenizerVersion = 1;

// The tokens of one text, stored without per-token allocation: all tokens concatenated in `text`,
// token i is text[ends[i-1] .. ends[i]). Reuse one TokenList across calls so its buffers are
// allocated once.
struct TokenList {
  std::string text;
  std::vector<uint32_t> ends;
  // With keep_spans (off by default: the data pipeline does not need them), token i came from
  // raw[spans[i].first .. spans[i].second): its first to its last word character in the input,
  // inner apostrophes included (for highlighting words in the original text).
  bool keep_spans = false;
  std::vector<std::pair<uint32_t, uint32_t>> spans;
  size_t size() const { return ends.size(); }
  std::string_view operator[](size_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(text.data() + begin, ends[i] - begin);
  }
};

// Tokenizes `raw` into *out (cleared first). Inputs up to 4 GiB (offsets are 32-bit).
void tokenize(std::string_view raw, TokenList* out);

// Convenience for tests and tools: the tokens as strings (allocates).
std::vector<std::string> tokenize_to_strings(std::string_view raw);

}  // namespace senti::text
