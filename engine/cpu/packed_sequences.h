#pragma once
// The layout the CPU LSTM walks a batch in: only real tokens, each row stopping at its length
// (PyTorch's packed sequences, cut into groups for threads).
//
// Samples are sorted by length, longest first (stable), and dealt round-robin into `groups`
// groups of about `members_per_group`, so every group gets a similar share of the tokens whatever
// the length mix. Within a group, members are in that order, so the members still running at
// step s are a prefix of the group: active(g, s) of them. Rows (one per real token) are numbered
// group by group, step by step within a group, member by member within a step:
//   row(g, s, j) = row0(g, s) + j,   j < active(g, s).
// Group boundaries depend on the lengths only, never on the thread count, so results do not
// either. Without a mask every length is T and this is the padded layout in another order.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace senti::cpu {

struct PackedSequences {
  int batch = 0, groups = 0;
  int64_t rows = 0;              // N: real tokens in the batch
  std::vector<int32_t> len;      // (B) per sample
  std::vector<int32_t> order;    // (B) member m -> sample b; group g holds members [first[g], first[g+1])
  std::vector<int32_t> first;    // (groups + 1)
  std::vector<int32_t> steps;    // (groups) the group's longest length
  std::vector<int64_t> step0;    // (groups + 1) index of the group's step 0 in active / row_start
  std::vector<int32_t> active;   // members running at each step, all groups' steps in a row
  std::vector<int64_t> row_start;// first row of each step, same indexing
  std::vector<int64_t> mirror;   // (N) row(g, len-1-s, j) for row(g, s, j): the same token in the
                                 // other direction's reading order

  // lengths: (B) each in 1..T, or null for "all T" (no mask).
  void build(const int32_t* lengths, int B, int T, int members_per_group);

  int active_at(int g, int s) const {
    return s < steps[static_cast<size_t>(g)] ? active[static_cast<size_t>(step0[g] + s)] : 0;
  }
  int64_t row(int g, int s) const { return row_start[static_cast<size_t>(step0[g] + s)]; }
  int members(int g) const { return first[g + 1] - first[g]; }
};

}  // namespace senti::cpu
