#pragma once
// The binary token cache: a whole Corpus in one file so training starts without re-reading the
// data. Format (little-endian; full description in docs/data.md):
//   header (kCacheHeaderBytes): magic "SENTITOK", format version, tokenizer version, num_words, id
//     width (2 when every id fits 16 bits, else 4), vocabulary kind + source hash, data
//     fingerprint, vocabulary hash, counts, payload size, XXH64 of the payload, XXH64 of the header
//   payload: vocabulary words, vocabulary source string, class names, the data source kind, the
//     validation and unlabeled splits' counts, then per split (train, validation, test, unlabeled)
//     labels (int32; -1 for unlabeled), ratings, review ids, offsets, tokens; the label sets
//     (multi-label); per split the movies (count, then int32 each; count 0: no urls files); every
//     section starts 8-byte aligned.
// The key (num_words, tokenizer kind, version and ICU version, vocabulary source, data fingerprint) decides whether a
// cache may be used for a request; any mismatch, truncation or checksum error makes it unusable.
#include <cstdint>
#include <string>

#include "host/data/dataset.h"
#include "host/text/tokenizers.h"

namespace senti::data {

constexpr uint32_t kCacheFormatVersion = 3;  // 2: classes, int32 labels, validation split;
                                             // 3: unlabeled split, movies
constexpr size_t kCacheHeaderBytes = 128;

// TrainPlusUnlabeled: VocabularyOptions::include_unlabeled; Fixed: VocabularyOptions::fixed
// (vocab_source_hash is then that vocabulary's hash()).
enum class VocabKind : uint32_t { TrainSplit = 0, KerasWordIndex = 1, TrainPlusUnlabeled = 2, Fixed = 3 };

struct CacheKey {
  int32_t num_words = 10000;
  uint32_t tokenizer_version = 0;
  text::TokenizerKind tokenizer = text::TokenizerKind::V1;
  std::string tokenizer_data;      // text::tokenizer_data_version: the ICU version for unicode
  // 0 for v1 (so v1 keys and headers are those of caches written before the choice existed); else
  // a hash of the tokenizer's name and tokenizer_data, stored in the header and hashed into the key.
  uint64_t tokenizer_id() const;
  VocabKind vocab_kind = VocabKind::TrainSplit;
  uint64_t vocab_source_hash = 0;  // XXH64 of the word-index file; 0 for the train split
  uint64_t data_fingerprint = 0;   // data_fingerprint() of the input
  uint64_t hash() const;
};

// "tokens-<16 hex digits of key.hash()>.bin": one file per key, so several settings coexist.
std::string cache_file_name(const CacheKey& key);

// Writes atomically: a temporary file in the same folder, then rename; on any failure the
// temporary is removed and UsageError names the folder and the reason.
void write_token_cache(const std::string& path, const CacheKey& key, const Corpus& corpus);

enum class CacheStatus { Ok, Missing, Stale, Corrupt };
const char* cache_status_name(CacheStatus s);

// Reads and fully verifies a cache. Ok fills *corpus; otherwise *why says what was wrong (Stale: a
// valid cache for other settings or data; Corrupt: truncated, bad checksum or inconsistent).
CacheStatus read_token_cache(const std::string& path, const CacheKey& expected, Corpus* corpus,
                             std::string* why);

}  // namespace senti::data
