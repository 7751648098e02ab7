#pragma once
// How a request says where its body ends (Content-Length, Transfer-Encoding), checked before any
// of the body is read. cpp-httplib 0.11 reads Content-Length with strtoull and no check: "abc"
// became an empty body (then "not valid JSON"), "-1" and 18446744073709551616 became 2^64-1 (then
// a 413 only after the request timeout, the server waiting for bytes that never come), and a POST
// without either header was read until the client closed. HttpServer answers these at once.
#include <string>

#include <httplib.h>

namespace senti::cli {

struct FramingError {
  int status = 0;       // 0: the request's framing is fine
  std::string message;  // for the JSON error body
};

// 400 for a Content-Length that is not decimal digits, does not fit 64 bits, or is repeated with
// different values, and for Content-Length together with Transfer-Encoding (RFC 9112 6.3: a
// request-smuggling pattern); 501 for a Transfer-Encoding other than chunked; 411 for a POST, PUT
// or PATCH with neither header. A Content-Length over the body limit is left to httplib (413).
FramingError check_request_framing(const httplib::Request& req);

}  // namespace senti::cli
