// libFuzzer: the token cache reader (host/data/token_cache) on arbitrary files. Before reading,
// the harness rewrites the three checksums of the input (vocabulary hash, payload XXH64, header
// XXH64) and takes the expected key from the header, so that mutations get past them to the
// structural checks behind (random bytes almost never match a checksum). A corrupt cache must be
// reported as a status, never a crash or an exception; an accepted one must be consistent.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "targets.h"
#include "host/data/hash.h"
#include "host/data/token_cache.h"

using senti::fuzz::require;

namespace {

// Header field offsets (host/data/token_cache.cpp, docs/data.md).
constexpr size_t kTokenizerVersion = 12, kNumWords = 16, kVocabKind = 24, kVocabSourceHash = 32,
                 kDataFingerprint = 40, kVocabHash = 48, kVocabWords = 88, kPayloadXxh = 104,
                 kHeaderXxh = 120;

template <typename T>
T get(const std::string& b, size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof v);
  return v;
}
template <typename T>
void put(std::string* b, size_t at, T v) {
  std::memcpy(b->data() + at, &v, sizeof v);
}

size_t padded(size_t n) { return n + (8 - n % 8) % 8; }

// The vocabulary hash of the payload's vocabulary section, when it parses; else `fallback`.
uint64_t vocab_hash(const std::string& b, uint64_t fallback) {
  const size_t header = senti::data::kCacheHeaderBytes;
  const uint64_t words = get<uint64_t>(b, kVocabWords);
  const size_t payload = b.size() - header;
  if (words > payload / 4) return fallback;
  size_t at = header + padded(words * 4);
  if (at + 8 > b.size()) return fallback;
  const uint64_t word_bytes = get<uint64_t>(b, at);
  const size_t words_at = at + 8;
  if (word_bytes > b.size() - words_at) return fallback;
  at = words_at + padded(word_bytes);
  if (at + 8 > b.size()) return fallback;
  const uint64_t source_size = get<uint64_t>(b, at);
  if (source_size > b.size() - at - 8) return fallback;
  senti::data::Vocabulary v;
  v.num_words = get<int32_t>(b, kNumWords);
  v.source.assign(b.data() + at + 8, source_size);
  uint64_t used = 0;
  for (uint64_t k = 0; k < words; ++k) {
    const uint32_t len = get<uint32_t>(b, header + 4 * k);
    if (len > word_bytes - used) return fallback;
    v.words.emplace_back(b.data() + words_at + used, len);
    used += len;
  }
  return v.hash();
}

}  // namespace

namespace senti::fuzz {

int token_cache(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  senti::data::CacheKey key;
  if (bytes.size() >= senti::data::kCacheHeaderBytes) {
    put(&bytes, kVocabHash, vocab_hash(bytes, get<uint64_t>(bytes, kVocabHash)));
    const size_t header = senti::data::kCacheHeaderBytes;
    put(&bytes, kPayloadXxh, senti::data::xxh64(bytes.data() + header, bytes.size() - header));
    put(&bytes, kHeaderXxh, senti::data::xxh64(bytes.data(), kHeaderXxh));
    key.tokenizer_version = get<uint32_t>(bytes, kTokenizerVersion);
    key.num_words = get<int32_t>(bytes, kNumWords);
    key.vocab_kind = static_cast<senti::data::VocabKind>(get<uint32_t>(bytes, kVocabKind));
    key.vocab_source_hash = get<uint64_t>(bytes, kVocabSourceHash);
    key.data_fingerprint = get<uint64_t>(bytes, kDataFingerprint);
  }
  const senti::fuzz::MemFile file(bytes.data(), bytes.size());
  senti::data::Corpus corpus;
  std::string why;
  const auto status = senti::data::read_token_cache(file.path(), key, &corpus, &why);
  if (status != senti::data::CacheStatus::Ok) {
    require(!why.empty());
    return 0;
  }
  for (const senti::data::Split* s : {&corpus.train, &corpus.test}) {
    require(s->offsets.size() == s->labels.size() + 1 && s->ratings.size() == s->labels.size());
    require(s->offsets.back() == s->tokens.size());
    for (const int32_t t : s->tokens) require(t >= senti::data::kOovId && t < key.num_words);
  }
  return 0;
}

}  // namespace senti::fuzz
