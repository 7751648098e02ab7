#include "host/run/class_weights.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "host/data/class_order.h"
#include "kernels/common/error.h"

namespace senti {

void choose_head(size_t classes, bool multi_label, ModelConfig* m) {
  m->classes = static_cast<int>(classes);
  m->head = multi_label ? Head::MultiLabel : classes == 2 ? Head::Sigmoid : Head::Softmax;
}

std::vector<float> class_weights_from_flag(const std::string& spec,
                                           const std::vector<std::string>& classes,
                                           const std::vector<int64_t>& train_counts) {
  const size_t K = classes.size();
  if (spec.empty()) return {};
  std::vector<float> w(K, 1.f);
  if (spec == "balanced") {
    int64_t n = 0;
    for (const int64_t c : train_counts) n += c;
    for (size_t k = 0; k < K; ++k) {
      if (train_counts[k] == 0)
        SENTI_FAIL("--class-weight balanced: the class '", classes[k],
                   "' has no training documents, so its weight n / (K n_k) is undefined");
      w[k] = static_cast<float>(static_cast<double>(n) / (static_cast<double>(K) * train_counts[k]));
    }
    return w;
  }
  std::vector<bool> given(K, false);
  size_t start = 0;
  while (true) {
    const size_t comma = spec.find(',', start);
    const std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t eq = item.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      SENTI_FAIL("--class-weight: expected balanced or class=weight pairs separated by commas "
                 "(e.g. neg=1,pos=3), got '", item, "'");
    const std::string name = item.substr(0, eq), number = item.substr(eq + 1);
    const auto it = std::find(classes.begin(), classes.end(), name);
    if (it == classes.end())
      SENTI_FAIL("--class-weight: '", name, "' is not a class of the training data (",
                 data::join_names(classes), ")");
    const size_t k = static_cast<size_t>(it - classes.begin());
    if (given[k]) SENTI_FAIL("--class-weight: the class '", name, "' is given twice");
    given[k] = true;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(number.c_str(), &end);
    if (*end != '\0' || errno == ERANGE || !std::isfinite(v) || v <= 0 || v > 1e6)
      SENTI_FAIL("--class-weight: the weight of '", name, "' must be a number in (0, 1e6], got '", number, "'");
    w[k] = static_cast<float>(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return w;
}

}  // namespace senti
