#include "host/run/multilabel_report.h"

#include <algorithm>
#include <cstdio>

#include "host/run/class_report.h"
#include "kernels/common/error.h"

namespace senti {
namespace {

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }
double f1_of(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }

}  // namespace

std::vector<std::string> labels_above(const float* probs, const std::vector<std::string>& classes,
                                      double threshold) {
  std::vector<std::string> out;
  for (const int32_t k : classes_by_probability(probs, static_cast<int>(classes.size())))
    if (probs[k] > threshold) out.push_back(classes[static_cast<size_t>(k)]);
  return out;
}

void check_threshold(double threshold) {
  if (!(threshold > 0 && threshold < 1))
    SENTI_FAIL("--threshold must be a probability in (0, 1), got ", threshold);
}

MultiLabelReport multilabel_report(const std::vector<float>& probs,
                                   const std::vector<std::vector<int32_t>>& truth,
                                   const std::vector<std::string>& classes, double threshold) {
  const size_t K = classes.size(), N = truth.size();
  SENTI_CHECK(K > 0 && probs.size() == N * K, "multilabel_report: ", probs.size(), " probabilities for ", N,
              " documents of ", K, " labels");
  MultiLabelReport r;
  r.classes = classes;
  r.threshold = threshold;
  r.count = static_cast<int64_t>(N);
  std::vector<int64_t> tp(K, 0);
  r.support.assign(K, 0);
  r.predicted.assign(K, 0);
  int64_t exact = 0, top_hits = 0, true_labels = 0;
  std::vector<char> is_true(K);
  for (size_t i = 0; i < N; ++i) {
    std::fill(is_true.begin(), is_true.end(), 0);
    for (const int32_t c : truth[i]) {
      SENTI_CHECK(c >= 0 && static_cast<size_t>(c) < K, "multilabel_report: class ", c, " outside 0..", K - 1);
      is_true[static_cast<size_t>(c)] = 1;
    }
    const float* p = probs.data() + i * K;
    bool all_right = true;
    size_t top = 0;
    for (size_t k = 0; k < K; ++k) {
      const bool pred = p[k] > threshold;
      if (p[k] > p[top]) top = k;
      r.support[k] += is_true[k];
      r.predicted[k] += pred;
      tp[k] += pred && is_true[k];
      true_labels += is_true[k];
      all_right = all_right && pred == static_cast<bool>(is_true[k]);
    }
    exact += all_right;
    top_hits += is_true[top];
  }
  int64_t tp_all = 0, pred_all = 0;
  r.precision.resize(K), r.recall.resize(K), r.f1.resize(K);
  for (size_t k = 0; k < K; ++k) {
    r.precision[k] = ratio(static_cast<double>(tp[k]), static_cast<double>(r.predicted[k]));
    r.recall[k] = ratio(static_cast<double>(tp[k]), static_cast<double>(r.support[k]));
    r.f1[k] = f1_of(r.precision[k], r.recall[k]);
    r.macro_f1 += r.f1[k] / static_cast<double>(K);
    tp_all += tp[k];
    pred_all += r.predicted[k];
  }
  r.micro_precision = ratio(static_cast<double>(tp_all), static_cast<double>(pred_all));
  r.micro_recall = ratio(static_cast<double>(tp_all), static_cast<double>(true_labels));
  r.micro_f1 = f1_of(r.micro_precision, r.micro_recall);
  r.exact_match = ratio(static_cast<double>(exact), static_cast<double>(N));
  r.precision_at_1 = ratio(static_cast<double>(top_hits), static_cast<double>(N));
  r.recall_at_1 = ratio(static_cast<double>(top_hits), static_cast<double>(true_labels));
  return r;
}

nlohmann::json MultiLabelReport::to_json() const {
  nlohmann::json per = nlohmann::json::object();
  for (size_t k = 0; k < classes.size(); ++k)
    per[classes[k]] = {{"precision", precision[k]}, {"recall", recall[k]}, {"f1", f1[k]},
                       {"support", support[k]}, {"predicted", predicted[k]}};
  return {{"micro_f1", micro_f1},         {"macro_f1", macro_f1},
          {"micro_precision", micro_precision}, {"micro_recall", micro_recall},
          {"exact_match", exact_match},   {"precision_at_1", precision_at_1},
          {"recall_at_1", recall_at_1},   {"threshold", threshold},
          {"per_label", std::move(per)}};
}

std::string MultiLabelReport::table() const {
  size_t width = 9;
  for (const std::string& c : classes) width = std::max(width, c.size());
  width = std::min<size_t>(width, 40);
  const int w = static_cast<int>(width);
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%*s  precision  recall     f1  support  predicted  (p > %.2f)\n", w, "", threshold);
  out += line;
  for (size_t k = 0; k < classes.size(); ++k) {
    std::snprintf(line, sizeof line, "%*.*s  %9.4f  %6.4f  %.4f  %7lld  %9lld\n", w, w, classes[k].c_str(),
                  precision[k], recall[k], f1[k], static_cast<long long>(support[k]),
                  static_cast<long long>(predicted[k]));
    out += line;
  }
  std::snprintf(line, sizeof line, "%*s  %9.4f  %6.4f  %.4f\n", w, "micro avg", micro_precision, micro_recall, micro_f1);
  out += line;
  std::snprintf(line, sizeof line, "%*s  %25.4f\n", w, "macro f1", macro_f1);
  out += line;
  std::snprintf(line, sizeof line, "exact match %.4f - P@1 %.4f - R@1 %.4f (%lld documents)\n", exact_match,
                precision_at_1, recall_at_1, static_cast<long long>(count));
  out += line;
  return out;
}

}  // namespace senti
