#include "host/data/class_order.h"

#include <algorithm>

#include "kernels/common/error.h"

namespace senti::data {

std::string join_names(const std::vector<std::string>& names, size_t max_names) {
  std::string out;
  for (size_t k = 0; k < names.size() && k < max_names; ++k) out += (k ? ", " : "") + names[k];
  if (names.size() > max_names) out += ", ... (" + std::to_string(names.size()) + " classes)";
  return out;
}

std::vector<std::string> parse_class_list(const std::string& list, const std::string& flag) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name.empty())
      SENTI_FAIL(flag, ": expected class names separated by commas (a,b,c), got '", list, "' (an empty name)");
    if (std::find(names.begin(), names.end(), name) != names.end())
      SENTI_FAIL(flag, ": the class '", name, "' is named twice in '", list, "'");
    names.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

void order_classes(Corpus* corpus, const std::vector<std::string>& order, const std::string& flag) {
  std::vector<std::string> missing, unknown;
  for (const std::string& c : corpus->classes)
    if (std::find(order.begin(), order.end(), c) == order.end()) missing.push_back(c);
  for (const std::string& c : order)
    if (std::find(corpus->classes.begin(), corpus->classes.end(), c) == corpus->classes.end()) unknown.push_back(c);
  if (!missing.empty() || !unknown.empty())
    SENTI_FAIL(flag, ": expected exactly the training data's classes (", join_names(corpus->classes), ") in some order",
               missing.empty() ? "" : "; missing: " + join_names(missing),
               unknown.empty() ? "" : "; not a class of the training data: " + join_names(unknown));
  if (order == corpus->classes) return;
  std::vector<int32_t> new_id(corpus->classes.size());
  for (size_t k = 0; k < corpus->classes.size(); ++k)
    new_id[k] = static_cast<int32_t>(std::find(order.begin(), order.end(), corpus->classes[k]) - order.begin());
  for (Split* s : {&corpus->train, &corpus->validation, &corpus->test}) {
    for (int32_t& y : s->labels) y = new_id[static_cast<size_t>(y)];
    for (int32_t& y : s->label_sets) y = new_id[static_cast<size_t>(y)];
    for (size_t r = 0; r + 1 < s->label_offsets.size(); ++r) {  // sets stay ascending, label first
      auto* first = s->label_sets.data() + s->label_offsets[r];
      auto* last = s->label_sets.data() + s->label_offsets[r + 1];
      std::sort(first, last);
      s->labels[r] = *first;
    }
  }
  corpus->classes = order;
}

std::vector<int64_t> class_counts(const Split& split, size_t classes) {
  std::vector<int64_t> n(classes, 0);
  for (const int32_t y : split.labels)
    if (y >= 0 && static_cast<size_t>(y) < classes) ++n[static_cast<size_t>(y)];
  return n;
}

}  // namespace senti::data
