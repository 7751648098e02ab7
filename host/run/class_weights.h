#pragma once
// The classifier head a corpus needs, and Keras-style class weights (`--class-weight`).
#include <string>
#include <vector>

#include "engine/model_config.h"

namespace senti {

// K classes: the sigmoid head for 2 (the seed model's Dense(1)), softmax for more; multi_label:
// K sigmoids whatever K. Sets m->head and m->classes.
void choose_head(size_t classes, bool multi_label, ModelConfig* m);

// The value of --class-weight for classes with the given training counts:
//   ""                   none (an empty vector)
//   "balanced"           n / (K n_k), scikit-learn's compute_class_weight("balanced")
//   "name=w,name=w,..."  the named classes' weights, every other class 1 (Keras class_weight)
// A UsageError naming --class-weight for a bad number, an unknown or repeated class, a weight that
// is not finite and > 0, or "balanced" with a class that has no training documents.
std::vector<float> class_weights_from_flag(const std::string& spec,
                                           const std::vector<std::string>& classes,
                                           const std::vector<int64_t>& train_counts);

}  // namespace senti
