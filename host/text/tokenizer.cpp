#include "host/text/tokenizer.h"

#include <array>

#include "kernels/common/error.h"

namespace senti::text {
namespace {

// Byte classes for the ASCII fast path.
enum : uint8_t { kSep = 0, kWord = 1, kApos = 2, kLess = 3 };

struct AsciiTable {
  std::array<uint8_t, 128> cls{};
  std::array<char, 128> lower{};
  AsciiTable() {
    for (int c = 0; c < 128; ++c) {
      lower[c] = static_cast<char>(c);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) cls[c] = kWord;
      if (c >= 'A' && c <= 'Z') {
        cls[c] = kWord;
        lower[c] = static_cast<char>(c + 32);
      }
    }
    cls['\''] = kApos;
    cls['`'] = kApos;
    cls['<'] = kLess;
  }
};
const AsciiTable kAscii;

// Decodes one UTF-8 sequence at p[0..n). Returns its length (2..4) and sets *cp, or 0 if invalid.
inline int decode_utf8(const unsigned char* p, size_t n, uint32_t* cp) {
  const unsigned char b0 = p[0];
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1)) return 0;
    *cp = ((b0 & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const uint32_t c = ((b0 & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) return 0;  // overlong or surrogate
    *cp = c;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const uint32_t c = ((b0 & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) |
                       (p[3] & 0x3Fu);
    if (c < 0x10000 || c > 0x10FFFF) return 0;
    *cp = c;
    return 4;
  }
  return 0;  // continuation byte, C0/C1 (overlong 2-byte lead) or F5..FF
}

inline bool is_apostrophe(uint32_t cp) {
  return cp == 0x2018 || cp == 0x2019 || cp == 0x00B4 || cp == 0x0091 || cp == 0x0092;
}

inline bool is_separator(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
         cp == 0x3000 || cp == 0xFEFF || cp == 0xFFFD;
}

inline uint32_t to_lower(uint32_t cp) {
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;              // Latin-1
  if (cp >= 0x100 && cp <= 0x17F) {                                         // Latin Extended-A
    const bool even_upper = (cp <= 0x137) || (cp >= 0x14A && cp <= 0x177);
    const bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (even_upper && cp % 2 == 0) return cp + 1;
    if (odd_upper && cp % 2 == 1) return cp + 1;
    if (cp == 0x178) return 0xFF;
    return cp;
  }
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20;          // Greek
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;                         // Cyrillic
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  return cp;
}

inline size_t encode_utf8(uint32_t cp, char* out) {
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// Length of an HTML line break starting at p[0] == '<', or 0: <br>, <br/>, <br />, any case.
inline size_t html_break_length(const unsigned char* p, size_t n) {
  if (n < 4 || (p[1] | 0x20) != 'b' || (p[2] | 0x20) != 'r') return 0;
  size_t i = 3;
  while (i < n && p[i] == ' ') ++i;
  if (i < n && p[i] == '/') ++i;
  return (i < n && p[i] == '>') ? i + 1 : 0;
}

}  // namespace

void tokenize(std::string_view raw, TokenList* out) {
  SENTI_CHECK(raw.size() < (uint64_t{1} << 32), "tokenize: text of ", raw.size(),
              " bytes exceeds the 4 GiB limit");
  // Lowercasing keeps the UTF-8 length and apostrophes only shrink, so the output never needs
  // more bytes than the input: size the buffer once, write through a raw pointer.
  out->text.resize(raw.size());
  out->ends.clear();
  out->spans.clear();
  const bool spans = out->keep_spans;
  uint32_t src_begin = 0, src_end = 0;  // the current token's bytes in raw (with keep_spans)
  char* const buf = out->text.data();
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const size_t n = raw.size();
  uint32_t w = 0;            // write position in buf
  uint32_t token_start = 0;  // where the current token began
  bool pending_apostrophe = false;
  auto end_token = [&] {
    if (w > token_start) {
      out->ends.push_back(w);
      if (spans) out->spans.emplace_back(src_begin, src_end);
    }
    token_start = w;
    pending_apostrophe = false;
  };
  auto apostrophe = [&] {
    if (pending_apostrophe) end_token();         // two in a row: a quote, not an elision
    else if (w > token_start) pending_apostrophe = true;  // inside a word, if a letter follows
  };
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (kAscii.cls[c]) {
        case kWord:
          if (pending_apostrophe) {
            buf[w++] = '\'';
            pending_apostrophe = false;
          }
          if (w == token_start) src_begin = static_cast<uint32_t>(i);
          buf[w++] = kAscii.lower[c];
          src_end = static_cast<uint32_t>(++i);
          continue;
        case kApos:
          apostrophe();
          ++i;
          continue;
        case kLess: {
          const size_t len = html_break_length(p + i, n - i);
          end_token();
          i += len ? len : 1;
          continue;
        }
        default:
          end_token();
          ++i;
          continue;
      }
    }
    uint32_t cp = 0;
    const int len = decode_utf8(p + i, n - i, &cp);
    if (len == 0) {  // invalid byte: a separator
      end_token();
      ++i;
      continue;
    }
    const size_t start = i;
    i += static_cast<size_t>(len);
    if (is_apostrophe(cp)) {
      apostrophe();
    } else if (is_separator(cp)) {
      end_token();
    } else {
      if (pending_apostrophe) {
        buf[w++] = '\'';
        pending_apostrophe = false;
      }
      if (w == token_start) src_begin = static_cast<uint32_t>(start);
      w += static_cast<uint32_t>(encode_utf8(to_lower(cp), buf + w));
      src_end = static_cast<uint32_t>(i);
    }
  }
  end_token();
  out->text.resize(w);
}

std::vector<std::string> tokenize_to_strings(std::string_view raw) {
  TokenList tokens;
  tokenize(raw, &tokens);
  std::vector<std::string> words;
  words.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) words.emplace_back(tokens[i]);
  return words;
}

}  // namespace senti::text
