#pragma once
// The figures people read off a classifier, as scikit-learn's classification_report and
// confusion_matrix give them: per class precision, recall, F1 and support, macro-F1, accuracy, and
// the K x K confusion matrix (rows true class, columns predicted class), with the class names.
// A class never predicted has precision 0, one never present recall 0 (scikit-learn's
// zero_division=0), and their F1 is 0.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace senti {

struct ClassReport {
  std::vector<std::string> classes;                // label k is classes[k]
  std::vector<std::vector<int64_t>> confusion;     // [true][predicted]
  std::vector<double> precision, recall, f1;       // per class
  std::vector<int64_t> support;                    // true documents per class
  double accuracy = 0, macro_f1 = 0;
  int64_t count = 0;

  // {"accuracy", "macro_f1", "per_class": {name: {precision, recall, f1, support}}, "confusion":
  // {"classes": [...], "matrix": [[...]]}}
  nlohmann::json to_json() const;
  // A fixed-width table: one line a class, then macro average and accuracy, then the matrix.
  std::string table() const;
};

// truth[i] and predicted[i] are class indices in [0, classes.size()).
ClassReport class_report(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted,
                         const std::vector<std::string>& classes);

// The class each row's probabilities predict: with one output (a two-class model: the probability
// of classes[1]) the metrics' decision rule p > 0.5, with K outputs the first maximum (argmax).
// probs: (N, outputs) row-major.
std::vector<int32_t> predicted_classes(const std::vector<float>& probs, int outputs = 1);
int32_t predicted_class(const float* probs, int outputs);
// The class indices of one row's K probabilities, most probable first (ties: lower index first).
std::vector<int32_t> classes_by_probability(const float* probs, int outputs);

}  // namespace senti
