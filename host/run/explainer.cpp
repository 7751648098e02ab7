#include "host/run/explainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "host/run/class_report.h"

namespace senti {
namespace {

double log_odds(float p) {
  const double q = std::clamp(static_cast<double>(p), 1e-7, 1 - 1e-7);  // float p saturates there
  return std::log(q) - std::log1p(-q);
}

}  // namespace

std::vector<Explanation> explain(Predictor& predictor, const std::vector<std::string>& texts,
                                 int explain_class) {
  const size_t O = static_cast<size_t>(predictor.outputs());
  std::vector<Explanation> out(texts.size());
  // The model reads [start] + words, so maxlen - 1 words: the first (post truncating) or the last.
  const data::SequenceOptions& seq = predictor.sequence();
  const auto window = static_cast<size_t>(std::max(seq.maxlen - 1, 0));
  std::vector<int32_t> ids;
  std::vector<std::pair<uint32_t, uint32_t>> spans;
  for (size_t t = 0; t < texts.size(); ++t) {
    predictor.encode_words(texts[t], &ids, &spans);
    const size_t n = ids.size();
    const size_t first_seen = seq.truncating == data::Side::Pre && n > window ? n - window : 0;
    const size_t end_seen = std::min(n, first_seen + window);
    // Variant 0 is the review itself, variant k > 0 leaves seen word first_seen + k - 1 out.
    std::vector<std::vector<int32_t>> variants;
    variants.push_back(ids);
    for (size_t i = first_seen; i < end_seen; ++i) {
      std::vector<int32_t> v;
      v.reserve(n - 1);
      v.insert(v.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(i));
      v.insert(v.end(), ids.begin() + static_cast<std::ptrdiff_t>(i) + 1, ids.end());
      variants.push_back(std::move(v));
    }
    std::vector<float> all(variants.size() * O);
    predictor.predict_word_ids(variants, all.data());
    Explanation& e = out[t];
    // The class explained: a two-class model's one output is always read as classes[1] (negated
    // for classes[0]); a K-class model's named class or its prediction.
    e.explained_class = O == 1 ? (explain_class == 0 ? 0 : 1)
                               : explain_class >= 0 ? explain_class : predicted_class(all.data(), static_cast<int>(O));
    const size_t c = O == 1 ? 0 : static_cast<size_t>(e.explained_class);
    const double sign = O == 1 && e.explained_class == 0 ? -1.0 : 1.0;
    std::vector<float> probs(variants.size());
    for (size_t v = 0; v < variants.size(); ++v) probs[v] = all[v * O + c];
    e.prob_positive = all[0];
    e.prob = O == 1 && e.explained_class == 0 ? 1.f - probs[0] : probs[0];
    const double full = sign * log_odds(probs[0]);
    e.words.resize(n);
    for (size_t i = 0; i < n; ++i) {
      WordContribution& w = e.words[i];
      w.begin = spans[i].first;
      w.end = spans[i].second;
      w.id = ids[i];
      w.seen = i >= first_seen && i < end_seen;
      w.contribution = w.seen ? full - sign * log_odds(probs[1 + i - first_seen]) : 0.0;
    }
  }
  return out;
}

nlohmann::json explanation_json(const Explanation& e, std::string_view text, const std::string& class_name) {
  nlohmann::json words = nlohmann::json::array();
  for (const WordContribution& w : e.words) {
    words.push_back({{"text", std::string(text.substr(w.begin, w.end - w.begin))},
                     {"start", w.begin},
                     {"end", w.end},
                     {"id", w.id},
                     {"contribution", w.seen ? nlohmann::json(w.contribution) : nlohmann::json()}});
  }
  nlohmann::json j = {{"method", "occlusion: leave one word out"}, {"unit", "log-odds"}, {"words", std::move(words)}};
  if (!class_name.empty()) j["class"] = class_name;
  return j;
}

std::string top_words(const Explanation& e, std::string_view text, size_t k) {
  std::vector<size_t> order(e.words.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::fabs(e.words[a].contribution) > std::fabs(e.words[b].contribution);
  });
  std::string out;
  for (size_t r = 0; r < order.size() && r < k; ++r) {
    const WordContribution& w = e.words[order[r]];
    if (!w.seen) break;  // unseen words sort last (contribution 0)
    char value[32];
    std::snprintf(value, sizeof value, "%+.2f ", w.contribution);
    if (!out.empty()) out += ", ";
    out += value;
    out += text.substr(w.begin, w.end - w.begin);
  }
  return out;
}

}  // namespace senti
