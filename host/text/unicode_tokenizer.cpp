#include "host/text/unicode_tokenizer.h"

#include <unicode/brkiter.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>
#include <unicode/uversion.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "kernels/common/error.h"

namespace senti::text {
namespace {

// Length of the valid, shortest-form UTF-8 sequence starting at p[0] >= 0x80, or 0 when p[0] does
// not start one (the same rule as v1's decoder in tokenizer.cpp).
inline size_t utf8_sequence_length(const unsigned char* p, size_t n) {
  const unsigned char b0 = p[0];
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (b0 == 0xE0 && p[1] < 0xA0) return 0;  // overlong
    if (b0 == 0xED && p[1] >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (b0 == 0xF0 && p[1] < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && p[1] >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;  // continuation byte, C0/C1 (overlong 2-byte lead) or F5..FF
}

// Length of an HTML line break starting at p[0] == '<', or 0: <br>, <br/>, <br />, any case.
inline size_t html_break_length(const unsigned char* p, size_t n) {
  if (n < 4 || (p[1] | 0x20) != 'b' || (p[2] | 0x20) != 'r') return 0;
  size_t i = 3;
  while (i < n && p[i] == ' ') ++i;
  if (i < n && p[i] == '/') ++i;
  return (i < n && p[i] == '>') ? i + 1 : 0;
}

// `raw` as ICU should see it: the same bytes, except that every invalid UTF-8 byte and every HTML
// line break is overwritten with spaces (rules 1, 2). Lengths are kept, so offsets into the result
// are offsets into `raw`. Copies into *scratch only when something has to be overwritten.
std::string_view sanitize(std::string_view raw, std::string* scratch) {
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const size_t n = raw.size();
  char* copy = nullptr;
  auto blank = [&](size_t at, size_t len) {
    if (copy == nullptr) {
      scratch->assign(raw.data(), n);
      copy = scratch->data();
    }
    std::memset(copy + at, ' ', len);
  };
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (c == '<') {
        if (const size_t len = html_break_length(p + i, n - i)) {
          blank(i, len);
          i += len;
          continue;
        }
      }
      ++i;
      continue;
    }
    if (const size_t len = utf8_sequence_length(p + i, n - i)) {
      i += len;
    } else {
      blank(i, 1);
      ++i;
    }
  }
  return copy == nullptr ? raw : std::string_view(copy, n);
}

// Where the chunk that starts at `begin` ends: just before the last ASCII space in
// (begin, begin + limit], else at the last code point start there (sanitized text is valid UTF-8).
size_t chunk_end(std::string_view text, size_t begin, size_t limit) {
  if (text.size() - begin <= limit) return text.size();
  for (size_t i = begin + limit; i > begin; --i)
    if (text[i] == ' ') return i;
  auto continuation = [&](size_t i) { return (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
  size_t i = begin + limit;
  while (i > begin && continuation(i)) --i;
  if (i == begin) {  // a limit below 4 bytes inside one code point: take the whole code point
    i = begin + limit;
    while (i < text.size() && continuation(i)) ++i;
  }
  return i;
}

const icu::BreakIterator& word_prototype() {
  static const icu::BreakIterator* const proto = [] {
    UErrorCode status = U_ZERO_ERROR;
    icu::BreakIterator* it = icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status);
    SENTI_CHECK(U_SUCCESS(status) && it != nullptr,
                "ICU cannot make a word BreakIterator: ", u_errorName(status), " (is ICU's data library installed?)");
    return it;  // never freed: threads may still clone it during exit
  }();
  return *proto;
}

const icu::Normalizer2& nfkc_casefold() {
  static const icu::Normalizer2* const nf = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    SENTI_CHECK(U_SUCCESS(status) && n != nullptr, "ICU has no NFKC_Casefold normalizer: ", u_errorName(status));
    return n;  // owned by ICU
  }();
  return *nf;
}

// One per thread: a clone of the prototype iterator, the UText over the current chunk, and the
// buffer for sanitized text.
struct ThreadState {
  std::unique_ptr<icu::BreakIterator> words;
  UText* utext = nullptr;
  std::string scratch;
  ThreadState() {
    static std::mutex clone_mutex;  // cloning only reads the prototype; the lock is for peace of mind
    std::lock_guard<std::mutex> lock(clone_mutex);
    words.reset(word_prototype().clone());
    SENTI_CHECK(words != nullptr, "ICU could not clone a word BreakIterator");
  }
  ~ThreadState() { utext_close(utext); }
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;
};

ThreadState& thread_state() {
  thread_local ThreadState state;
  return state;
}

constexpr uint64_t kMaxTextBytes = uint64_t{1} << 32;

// Appends token `src` (one word segment) to out->text, NFKC_Casefold-normalized (rules 4-6), and
// records it (or its pieces) with span [span_begin, span_end).
void emit_token(std::string_view src, uint32_t span_begin, uint32_t span_end, TokenList* out) {
  std::string& text = out->text;
  const size_t start = text.size();
  bool ascii = true;
  for (const char ch : src) ascii &= static_cast<unsigned char>(ch) < 0x80;
  if (ascii) {
    // NFKC_Casefold of ASCII is ASCII lowercasing (no ASCII character is default-ignorable, none
    // decomposes), and an ASCII word segment holds no space: no need to call ICU.
    text.append(src);
    for (size_t i = start; i < text.size(); ++i)
      if (text[i] >= 'A' && text[i] <= 'Z') text[i] = static_cast<char>(text[i] + 32);
  } else {
    UErrorCode status = U_ZERO_ERROR;
    icu::StringByteSink<std::string> sink(&text);
    nfkc_casefold().normalizeUTF8(0, icu::StringPiece(src.data(), static_cast<int32_t>(src.size())), sink,
                                  nullptr, status);
    SENTI_CHECK(U_SUCCESS(status), "ICU NFKC_Casefold failed: ", u_errorName(status));
    // Rule 5: U+2018/U+2019 (E2 80 98/99) -> ', compacting in place.
    size_t w = start;
    for (size_t r = start; r < text.size();) {
      if (static_cast<unsigned char>(text[r]) == 0xE2 && r + 2 < text.size() &&
          static_cast<unsigned char>(text[r + 1]) == 0x80 &&
          (static_cast<unsigned char>(text[r + 2]) == 0x98 || static_cast<unsigned char>(text[r + 2]) == 0x99)) {
        text[w++] = '\'';
        r += 3;
      } else {
        text[w++] = text[r++];
      }
    }
    text.resize(w);
  }
  SENTI_CHECK(text.size() < kMaxTextBytes, "tokenize_unicode: the tokens' text exceeds the 4 GiB limit");
  // Rule 6: record the non-empty pieces between spaces (normally the whole token, or nothing).
  size_t piece = start;
  auto end_piece = [&](size_t at) {
    if (at > piece) {
      out->ends.push_back(static_cast<uint32_t>(at));
      if (out->keep_spans) out->spans.emplace_back(span_begin, span_end);
    }
  };
  if (!ascii && text.find(' ', start) != std::string::npos) {
    size_t w = start;  // drop the spaces, ending a piece at each
    for (size_t r = start; r < text.size(); ++r) {
      if (text[r] == ' ') {
        end_piece(w);
        piece = w;
      } else {
        text[w++] = text[r];
      }
    }
    text.resize(w);
  }
  end_piece(text.size());
}

void tokenize_impl(std::string_view raw, TokenList* out, size_t chunk_bytes) {
  SENTI_CHECK(raw.size() < kMaxTextBytes, "tokenize_unicode: text of ", raw.size(),
              " bytes exceeds the 4 GiB limit");
  SENTI_CHECK(chunk_bytes >= 1 && chunk_bytes <= detail::kUnicodeChunkBytes, "tokenize_unicode: chunk size ",
              chunk_bytes, " outside 1..", detail::kUnicodeChunkBytes);
  out->text.clear();
  out->ends.clear();
  out->spans.clear();
  if (raw.empty()) return;
  ThreadState& state = thread_state();
  const std::string_view text = sanitize(raw, &state.scratch);
  icu::BreakIterator& words = *state.words;
  for (size_t begin = 0; begin < text.size();) {
    const size_t end = chunk_end(text, begin, chunk_bytes);
    UErrorCode status = U_ZERO_ERROR;
    state.utext = utext_openUTF8(state.utext, text.data() + begin, static_cast<int64_t>(end - begin), &status);
    words.setText(state.utext, status);
    SENTI_CHECK(U_SUCCESS(status), "ICU could not take the text: ", u_errorName(status));
    int32_t seg_begin = words.first();
    for (int32_t seg_end = words.next(); seg_end != icu::BreakIterator::DONE;
         seg_begin = seg_end, seg_end = words.next()) {
      if (words.getRuleStatus() < UBRK_WORD_NONE_LIMIT) continue;  // spaces, punctuation, symbols, emoji
      const size_t b = begin + static_cast<size_t>(seg_begin), e = begin + static_cast<size_t>(seg_end);
      emit_token(text.substr(b, e - b), static_cast<uint32_t>(b), static_cast<uint32_t>(e), out);
    }
    begin = end;
  }
  // Leave no pointer into `raw` or the scratch buffer behind.
  UErrorCode status = U_ZERO_ERROR;
  state.utext = utext_openUTF8(state.utext, "", 0, &status);
  words.setText(state.utext, status);
}

}  // namespace

void tokenize_unicode(std::string_view raw, TokenList* out) {
  tokenize_impl(raw, out, detail::kUnicodeChunkBytes);
}

void detail::tokenize_unicode_chunked(std::string_view raw, TokenList* out, size_t chunk_bytes) {
  tokenize_impl(raw, out, chunk_bytes);
}

std::vector<std::string> tokenize_unicode_to_strings(std::string_view raw) {
  TokenList tokens;
  tokenize_unicode(raw, &tokens);
  std::vector<std::string> words;
  words.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) words.emplace_back(tokens[i]);
  return words;
}

std::string unicode_tokenizer_icu_version() {
  UVersionInfo icu{}, unicode{};
  u_getVersion(icu);
  u_getUnicodeVersion(unicode);
  char icu_s[U_MAX_VERSION_STRING_LENGTH], unicode_s[U_MAX_VERSION_STRING_LENGTH];
  u_versionToString(icu, icu_s);
  u_versionToString(unicode, unicode_s);
  return std::string("ICU ") + icu_s + ", Unicode " + unicode_s;
}

}  // namespace senti::text
