#include "host/text/text_encoding.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace senti::text {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// The Unicode form whose ASCII letters put NUL bytes where `text` has them: UTF-16 text puts one
// NUL in every 2 bytes, UTF-32 three in every 4. Judged on the first bytes; null when no form fits
// (the NULs are scattered: binary data).
const char* nul_pattern(std::string_view text) {
  const size_t n = std::min<size_t>(text.size(), 4096) / 4 * 4;
  if (n < 4) return nullptr;
  std::array<size_t, 4> zeros{};  // NUL bytes at each position mod 4
  for (size_t i = 0; i < n; ++i) zeros[i % 4] += text[i] == '\0';
  const size_t words = n / 4;
  auto most = [&](int k) { return zeros[k] * 2 > words; };      // over half of the column is NUL
  auto few = [&](int k) { return zeros[k] * 10 < words; };      // under a tenth
  if (few(0) && most(1) && most(2) && most(3)) return "UTF-32LE";
  if (most(0) && most(1) && most(2) && few(3)) return "UTF-32BE";
  if (few(0) && most(1) && few(2) && most(3)) return "UTF-16LE";
  if (most(0) && few(1) && most(2) && few(3)) return "UTF-16BE";
  return nullptr;
}

}  // namespace

std::string non_utf8_reason(std::string_view text) {
  using namespace std::string_view_literals;
  // UTF-32LE's mark starts with UTF-16LE's: test it first.
  if (starts_with(text, "\xFF\xFE\x00\x00"sv)) return "UTF-32LE text (byte-order mark FF FE 00 00)";
  if (starts_with(text, "\x00\x00\xFE\xFF"sv)) return "UTF-32BE text (byte-order mark 00 00 FE FF)";
  if (starts_with(text, "\xFF\xFE"sv)) return "UTF-16LE text (byte-order mark FF FE)";
  if (starts_with(text, "\xFE\xFF"sv)) return "UTF-16BE text (byte-order mark FE FF)";
  const size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return "";
  if (const char* form = nul_pattern(text))
    return std::string(form) + " text (no byte-order mark, but NUL bytes in its pattern)";
  return "binary data (a NUL byte at byte " + std::to_string(nul) + ")";
}

std::string_view strip_utf8_bom(std::string_view text) {
  return starts_with(text, "\xEF\xBB\xBF") ? text.substr(3) : text;
}

}  // namespace senti::text
