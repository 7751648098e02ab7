#include "host/data/corpus_stats.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace senti::data {

SplitStats split_stats(const Split& split, int maxlen, size_t num_classes) {
  SplitStats s;
  s.per_class.assign(num_classes, 0);
  s.reviews = static_cast<int64_t>(split.size());
  if (s.reviews == 0) return s;
  std::vector<int64_t> lengths(split.size());
  int64_t truncated = 0, total = 0;
  for (size_t r = 0; r < split.size(); ++r) {
    lengths[r] = split.length(r) + 1;
    total += lengths[r];
    truncated += lengths[r] > maxlen;
    if (split.labels[r] >= 0 && static_cast<size_t>(split.labels[r]) < num_classes) ++s.per_class[split.labels[r]];
  }
  s.tokens = static_cast<int64_t>(split.tokens.size());
  s.oov_tokens = std::count(split.tokens.begin(), split.tokens.end(), kOovId);
  std::sort(lengths.begin(), lengths.end());
  const size_t n = lengths.size();
  s.mean_length = static_cast<double>(total) / static_cast<double>(n);
  s.median_length = lengths[(n - 1) / 2];
  s.p90_length = lengths[static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n))) - 1];
  s.max_length = lengths.back();
  s.truncated_share = static_cast<double>(truncated) / static_cast<double>(n);
  return s;
}

}  // namespace senti::data
