#include "host/text/tokenizers.h"

#include "host/text/unicode_tokenizer.h"

namespace senti::text {

const char* tokenizer_name(TokenizerKind kind) {
  return kind == TokenizerKind::Unicode ? "unicode" : "v1";
}

bool parse_tokenizer(std::string_view name, TokenizerKind* kind) {
  if (name == "v1") {
    *kind = TokenizerKind::V1;
    return true;
  }
  if (name == "unicode") {
    *kind = TokenizerKind::Unicode;
    return true;
  }
  return false;
}

uint32_t tokenizer_version(TokenizerKind kind) {
  return kind == TokenizerKind::Unicode ? kUnicodeTokenizerVersion : kTokenizerVersion;
}

std::string tokenizer_data_version(TokenizerKind kind) {
  return kind == TokenizerKind::Unicode ? unicode_tokenizer_icu_version() : std::string();
}

std::string tokenizer_mismatch(TokenizerKind kind, int64_t version, const std::string& data_version) {
  const std::string name = tokenizer_name(kind);
  if (version != static_cast<int64_t>(tokenizer_version(kind)))
    return "the " + name + " tokenizer version " + std::to_string(version) + " but this senti has " + name +
           " tokenizer version " + std::to_string(tokenizer_version(kind));
  const std::string have = tokenizer_data_version(kind);
  if (data_version != have)
    return "the " + name + " tokenizer on " + (data_version.empty() ? "(unrecorded ICU)" : data_version) +
           " but this senti's " + name + " tokenizer runs on " + (have.empty() ? "(none)" : have) +
           " (ICU data decides the tokens)";
  return std::string();
}

void tokenize(TokenizerKind kind, std::string_view raw, TokenList* out) {
  if (kind == TokenizerKind::Unicode)
    tokenize_unicode(raw, out);
  else
    tokenize(raw, out);
}

}  // namespace senti::text
