#pragma once
// The JSON API of `senti serve`, without any HTTP: validating a POST /v1/predict body and writing
// the responses. Kept apart from the server so every rule can be tested directly.
//
//   request   {"texts": ["review", ...]}              1..max_texts strings, each <= max_text_bytes
//             optional "explain": true                each word's contribution (at most
//                                                     max_explain_texts reviews a request)
//   response  {"predictions": [{"prob_positive": 0.93, "label": "positive"}, ...]}  (same order)
//             K classes: [{"label": "HUM", "prob": 0.81, "probs": {"ABBR": 0.01, ...}}, ...]
//             (label = the most probable class, prob = its probability, probs = every class's)
//             with "explain": each prediction also has "explanation" (host/run/explainer.h; K
//             classes: in the log-odds of the predicted class, named by its "class")
//   error     {"error": "<what is wrong>", "status": 400}
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "host/data/dataset.h"

namespace senti {
class Predictor;
}

namespace senti::cli {

struct ServeLimits {
  size_t max_texts = 256;              // reviews per request
  size_t max_body_bytes = 1u << 20;    // request body (1 MiB)
  size_t max_text_bytes = 100u << 10;  // one review (100 KiB; the longest IMDB review is ~14 KB)
  int max_json_depth = 16;             // nesting of [ and {: the request needs 2
  size_t max_explain_texts = 16;       // explaining costs a forward pass per word
};

struct PredictRequest {
  std::vector<std::string> texts;
  bool explain = false;
};

struct ApiError {
  int status = 400;
  std::string message;
};

// Parses and validates a predict request body into *texts. On a bad body returns false with the
// HTTP status (400 malformed, 413 too large) and a message that says what was expected.
bool parse_predict_request(std::string_view body, const ServeLimits& limits,
                           std::vector<std::string>* texts, ApiError* error);
// The same with the optional "explain" field (a boolean; true allows at most max_explain_texts).
bool parse_predict_request(std::string_view body, const ServeLimits& limits,
                           PredictRequest* request, ApiError* error);

// Runs the model on a parsed request and writes the response body (predictions, and explanations
// when asked). Uses the predictor: call it under the server's model lock.
std::string predict_response(Predictor& predictor, const PredictRequest& request);

// {"predictions": [...]} for these (N, outputs) probabilities: two classes {"prob_positive", "label"},
// K classes {"label", "prob", "probs": {class: p, ...}}, multi-label also "labels" (p > 0.5, most
// probable first).
std::string predictions_json(const std::vector<float>& probs,
                             const std::vector<std::string>& classes = data::imdb_classes(),
                             int outputs = 1, bool multi_label = false);

// {"error": message, "status": status}.
std::string error_json(int status, std::string_view message);

}  // namespace senti::cli
