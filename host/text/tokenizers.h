#pragma once
// The choice of review tokenizer (--tokenizer): v1 (host/text/tokenizer.h, the default: IMDB and
// Keras ids, every cache and checkpoint made before the choice existed) or unicode
// (host/text/unicode_tokenizer.h: ICU word boundaries and NFKC_Casefold, for any script). Token
// caches and checkpoints record the kind, its version and, for unicode, the ICU version, and a
// model is only ever fed text cut by the tokenizer it was trained with.
#include <cstdint>
#include <string>
#include <string_view>

#include "host/text/tokenizer.h"

namespace senti::text {

enum class TokenizerKind { V1, Unicode };

constexpr const char* kTokenizerChoices = "v1 or unicode";

// "v1" / "unicode": the name used by --tokenizer and in cache keys and checkpoint metadata.
const char* tokenizer_name(TokenizerKind kind);
// false (and *kind untouched) for any other name.
bool parse_tokenizer(std::string_view name, TokenizerKind* kind);
// kTokenizerVersion / kUnicodeTokenizerVersion.
uint32_t tokenizer_version(TokenizerKind kind);
// What beside the version decides the tokens: "" for v1, unicode_tokenizer_icu_version() for
// unicode.
std::string tokenizer_data_version(TokenizerKind kind);

// Empty when this build reproduces the tokens of `kind` at `version` with `data_version` (the ICU
// version string for unicode); otherwise why not (for an error message).
std::string tokenizer_mismatch(TokenizerKind kind, int64_t version, const std::string& data_version);

// Tokenizes `raw` into *out (cleared first) with the chosen tokenizer.
void tokenize(TokenizerKind kind, std::string_view raw, TokenList* out);

}  // namespace senti::text
