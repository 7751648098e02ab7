#pragma once
// Putting a corpus's classes in a given order: `senti train --classes a,b,c` (the label order a
// user wants, e.g. Keras's `class_names`), and eval/resume reading data in a checkpoint's order.
#include <cstdint>
#include <string>
#include <vector>

#include "host/data/dataset.h"

namespace senti::data {

// Class names for messages: "a, b, c"; past max_names the rest as ", ... (N classes)".
std::string join_names(const std::vector<std::string>& names, size_t max_names = SIZE_MAX);

// "a,b,c" -> {"a", "b", "c"}; a UsageError naming `flag` for an empty name or a name given twice.
std::vector<std::string> parse_class_list(const std::string& list, const std::string& flag);

// Renumbers every split's labels so that corpus->classes becomes `order`. `order` must name exactly
// the corpus's classes (any order): a UsageError naming `flag` lists the missing or unknown names.
void order_classes(Corpus* corpus, const std::vector<std::string>& order, const std::string& flag);

// Each class's number of documents in `split` (K counts, label order).
std::vector<int64_t> class_counts(const Split& split, size_t classes);

}  // namespace senti::data
