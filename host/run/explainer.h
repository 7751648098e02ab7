#pragma once
// Why a review got its label: each word's contribution, by occlusion (leave one word out).
//
//   contribution(word i) = logit(p(review)) - logit(p(review without word i))
//
// in log-odds (logit p = log(p / (1 - p))) of the explained class (a two-class model: the positive
// one; K classes: the predicted one or --explain-class): > 0 pushed the prediction towards it. Log-odds rather than probability differences because a confident prediction (p = 0.999)
// saturates the sigmoid and would make every word look irrelevant. Leaving the word out (rather
// than replacing it by the out-of-vocabulary id) asks "what if the reviewer had not written it",
// and the shortened review goes through exactly the preprocessing and model that predicted it, on
// any backend and for every model option. Cost: one forward pass per word the model sees (at most
// maxlen - 1), batched. Why not integrated gradients: docs/serving.md.
//
// Words outside the model's window (past maxlen, on the truncating side) are listed with
// seen = false and contribution 0: the model never read them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/run/predictor.h"

namespace senti {

struct WordContribution {
  uint32_t begin = 0, end = 0;  // the word's bytes in the review text
  int32_t id = 0;               // its id (2 = out of vocabulary)
  bool seen = true;             // inside the model's window
  double contribution = 0;      // log-odds; 0 when not seen
};

struct Explanation {
  float prob_positive = 0;    // the model's first output (two classes: the probability of classes[1])
  int explained_class = 1;    // the class whose log-odds the contributions are in
  float prob = 0;             // its probability
  std::vector<WordContribution> words;  // in text order
};

// Explains each text (same order) in the log-odds of class `explain_class`: -1 = a two-class model's
// classes[1] (as always), a K-class model's predicted class. Not thread-safe (uses the predictor).
std::vector<Explanation> explain(Predictor& predictor, const std::vector<std::string>& texts,
                                 int explain_class = -1);

// The explanation as `senti predict --explain --json` and `senti serve` write it:
//   {"method": "occlusion: leave one word out", "unit": "log-odds",
//    "words": [{"text": "great", "start": 4, "end": 9, "id": 85, "contribution": 1.93}, ...]}
// start/end are byte offsets into the review (UTF-8); contribution is null for unseen words.
// class_name: the explained class, written as "class" when not empty (K-class models).
nlohmann::json explanation_json(const Explanation& e, std::string_view text,
                                const std::string& class_name = std::string());

// The k words with the largest |contribution|, strongest first ("+1.93 great").
std::string top_words(const Explanation& e, std::string_view text, size_t k);

}  // namespace senti
