#pragma once
// The synthetic batches the CUDA backend tests feed to both backends: host memory shaped like the
// real data pipeline's output (pad_sequences with a start token).
#include <cstdint>
#include <random>
#include <vector>

#include "engine/batch.h"

namespace senti::test {

struct HostBatch {
  std::vector<int32_t> ids, lengths;
  std::vector<float> labels;
  int B = 0, T = 0;
  PadSide padding = PadSide::Post;
  Batch view() const { return Batch{ids.data(), labels.data(), lengths.data(), B, T, padding}; }
};

// Start token 1, ids in [2, V) (repeats likely when V is small), a random true length per row
// (row 0 the full T, row 1 length 1: both extremes in every batch of B >= 2), 0 at the padded
// positions on `padding`'s side.
inline HostBatch make_batch(int B, int T, int V, uint64_t seed, PadSide padding = PadSide::Post) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> id(2, V - 1);
  std::uniform_int_distribution<int> len(1, T);
  HostBatch h;
  h.B = B, h.T = T, h.padding = padding;
  h.ids.assign(static_cast<size_t>(B) * T, 0);
  for (int b = 0; b < B; ++b) {
    const int n = b == 0 ? T : b == 1 ? 1 : len(rng);
    h.lengths.push_back(n);
    h.labels.push_back(static_cast<float>(rng() % 2));
    const int first = padding == PadSide::Pre ? T - n : 0;
    for (int k = 0; k < n; ++k) h.ids[static_cast<size_t>(b) * T + first + k] = k == 0 ? 1 : id(rng);
  }
  return h;
}

}  // namespace senti::test
