#include "host/data/token_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>

#include "engine/atomic_file.h"
#include "kernels/common/error.h"
#include "host/data/hash.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the token cache format is little-endian");

namespace senti::data {
namespace {

constexpr char kMagic[8] = {'S', 'E', 'N', 'T', 'I', 'T', 'O', 'K'};

struct Header {  // exactly kCacheHeaderBytes, written as is (little-endian host)
  char magic[8];
  uint32_t format_version;
  uint32_t tokenizer_version;
  int32_t num_words;
  uint32_t id_width;  // bytes per stored id: 2 or 4
  uint32_t vocab_kind;
  uint32_t flags;     // bit 0: Corpus::movie_ids; bit 1: Corpus::multi_label (label sets follow)
  uint64_t vocab_source_hash;
  uint64_t data_fingerprint;
  uint64_t vocab_hash;
  uint64_t n_train, n_test;
  uint64_t train_tokens, test_tokens;
  uint64_t vocab_words;
  uint64_t payload_bytes;
  uint64_t payload_xxh64;
  uint64_t tokenizer_id;  // CacheKey::tokenizer_id(): 0 for v1 (was reserved, always 0)
  uint64_t header_xxh64;  // of the 120 bytes before it
};
static_assert(sizeof(Header) == kCacheHeaderBytes, "cache header must be 128 bytes");

// The payload, streamed: each section (zero-padded to 8 bytes) goes through a 1 MiB buffer to
// `sink` and into a running XXH64, so writing a cache holds no copy of it (a corpus of a billion
// tokens would need gigabytes more).
class PayloadWriter {
 public:
  explicit PayloadWriter(std::function<void(const char*, size_t)> sink)
      : sink_(std::move(sink)), hash_(XXH64_createState()) {
    SENTI_CHECK(hash_ != nullptr, "out of memory hashing the token cache");
    XXH64_reset(hash_, 0);
    buf_.reserve(kBufferBytes);
  }
  ~PayloadWriter() { XXH64_freeState(hash_); }
  PayloadWriter(const PayloadWriter&) = delete;
  PayloadWriter& operator=(const PayloadWriter&) = delete;

  void append(const void* p, size_t n) {
    put(static_cast<const char*>(p), n);
    static const char zeros[8] = {};
    put(zeros, (8 - bytes_ % 8) % 8);
  }
  // Flushes the buffer; the payload's size and XXH64.
  uint64_t finish(uint64_t* xxh) {
    flush();
    *xxh = XXH64_digest(hash_);
    return bytes_;
  }

 private:
  static constexpr size_t kBufferBytes = size_t{1} << 20;
  void put(const char* p, size_t n) {
    bytes_ += n;
    while (n > 0) {
      const size_t take = std::min(n, kBufferBytes - buf_.size());
      buf_.append(p, take);
      p += take;
      n -= take;
      if (buf_.size() == kBufferBytes) flush();
    }
  }
  void flush() {
    if (buf_.empty()) return;
    XXH64_update(hash_, buf_.data(), buf_.size());
    sink_(buf_.data(), buf_.size());
    buf_.clear();
  }
  std::function<void(const char*, size_t)> sink_;
  XXH64_state_t* hash_;
  std::string buf_;
  uint64_t bytes_ = 0;
};

class PayloadReader {
 public:
  PayloadReader(const char* p, size_t n) : p_(p), n_(n) {}
  // Returns a pointer to the next n bytes (then skips the alignment padding), or null past the end.
  const char* take(size_t n) {
    const size_t padded = n + (8 - n % 8) % 8;
    if (padded < n || padded > n_ - pos_) return nullptr;
    const char* at = p_ + pos_;
    pos_ += padded;
    return at;
  }
  bool at_end() const { return pos_ == n_; }

 private:
  const char* p_;
  size_t n_;
  size_t pos_ = 0;
};

// A list of strings: count, lengths, then the bytes.
void write_strings(PayloadWriter* w, const std::vector<std::string>& strings) {
  const uint64_t count = strings.size();
  w->append(&count, 8);
  std::vector<uint32_t> lengths;
  std::string bytes;
  for (const std::string& x : strings) {
    lengths.push_back(static_cast<uint32_t>(x.size()));
    bytes += x;
  }
  w->append(lengths.data(), lengths.size() * 4);
  const uint64_t size = bytes.size();
  w->append(&size, 8);
  w->append(bytes.data(), bytes.size());
}

bool read_strings(PayloadReader* r, size_t payload_bytes, std::vector<std::string>* out) {
  const char* count_at = r->take(8);
  uint64_t count = 0, size = 0;
  if (!count_at) return false;
  std::memcpy(&count, count_at, 8);
  const char* lengths = count < payload_bytes ? r->take(count * 4) : nullptr;
  const char* size_at = lengths ? r->take(8) : nullptr;
  if (!size_at) return false;
  std::memcpy(&size, size_at, 8);
  const char* bytes = size <= payload_bytes ? r->take(size) : nullptr;
  if (!bytes) return false;
  out->assign(count, std::string());
  uint64_t at = 0;
  for (uint64_t k = 0; k < count; ++k) {
    uint32_t len;
    std::memcpy(&len, lengths + 4 * k, 4);
    if (len > size - at) return false;
    (*out)[k].assign(bytes + at, len);
    at += len;
  }
  return true;
}

void write_split(PayloadWriter* w, const Split& s, uint32_t id_width) {
  w->append(s.labels.data(), s.labels.size() * 4);
  w->append(s.ratings.data(), s.ratings.size());
  w->append(s.review_ids.data(), s.review_ids.size() * 4);
  const uint64_t no_documents[1] = {0};  // an empty split may come without its leading 0
  if (s.offsets.empty()) w->append(no_documents, 8);
  else w->append(s.offsets.data(), s.offsets.size() * 8);
  // The ids in chunks, never a whole narrowed copy: a chunk's bytes are a multiple of 8, so the
  // chunks add no padding between them and the section is what one append would write.
  constexpr size_t kChunk = size_t{1} << 18;
  std::vector<int32_t> scratch;
  std::vector<uint16_t> narrow;
  const size_t n = s.tokens.size();
  for (size_t at = 0; at < n; at += kChunk) {
    const size_t count = std::min(kChunk, n - at);
    const int32_t* ids = s.tokens.ids(at, count, &scratch);
    if (id_width == 4) {
      w->append(ids, count * 4);
    } else {
      narrow.assign(ids, ids + count);
      w->append(narrow.data(), count * 2);
    }
  }
}

// Reads one split; false (with *why) on any inconsistency.
// The split's ids stay in the mapped file (`mapping` keeps it alive): a view, not a copy.
bool read_split(PayloadReader* r, uint64_t n, uint64_t tokens, uint32_t id_width, int32_t num_words,
                size_t num_classes, const std::shared_ptr<const void>& mapping, Split* s,
                std::string* why, bool unlabeled = false) {
  const char* labels = r->take(n * 4);
  const char* ratings = labels ? r->take(n) : nullptr;
  const char* ids = ratings ? r->take(n * 4) : nullptr;
  const char* offsets = ids ? r->take((n + 1) * 8) : nullptr;
  const char* toks = offsets ? r->take(tokens * id_width) : nullptr;
  if (!toks) {
    *why = "payload shorter than its counts";
    return false;
  }
  s->labels.resize(n);
  if (n > 0) std::memcpy(s->labels.data(), labels, n * 4);
  s->ratings.assign(ratings, ratings + n);
  s->review_ids.resize(n);
  if (n > 0) std::memcpy(s->review_ids.data(), ids, n * 4);  // memcpy(null, ., 0) is UB
  s->offsets.resize(n + 1);
  std::memcpy(s->offsets.data(), offsets, (n + 1) * 8);
  s->tokens = IdColumn::view(mapping, toks, tokens, static_cast<int>(id_width));
  // Structural checks: the checksum guards against corruption, these against a writer bug.
  if (s->offsets[0] != 0 || s->offsets[n] != tokens) {
    *why = "offsets do not span the tokens";
    return false;
  }
  for (uint64_t i = 0; i < n; ++i) {
    const bool label_ok = unlabeled ? s->labels[i] == -1
                                    : s->labels[i] >= 0 && static_cast<size_t>(s->labels[i]) < num_classes;
    if (s->offsets[i] > s->offsets[i + 1] || !label_ok) {
      *why = "inconsistent offsets or labels";
      return false;
    }
  }
  // One pass over the ids in their stored width (the checksum pass already read these pages).
  bool ids_ok = true;
  if (id_width == 2) {
    const auto* narrow = reinterpret_cast<const uint16_t*>(toks);
    for (uint64_t t = 0; t < tokens; ++t) ids_ok &= narrow[t] >= kOovId && narrow[t] < num_words;
  } else {
    const auto* wide = reinterpret_cast<const int32_t*>(toks);
    for (uint64_t t = 0; t < tokens; ++t) ids_ok &= wide[t] >= kOovId && wide[t] < num_words;
  }
  if (!ids_ok) {
    *why = "a word id outside [2, num_words)";
    return false;
  }
  return true;
}

// Multi-label corpora: each split's label sets after the three splits (flags bit 1).
void write_label_sets(PayloadWriter* w, const Split& s) {
  const uint64_t no_documents[1] = {0};
  if (s.label_offsets.empty()) w->append(no_documents, 8);
  else w->append(s.label_offsets.data(), s.label_offsets.size() * 8);
  w->append(s.label_sets.data(), s.label_sets.size() * 4);
}

bool read_label_sets(PayloadReader* r, size_t num_classes, size_t payload_bytes, Split* s, std::string* why) {
  const uint64_t n = s->size();
  const char* offsets = r->take((n + 1) * 8);
  if (!offsets) return (*why = "label sets truncated", false);
  s->label_offsets.resize(n + 1);
  std::memcpy(s->label_offsets.data(), offsets, (n + 1) * 8);
  const uint64_t count = s->label_offsets[n];
  const char* sets = s->label_offsets[0] == 0 && count <= payload_bytes ? r->take(count * 4) : nullptr;
  if (!sets) return (*why = "label sets inconsistent with their offsets", false);
  s->label_sets.resize(count);
  if (count > 0) std::memcpy(s->label_sets.data(), sets, count * 4);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t a = s->label_offsets[i], b = s->label_offsets[i + 1];
    if (b <= a || b > count) return (*why = "a document without labels or offsets out of order", false);
    for (uint64_t k = a; k < b; ++k)
      if (s->label_sets[k] < 0 || static_cast<size_t>(s->label_sets[k]) >= num_classes ||
          (k > a && s->label_sets[k] <= s->label_sets[k - 1]))
        return (*why = "a label set not ascending within the classes", false);
    if (s->labels[i] != s->label_sets[a]) return (*why = "a document's label is not its first class", false);
  }
  return true;
}

// Each split's movies: the count (0 or the split's size), then the title numbers.
void write_movies(PayloadWriter* w, const Split& s) {
  const uint64_t count = s.movies.size();
  w->append(&count, 8);
  w->append(s.movies.data(), s.movies.size() * 4);
}

bool read_movies(PayloadReader* r, Split* s, std::string* why) {
  const char* count_at = r->take(8);
  uint64_t count = 0;
  if (count_at) std::memcpy(&count, count_at, 8);
  const char* data = count_at && (count == 0 || count == s->size()) ? r->take(count * 4) : nullptr;
  if (!data) return (*why = "movies section truncated or not one a document", false);
  s->movies.resize(count);
  if (count > 0) std::memcpy(s->movies.data(), data, count * 4);
  return true;
}

}  // namespace

uint64_t CacheKey::tokenizer_id() const {
  if (tokenizer == text::TokenizerKind::V1) return 0;
  const std::string id = std::string(text::tokenizer_name(tokenizer)) + '\n' + tokenizer_data;
  const uint64_t h = xxh64(id.data(), id.size());
  return h ? h : 1;
}

uint64_t CacheKey::hash() const {
  uint64_t h = fnv1a64_value<uint32_t>(kCacheFormatVersion, kFnvOffset);
  h = fnv1a64_value<uint32_t>(static_cast<uint32_t>(num_words), h);
  h = fnv1a64_value<uint32_t>(tokenizer_version, h);
  if (const uint64_t id = tokenizer_id()) h = fnv1a64_value<uint64_t>(id, h);
  h = fnv1a64_value<uint32_t>(static_cast<uint32_t>(vocab_kind), h);
  h = fnv1a64_value<uint64_t>(vocab_source_hash, h);
  return fnv1a64_value<uint64_t>(data_fingerprint, h);
}

std::string cache_file_name(const CacheKey& key) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(key.hash()));
  return std::string("tokens-") + hex + ".bin";
}

const char* cache_status_name(CacheStatus s) {
  switch (s) {
    case CacheStatus::Ok: return "ok";
    case CacheStatus::Missing: return "missing";
    case CacheStatus::Stale: return "stale";
    case CacheStatus::Corrupt: return "corrupt";
  }
  return "?";
}

void write_token_cache(const std::string& path, const CacheKey& key, const Corpus& corpus) {
  int32_t max_id = 0;
  for (const Split* s : {&corpus.train, &corpus.validation, &corpus.test, &corpus.unlabeled})
    for (int32_t t : s->tokens) max_id = std::max(max_id, t);
  const uint32_t id_width = max_id <= 0xFFFF ? 2 : 4;

  // The file is written as it is made: a zeroed header, the payload streamed (PayloadWriter), then
  // the header with the payload's size and checksum written over the zeros.
  const std::string tmp = temp_path_for(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    SENTI_FAIL("cache folder ", std::filesystem::path(path).parent_path().string(),
               ": cannot create a file there (", std::strerror(errno), "); expected a writable folder");
  auto fail = [&](const char* what) {
    const int err = errno;
    SENTI_FAIL("cache file ", path, ": ", what, " (", std::strerror(err), ")");
  };
  auto write_all = [&](const char* p, size_t n) {
    while (n > 0) {
      const ssize_t r = ::write(fd, p, n);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) fail("write failed");
      p += r;
      n -= static_cast<size_t>(r);
    }
  };
  Header h{};
  try {
    write_all(reinterpret_cast<const char*>(&h), sizeof(h));
    PayloadWriter w(write_all);
    std::vector<uint32_t> lengths;
    std::string word_bytes;
    for (const std::string& word : corpus.vocab.words) {
      lengths.push_back(static_cast<uint32_t>(word.size()));
      word_bytes += word;
    }
    w.append(lengths.data(), lengths.size() * 4);
    const uint64_t word_bytes_size = word_bytes.size();
    w.append(&word_bytes_size, 8);
    w.append(word_bytes.data(), word_bytes.size());
    const uint64_t source_size = corpus.vocab.source.size();
    w.append(&source_size, 8);
    w.append(corpus.vocab.source.data(), corpus.vocab.source.size());
    write_strings(&w, corpus.classes);
    write_strings(&w, {corpus.source});
    const uint64_t validation_counts[2] = {corpus.validation.size(), corpus.validation.tokens.size()};
    w.append(validation_counts, sizeof(validation_counts));
    const uint64_t unlabeled_counts[2] = {corpus.unlabeled.size(), corpus.unlabeled.tokens.size()};
    w.append(unlabeled_counts, sizeof(unlabeled_counts));
    write_split(&w, corpus.train, id_width);
    write_split(&w, corpus.validation, id_width);
    write_split(&w, corpus.test, id_width);
    write_split(&w, corpus.unlabeled, id_width);
    if (corpus.multi_label)
      for (const Split* s : {&corpus.train, &corpus.validation, &corpus.test}) write_label_sets(&w, *s);
    for (const Split* s : {&corpus.train, &corpus.validation, &corpus.test, &corpus.unlabeled}) write_movies(&w, *s);

    std::memcpy(h.magic, kMagic, 8);
    h.format_version = kCacheFormatVersion;
    h.tokenizer_version = key.tokenizer_version;
    h.tokenizer_id = key.tokenizer_id();
    h.num_words = key.num_words;
    h.id_width = id_width;
    h.vocab_kind = static_cast<uint32_t>(key.vocab_kind);
    h.flags = (corpus.movie_ids ? 1u : 0u) | (corpus.multi_label ? 2u : 0u);
    h.vocab_source_hash = key.vocab_source_hash;
    h.data_fingerprint = key.data_fingerprint;
    h.vocab_hash = corpus.vocab.hash();
    h.n_train = corpus.train.size();
    h.n_test = corpus.test.size();
    h.train_tokens = corpus.train.tokens.size();
    h.test_tokens = corpus.test.tokens.size();
    h.vocab_words = corpus.vocab.words.size();
    h.payload_bytes = w.finish(&h.payload_xxh64);
    h.header_xxh64 = xxh64(&h, offsetof(Header, header_xxh64));
    if (::pwrite(fd, &h, sizeof(h), 0) != static_cast<ssize_t>(sizeof(h))) fail("write failed");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // No fsync: the rename makes the file appear whole or not at all for concurrent readers, and a
  // file torn by a power loss fails its checksum on the next load and is rebuilt.
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    SENTI_FAIL("cache file ", path, ": close failed (", std::strerror(err), ")");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    SENTI_FAIL("cache file ", path, ": rename failed (", std::strerror(err), ")");
  }
}

CacheStatus read_token_cache(const std::string& path, const CacheKey& expected, Corpus* corpus,
                             std::string* why) {
  why->clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = std::strerror(errno);
    return CacheStatus::Missing;
  }
  // Mapped, not read: the token ids are used where they lie (Split::tokens is a view), shared in
  // the page cache by every process that maps the file (the ranks of a data-parallel job).
  struct stat st {};
  const bool sized = ::fstat(fd, &st) == 0;
  const size_t file_bytes = sized ? static_cast<size_t>(st.st_size) : 0;
  if (file_bytes < sizeof(Header)) {
    ::close(fd);
    *why = "file shorter than its header";
    return CacheStatus::Corrupt;
  }
  void* base = ::mmap(nullptr, file_bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);  // the mapping keeps the file
  if (base == MAP_FAILED) {
    *why = std::string("cannot map the file: ") + std::strerror(errno);
    return CacheStatus::Corrupt;
  }
  const std::shared_ptr<const void> mapping(base, [file_bytes](const void* p) {
    ::munmap(const_cast<void*>(p), file_bytes);
  });
  const char* bytes = static_cast<const char*>(base);
  Header h;
  std::memcpy(&h, bytes, sizeof(h));
  if (std::memcmp(h.magic, kMagic, 8) != 0) {
    *why = "not a senti token cache (bad magic)";
    return CacheStatus::Corrupt;
  }
  if (h.header_xxh64 != xxh64(&h, offsetof(Header, header_xxh64))) {
    *why = "header checksum mismatch";
    return CacheStatus::Corrupt;
  }
  if (h.format_version != kCacheFormatVersion || h.tokenizer_version != expected.tokenizer_version ||
      h.tokenizer_id != expected.tokenizer_id()) {
    *why = "written by another cache format, tokenizer or tokenizer version";
    return CacheStatus::Stale;
  }
  if (h.num_words != expected.num_words || h.vocab_kind != static_cast<uint32_t>(expected.vocab_kind) ||
      h.vocab_source_hash != expected.vocab_source_hash || h.data_fingerprint != expected.data_fingerprint) {
    *why = "built for other settings or other input data";
    return CacheStatus::Stale;
  }
  const char* payload = bytes + sizeof(Header);
  const size_t payload_bytes = file_bytes - sizeof(Header);
  if (h.payload_bytes != payload_bytes || h.payload_xxh64 != xxh64(payload, payload_bytes) ||
      (h.id_width != 2 && h.id_width != 4)) {
    *why = "payload truncated or checksum mismatch";
    return CacheStatus::Corrupt;
  }
  PayloadReader r(payload, payload_bytes);
  Corpus c;
  c.vocab.num_words = h.num_words;
  const char* lengths = h.vocab_words < payload_bytes ? r.take(h.vocab_words * 4) : nullptr;
  const char* wb_size = lengths ? r.take(8) : nullptr;
  uint64_t word_bytes_size = 0;
  if (wb_size) std::memcpy(&word_bytes_size, wb_size, 8);
  const char* word_bytes = wb_size && word_bytes_size <= payload_bytes ? r.take(word_bytes_size) : nullptr;
  const char* src_size = word_bytes ? r.take(8) : nullptr;
  uint64_t source_size = 0;
  if (src_size) std::memcpy(&source_size, src_size, 8);
  const char* source = src_size && source_size <= payload_bytes ? r.take(source_size) : nullptr;
  if (!source) {
    *why = "vocabulary section truncated";
    return CacheStatus::Corrupt;
  }
  c.vocab.source.assign(source ? source : "", source_size);
  c.vocab.words.resize(h.vocab_words);
  uint64_t at = 0;
  for (uint64_t k = 0; k < h.vocab_words; ++k) {
    uint32_t len;
    std::memcpy(&len, lengths + 4 * k, 4);
    if (len > word_bytes_size - at) {
      *why = "vocabulary word lengths exceed their bytes";
      return CacheStatus::Corrupt;
    }
    c.vocab.words[k].assign(word_bytes + at, len);
    at += len;
  }
  if (c.vocab.hash() != h.vocab_hash) {
    *why = "vocabulary hash mismatch";
    return CacheStatus::Corrupt;
  }
  std::vector<std::string> data_source;
  const char* validation_counts = nullptr;
  const char* unlabeled_counts = nullptr;
  if (!read_strings(&r, payload_bytes, &c.classes) || c.classes.size() < ((h.flags & 2u) ? 1u : 2u) ||
      !read_strings(&r, payload_bytes, &data_source) || data_source.size() != 1 ||
      !(validation_counts = r.take(16)) || !(unlabeled_counts = r.take(16))) {
    *why = "classes section truncated or inconsistent";
    return CacheStatus::Corrupt;
  }
  c.source = data_source.front();
  c.movie_ids = (h.flags & 1u) != 0;
  c.multi_label = (h.flags & 2u) != 0;
  uint64_t n_validation = 0, validation_tokens = 0;
  std::memcpy(&n_validation, validation_counts, 8);
  std::memcpy(&validation_tokens, validation_counts + 8, 8);
  uint64_t n_unlabeled = 0, unlabeled_tokens = 0;
  std::memcpy(&n_unlabeled, unlabeled_counts, 8);
  std::memcpy(&unlabeled_tokens, unlabeled_counts + 8, 8);
  if (h.n_train > payload_bytes || h.n_test > payload_bytes || h.train_tokens > payload_bytes ||
      h.test_tokens > payload_bytes || n_validation > payload_bytes || validation_tokens > payload_bytes ||
      n_unlabeled > payload_bytes || unlabeled_tokens > payload_bytes ||
      !read_split(&r, h.n_train, h.train_tokens, h.id_width, h.num_words, c.classes.size(), mapping, &c.train, why) ||
      !read_split(&r, n_validation, validation_tokens, h.id_width, h.num_words, c.classes.size(), mapping, &c.validation, why) ||
      !read_split(&r, h.n_test, h.test_tokens, h.id_width, h.num_words, c.classes.size(), mapping, &c.test, why) ||
      !read_split(&r, n_unlabeled, unlabeled_tokens, h.id_width, h.num_words, c.classes.size(), mapping,
                  &c.unlabeled, why, /*unlabeled=*/true) ||
      (c.multi_label && (!read_label_sets(&r, c.classes.size(), payload_bytes, &c.train, why) ||
                         !read_label_sets(&r, c.classes.size(), payload_bytes, &c.validation, why) ||
                         !read_label_sets(&r, c.classes.size(), payload_bytes, &c.test, why))) ||
      !read_movies(&r, &c.train, why) || !read_movies(&r, &c.validation, why) || !read_movies(&r, &c.test, why) ||
      !read_movies(&r, &c.unlabeled, why) || !r.at_end()) {
    if (why->empty()) *why = "split sections inconsistent with the header";
    return CacheStatus::Corrupt;
  }
  *corpus = std::move(c);
  return CacheStatus::Ok;
}

}  // namespace senti::data
