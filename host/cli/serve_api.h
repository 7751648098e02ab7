#pragma once
// The JSON API of `senti serve`, without any HTTP: validating a POST /v1/predict body and writing
// the responses. Kept apart from the server so every rule can be tested directly.
//
//   request   {"texts": ["review", ...]}              1..max_texts strings, each <= max_text_bytes
//   response  {"predictions": [{"prob_positive": 0.93, "label": "positive"}, ...]}  (same order)
//   error     {"error": "<what is wrong>", "status": 400}
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace senti::cli {

struct ServeLimits {
  size_t max_texts = 256;              // reviews per request
  size_t max_body_bytes = 1u << 20;    // request body (1 MiB)
  size_t max_text_bytes = 100u << 10;  // one review (100 KiB; the longest IMDB review is ~14 KB)
  int max_json_depth = 16;             // nesting of [ and {: the request needs 2
};

struct ApiError {
  int status = 400;
  std::string message;
};

// Parses and validates a predict request body into *texts. On a bad body returns false with the
// HTTP status (400 malformed, 413 too large) and a message that says what was expected.
bool parse_predict_request(std::string_view body, const ServeLimits& limits,
                           std::vector<std::string>* texts, ApiError* error);

// {"predictions": [...]} for these probabilities.
std::string predictions_json(const std::vector<float>& probs);

// {"error": message, "status": status}.
std::string error_json(int status, std::string_view message);

}  // namespace senti::cli
