#include "engine/cpu/packed_sequences.h"

#include <algorithm>
#include <numeric>

#include "kernels/common/error.h"

namespace senti::cpu {

void PackedSequences::build(const int32_t* lengths, int B, int T, int members_per_group) {
  SENTI_CHECK(B >= 1 && T >= 1 && members_per_group >= 1, "PackedSequences: bad shape");
  batch = B;
  len.assign(static_cast<size_t>(B), T);
  if (lengths)
    for (int b = 0; b < B; ++b) {
      SENTI_CHECK(lengths[b] >= 1 && lengths[b] <= T, "length ", lengths[b], " of batch row ", b,
                  " outside 1..", T);
      len[static_cast<size_t>(b)] = lengths[b];
    }
  std::vector<int32_t> by_length(static_cast<size_t>(B));
  std::iota(by_length.begin(), by_length.end(), 0);
  std::stable_sort(by_length.begin(), by_length.end(),
                   [&](int32_t a, int32_t b) { return len[a] > len[b]; });

  groups = (B + members_per_group - 1) / members_per_group;
  first.assign(static_cast<size_t>(groups) + 1, 0);
  for (int g = 0; g < groups; ++g)  // rank r goes to group r % groups
    first[g + 1] = first[g] + (B - g + groups - 1) / groups;
  order.resize(static_cast<size_t>(B));
  for (int r = 0; r < B; ++r) order[static_cast<size_t>(first[r % groups] + r / groups)] = by_length[r];

  steps.resize(static_cast<size_t>(groups));
  step0.assign(static_cast<size_t>(groups) + 1, 0);
  for (int g = 0; g < groups; ++g) {
    steps[g] = len[order[first[g]]];
    step0[g + 1] = step0[g] + steps[g];
  }
  active.resize(static_cast<size_t>(step0[groups]));
  row_start.resize(static_cast<size_t>(step0[groups]));
  rows = 0;
  for (int g = 0; g < groups; ++g) {
    int n = members(g);
    for (int s = 0; s < steps[g]; ++s) {
      while (n > 0 && len[order[first[g] + n - 1]] <= s) --n;  // members sorted longest first
      active[static_cast<size_t>(step0[g] + s)] = n;
      row_start[static_cast<size_t>(step0[g] + s)] = rows;
      rows += n;
    }
  }
  mirror.resize(static_cast<size_t>(rows));
  for (int g = 0; g < groups; ++g)
    for (int s = 0; s < steps[g]; ++s)
      for (int j = 0, n = active_at(g, s); j < n; ++j) {
        const int L = len[order[first[g] + j]];
        mirror[static_cast<size_t>(row(g, s) + j)] = row(g, L - 1 - s) + j;
      }
}

}  // namespace senti::cpu
