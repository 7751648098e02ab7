#pragma once
// The figures of a multi-label classifier (K independent sigmoids): a label is predicted when its
// probability is above the threshold. Per label precision, recall, F1 and support (scikit-learn's
// classification_report on the K binary columns, zero_division=0); micro averages (over every
// document-label pair) and macro averages (over the labels); exact match (every label right); and
// fastText's `test` figures P@1 and R@1: the share of documents whose most probable label is one
// of theirs, and those hits over all true labels.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace senti {

struct MultiLabelReport {
  std::vector<std::string> classes;
  std::vector<double> precision, recall, f1;
  std::vector<int64_t> support, predicted;  // true / predicted documents per label
  double micro_precision = 0, micro_recall = 0, micro_f1 = 0, macro_f1 = 0;
  double exact_match = 0, precision_at_1 = 0, recall_at_1 = 0;
  double threshold = 0.5;
  int64_t count = 0;

  // {"micro_f1", "macro_f1", "micro_precision", "micro_recall", "exact_match", "precision_at_1",
  //  "recall_at_1", "threshold", "per_label": {name: {precision, recall, f1, support, predicted}}}
  nlohmann::json to_json() const;
  std::string table() const;  // one line a label, then the averages
};

// probs: (N, K) row-major; truth[i]: document i's labels (class indices, any order).
MultiLabelReport multilabel_report(const std::vector<float>& probs,
                                   const std::vector<std::vector<int32_t>>& truth,
                                   const std::vector<std::string>& classes, double threshold);

// A multi-label model's predicted labels for one row of K probabilities: the names of those
// above `threshold`, most probable first.
std::vector<std::string> labels_above(const float* probs, const std::vector<std::string>& classes,
                                      double threshold);

// --threshold: a probability in (0, 1); a UsageError naming the flag otherwise.
void check_threshold(double threshold);

}  // namespace senti
