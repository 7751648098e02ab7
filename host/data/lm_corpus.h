#pragma once
// The corpus `senti pretrain` trains its language model on: every training document's text (labels
// dropped) followed by every unlabeled document (Corpus::unlabeled), as one training split; no
// validation, test or classes (the trainer holds out --validation-split of it by review). The test
// split's text is never part of it.
#include "host/data/dataset.h"

namespace senti::data {

// Throws UsageError when there is no text at all to learn from.
Corpus language_model_corpus(const Corpus& corpus);

}  // namespace senti::data
