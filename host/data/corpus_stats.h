#pragma once
// Summary numbers of a split for `senti prepare`'s report: counts, class balance and the
// distribution of sequence lengths (start token included, i.e. what make_sequence sees).
#include <cstdint>
#include <vector>

#include "host/data/dataset.h"

namespace senti::data {

struct SplitStats {
  int64_t reviews = 0;
  std::vector<int64_t> per_class;  // documents of each class (index = label)
  int64_t tokens = 0;        // word ids, start tokens excluded
  int64_t oov_tokens = 0;    // ids == 2
  double mean_length = 0;    // with the start token
  int64_t median_length = 0; // lower median
  int64_t p90_length = 0;    // nearest-rank 90th percentile
  int64_t max_length = 0;
  double truncated_share = 0;  // share of reviews longer than maxlen
};

SplitStats split_stats(const Split& split, int maxlen, size_t num_classes);

}  // namespace senti::data
