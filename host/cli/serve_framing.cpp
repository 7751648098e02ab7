#include "host/cli/serve_framing.h"

#include <strings.h>

#include <cstdint>

namespace senti::cli {
namespace {

// RFC 9110 8.6: Content-Length = 1*DIGIT. False for anything else, and past 2^64 - 1.
bool parse_length(const std::string& text, uint64_t* value) {
  if (text.empty()) return false;
  uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *value = v;
  return true;
}

std::string quoted(const std::string& s) {
  return "'" + (s.size() > 40 ? s.substr(0, 40) + "..." : s) + "'";
}

}  // namespace

FramingError check_request_framing(const httplib::Request& req) {
  const auto lengths = req.headers.equal_range("Content-Length");
  const bool has_length = lengths.first != lengths.second;
  uint64_t length = 0;
  for (auto it = lengths.first; it != lengths.second; ++it) {
    uint64_t v = 0;
    if (!parse_length(it->second, &v))
      return {400, "invalid Content-Length " + quoted(it->second) +
                       ": expected the body's size in bytes (decimal digits, at most " +
                       std::to_string(UINT64_MAX) + ")"};
    if (it != lengths.first && v != length)
      return {400, "invalid Content-Length: the request has several, with different values"};
    length = v;
  }
  if (req.has_header("Transfer-Encoding")) {
    const std::string te = req.get_header_value("Transfer-Encoding");
    if (strcasecmp(te.c_str(), "chunked") != 0)
      return {501, "Transfer-Encoding " + quoted(te) + " is not supported (only chunked)"};
    if (has_length)
      return {400, "invalid Content-Length: a request must not have both Content-Length and "
                   "Transfer-Encoding"};
  }
  const bool may_have_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (may_have_body && !has_length && !req.has_header("Transfer-Encoding"))
    return {411, "Content-Length required: " + req.method + " requests must give their body's size"};
  return {};
}

}  // namespace senti::cli
