#include "host/cli/serve_api.h"

#include "host/run/class_report.h"
#include "host/run/multilabel_report.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "host/run/explainer.h"
#include "host/run/predictor.h"

namespace senti::cli {
namespace {

// Deepest nesting of arrays/objects outside strings. Checked before parsing so a body like
// "[[[[...]]]]" is refused cheaply, whatever the parser would do with it.
int json_depth(std::string_view s) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : s) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// "an object", "a string", "null", ... for messages.
std::string kind_of(const nlohmann::json& j) {
  const std::string name = j.type_name();
  if (j.is_null()) return "null";
  return (name[0] == 'a' || name[0] == 'o' ? "an " : "a ") + name;
}

bool fail(ApiError* error, int status, std::string message) {
  error->status = status;
  error->message = std::move(message);
  return false;
}

}  // namespace

bool parse_predict_request(std::string_view body, const ServeLimits& limits,
                           std::vector<std::string>* texts, ApiError* error) {
  PredictRequest request;
  const bool ok = parse_predict_request(body, limits, &request, error);
  *texts = std::move(request.texts);
  return ok;
}

bool parse_predict_request(std::string_view body, const ServeLimits& limits,
                           PredictRequest* request, ApiError* error) {
  std::vector<std::string>* texts = &request->texts;
  texts->clear();
  request->explain = false;
  if (body.size() > limits.max_body_bytes)
    return fail(error, 413, "request body has " + std::to_string(body.size()) +
                                " bytes, the limit is " + std::to_string(limits.max_body_bytes));
  if (json_depth(body) > limits.max_json_depth)
    return fail(error, 400, "request body nests arrays/objects deeper than " +
                                std::to_string(limits.max_json_depth) + " levels");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return fail(error, 400, std::string("request body is not valid JSON (UTF-8): ") + e.what());
  } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range: a number like 1e999999
    return fail(error, 400, std::string("request body has a value JSON cannot hold: ") + e.what());
  }
  const char* expected = "expected {\"texts\": [\"review\", ...]}";
  if (!doc.is_object())
    return fail(error, 400, "request body is " + kind_of(doc) + ", " + expected);
  const auto it = doc.find("texts");
  if (it == doc.end()) return fail(error, 400, std::string("\"texts\" is missing: ") + expected);
  if (!it->is_array())
    return fail(error, 400, "\"texts\" is " + kind_of(*it) + ", " + expected);
  if (it->empty()) return fail(error, 400, "\"texts\" is empty: give at least one review");
  if (it->size() > limits.max_texts)
    return fail(error, 413, "\"texts\" has " + std::to_string(it->size()) +
                                " reviews, the limit is " + std::to_string(limits.max_texts) +
                                " a request");
  texts->reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& t = (*it)[i];
    const std::string where = "texts[" + std::to_string(i) + "]";
    if (!t.is_string())
      return fail(error, 400, where + " is " + kind_of(t) + ", expected a string");
    const auto& s = t.get_ref<const std::string&>();
    if (s.size() > limits.max_text_bytes)
      return fail(error, 413, where + " has " + std::to_string(s.size()) +
                                  " bytes, the limit is " + std::to_string(limits.max_text_bytes));
    texts->push_back(s);
  }
  if (const auto ex = doc.find("explain"); ex != doc.end()) {
    if (!ex->is_boolean())
      return fail(error, 400, "\"explain\" is " + kind_of(*ex) + ", expected true or false");
    request->explain = ex->get<bool>();
    if (request->explain && texts->size() > limits.max_explain_texts)
      return fail(error, 413, "\"explain\" with " + std::to_string(texts->size()) +
                                  " reviews: the limit is " + std::to_string(limits.max_explain_texts) +
                                  " explained reviews a request");
  }
  return true;
}

std::string predict_response(Predictor& predictor, const PredictRequest& request) {
  const int O = predictor.outputs();
  if (!request.explain)
    return predictions_json(predictor.predict(request.texts), predictor.classes(), O,
                            predictor.multi_label());
  const std::vector<Explanation> ex = explain(predictor, request.texts);
  // K classes: every class's probability beside the explained (predicted) one, as without explain.
  const std::vector<float> probs = O == 1 ? std::vector<float>() : predictor.predict(request.texts);
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < ex.size(); ++i) {
    if (O == 1) {
      const float p = ex[i].prob_positive;
      out.push_back({{"prob_positive", p},
                     {"label", predictor.label_of(p)},
                     {"explanation", explanation_json(ex[i], request.texts[i])}});
    } else {  // the predicted class, explained
      const std::string& name = predictor.classes()[static_cast<size_t>(ex[i].explained_class)];
      nlohmann::json all = nlohmann::json::object();
      for (size_t k = 0; k < static_cast<size_t>(O); ++k)
        all[predictor.classes()[k]] = probs[i * static_cast<size_t>(O) + k];
      out.push_back({{"label", name}, {"prob", ex[i].prob}, {"probs", std::move(all)},
                     {"explanation", explanation_json(ex[i], request.texts[i], name)}});
      if (predictor.multi_label())
        out.back()["labels"] = labels_above(probs.data() + i * static_cast<size_t>(O), predictor.classes(), 0.5);
    }
  }
  // Word texts are slices of the reviews: never fail on invalid UTF-8 in them.
  return nlohmann::json{{"predictions", std::move(out)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string predictions_json(const std::vector<float>& probs, const std::vector<std::string>& classes,
                             int outputs, bool multi_label) {
  nlohmann::json out = nlohmann::json::array();
  if (outputs == 1) {
    for (const float p : probs) out.push_back({{"prob_positive", p}, {"label", label_of(p, classes)}});
  } else {
    const size_t K = static_cast<size_t>(outputs);
    for (size_t r = 0; r + K <= probs.size(); r += K) {
      const size_t top = static_cast<size_t>(predicted_class(probs.data() + r, outputs));
      nlohmann::json all = nlohmann::json::object();
      for (size_t k = 0; k < K; ++k) all[classes[k]] = probs[r + k];
      out.push_back({{"label", classes[top]}, {"prob", probs[r + top]}, {"probs", std::move(all)}});
      if (multi_label) out.back()["labels"] = labels_above(probs.data() + r, classes, 0.5);
    }
  }
  return nlohmann::json{{"predictions", std::move(out)}}.dump(-1, ' ', false,
                                                            nlohmann::json::error_handler_t::replace);
}

std::string error_json(int status, std::string_view message) {
  // Messages may quote user bytes (parser errors do): never fail on invalid UTF-8.
  return nlohmann::json{{"error", std::string(message)}, {"status", status}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace senti::cli
