#include "host/run/class_report.h"

#include <algorithm>
#include <cstdio>

#include "host/run/predictor.h"
#include "kernels/common/error.h"

namespace senti {

ClassReport class_report(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted,
                         const std::vector<std::string>& classes) {
  SENTI_CHECK(truth.size() == predicted.size(), "class_report: ", truth.size(), " labels, ", predicted.size(),
              " predictions");
  const size_t k = classes.size();
  ClassReport r;
  r.classes = classes;
  r.confusion.assign(k, std::vector<int64_t>(k, 0));
  for (size_t i = 0; i < truth.size(); ++i) {
    SENTI_CHECK(truth[i] >= 0 && static_cast<size_t>(truth[i]) < k && predicted[i] >= 0 &&
                    static_cast<size_t>(predicted[i]) < k,
                "class_report: class index out of range at ", i);
    ++r.confusion[static_cast<size_t>(truth[i])][static_cast<size_t>(predicted[i])];
  }
  r.count = static_cast<int64_t>(truth.size());
  int64_t correct = 0;
  for (size_t c = 0; c < k; ++c) {
    int64_t predicted_as_c = 0, true_c = 0;
    for (size_t o = 0; o < k; ++o) {
      predicted_as_c += r.confusion[o][c];
      true_c += r.confusion[c][o];
    }
    const int64_t tp = r.confusion[c][c];
    correct += tp;
    const double p = predicted_as_c ? static_cast<double>(tp) / static_cast<double>(predicted_as_c) : 0.0;
    const double rc = true_c ? static_cast<double>(tp) / static_cast<double>(true_c) : 0.0;
    r.precision.push_back(p);
    r.recall.push_back(rc);
    r.f1.push_back(p + rc > 0 ? 2 * p * rc / (p + rc) : 0.0);
    r.support.push_back(true_c);
  }
  r.accuracy = r.count ? static_cast<double>(correct) / static_cast<double>(r.count) : 0.0;
  double sum = 0;
  for (double f : r.f1) sum += f;
  r.macro_f1 = k ? sum / static_cast<double>(k) : 0.0;
  return r;
}

int32_t predicted_class(const float* probs, int outputs) {
  if (outputs == 1) return is_positive(probs[0]) ? 1 : 0;
  int32_t arg = 0;
  for (int k = 1; k < outputs; ++k)
    if (probs[k] > probs[arg]) arg = k;
  return arg;
}

std::vector<int32_t> classes_by_probability(const float* probs, int outputs) {
  std::vector<int32_t> order(static_cast<size_t>(outputs));
  for (int32_t k = 0; k < outputs; ++k) order[static_cast<size_t>(k)] = k;
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return probs[a] > probs[b]; });
  return order;
}

std::vector<int32_t> predicted_classes(const std::vector<float>& probs, int outputs) {
  std::vector<int32_t> out(probs.size() / static_cast<size_t>(outputs));
  for (size_t i = 0; i < out.size(); ++i) out[i] = predicted_class(probs.data() + i * outputs, outputs);
  return out;
}

nlohmann::json ClassReport::to_json() const {
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < classes.size(); ++c)
    per_class[classes[c]] = {{"precision", precision[c]}, {"recall", recall[c]}, {"f1", f1[c]}, {"support", support[c]}};
  return {{"accuracy", accuracy},
          {"macro_f1", macro_f1},
          {"per_class", per_class},
          {"confusion", {{"classes", classes}, {"matrix", confusion}, {"rows", "true"}, {"columns", "predicted"}}}};
}

std::string ClassReport::table() const {
  size_t width = 9;  // "macro avg"
  for (const std::string& c : classes) width = std::max(width, c.size());
  width = std::min<size_t>(width, 40);
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%*s  precision  recall     f1  support\n", static_cast<int>(width), "");
  out += line;
  for (size_t c = 0; c < classes.size(); ++c) {
    std::snprintf(line, sizeof line, "%*.*s  %9.4f  %6.4f  %.4f  %7lld\n", static_cast<int>(width),
                  static_cast<int>(width), classes[c].c_str(), precision[c], recall[c], f1[c],
                  static_cast<long long>(support[c]));
    out += line;
  }
  double mp = 0, mr = 0;
  for (size_t c = 0; c < classes.size(); ++c) mp += precision[c], mr += recall[c];
  const double k = classes.empty() ? 1.0 : static_cast<double>(classes.size());
  std::snprintf(line, sizeof line, "%*s  %9.4f  %6.4f  %.4f  %7lld\n", static_cast<int>(width), "macro avg",
                mp / k, mr / k, macro_f1, static_cast<long long>(count));
  out += line;
  std::snprintf(line, sizeof line, "%*s  %25.4f  %7lld\n", static_cast<int>(width), "accuracy", accuracy,
                static_cast<long long>(count));
  out += line;
  out += "confusion matrix (rows: true class, columns: predicted class)\n";
  std::snprintf(line, sizeof line, "%*s", static_cast<int>(width), "");
  out += line;
  for (const std::string& c : classes) {
    std::snprintf(line, sizeof line, " %10.10s", c.c_str());
    out += line;
  }
  out += "\n";
  for (size_t t = 0; t < classes.size(); ++t) {
    std::snprintf(line, sizeof line, "%*.*s", static_cast<int>(width), static_cast<int>(width), classes[t].c_str());
    out += line;
    for (int64_t v : confusion[t]) {
      std::snprintf(line, sizeof line, " %10lld", static_cast<long long>(v));
      out += line;
    }
    out += "\n";
  }
  return out;
}

}  // namespace senti
