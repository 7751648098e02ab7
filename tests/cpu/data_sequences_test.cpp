// make_sequence / gather_batch (Keras pad_sequences semantics) and the deterministic validation split.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/common/error.h"
#include "host/data/dataset.h"

namespace senti::data {
namespace {

std::vector<int32_t> seq(const std::vector<int32_t>& ids, int maxlen, Side padding, Side truncating,
                         int32_t* len = nullptr) {
  SequenceOptions o;
  o.maxlen = maxlen;
  o.padding = padding;
  o.truncating = truncating;
  std::vector<int32_t> out(static_cast<size_t>(maxlen), -7);
  const int32_t n = make_sequence(ids.data(), static_cast<int64_t>(ids.size()), o, out.data());
  if (len) *len = n;
  return out;
}

using V = std::vector<int32_t>;

TEST(MakeSequence, PadsShortReviews) {
  int32_t len = 0;
  EXPECT_EQ(seq({5, 6}, 5, Side::Post, Side::Post, &len), (V{1, 5, 6, 0, 0}));
  EXPECT_EQ(len, 3);
  EXPECT_EQ(seq({5, 6}, 5, Side::Pre, Side::Post, &len), (V{0, 0, 1, 5, 6}));
  EXPECT_EQ(len, 3);
  // An empty review is just the start token.
  EXPECT_EQ(seq({}, 3, Side::Post, Side::Post, &len), (V{1, 0, 0}));
  EXPECT_EQ(len, 1);
  EXPECT_EQ(seq({5, 6, 7}, 4, Side::Post, Side::Pre, &len), (V{1, 5, 6, 7}));  // exact fit
  EXPECT_EQ(len, 4);
}

TEST(MakeSequence, TruncatesLikeKeras) {
  int32_t len = 0;
  // [1, 5, 6, 7, 8] to 3: post keeps the front, pre keeps the back (the start token is cut).
  EXPECT_EQ(seq({5, 6, 7, 8}, 3, Side::Post, Side::Post, &len), (V{1, 5, 6}));
  EXPECT_EQ(len, 3);
  EXPECT_EQ(seq({5, 6, 7, 8}, 3, Side::Pre, Side::Pre, &len), (V{6, 7, 8}));
  EXPECT_EQ(len, 3);
  EXPECT_EQ(seq({5, 6, 7, 8}, 1, Side::Post, Side::Post), (V{1}));
  EXPECT_EQ(seq({5, 6, 7, 8}, 1, Side::Post, Side::Pre), (V{8}));
}

TEST(GatherBatch, BuildsRowsLabelsAndLengths) {
  Split s;
  s.offsets = {0, 3, 3, 5};
  s.tokens = {10, 11, 12, 20, 21};
  s.labels = {1, 0, 1};
  s.review_ids = {0, 1, 2};
  s.ratings = {9, 2, 8};
  SequenceOptions o;
  o.maxlen = 3;
  const int64_t rows[3] = {2, 1, 0};
  std::vector<int32_t> ids(9);
  float labels[3];
  int32_t lengths[3];
  gather_batch(s, rows, 3, o, ids.data(), labels, lengths);
  EXPECT_EQ(ids, (V{1, 20, 21, 1, 0, 0, 1, 10, 11}));
  EXPECT_EQ(std::vector<float>(labels, labels + 3), (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(V(lengths, lengths + 3), (V{3, 1, 3}));
  const int64_t bad[1] = {3};
  EXPECT_THROW(gather_batch(s, bad, 1, o, ids.data(), labels, lengths), Error);
}

TEST(ValidationSplit, PartitionsDeterministically) {
  std::vector<int64_t> tr, va, tr2, va2, tr3, va3;
  validation_split(25000, 0.2, 1337, &tr, &va);
  EXPECT_EQ(tr.size(), 20000u);
  EXPECT_EQ(va.size(), 5000u);
  std::vector<int64_t> all(tr);
  all.insert(all.end(), va.begin(), va.end());
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expect(25000);
  std::iota(expect.begin(), expect.end(), 0);
  EXPECT_EQ(all, expect);  // a partition of 0..n-1
  validation_split(25000, 0.2, 1337, &tr2, &va2);
  EXPECT_EQ(tr, tr2);
  EXPECT_EQ(va, va2);
  validation_split(25000, 0.2, 1338, &tr3, &va3);
  EXPECT_NE(va, va3);
  // The shuffle mixes the pos-then-neg order: both classes land in validation in fair shares.
  const auto pos_in_val = std::count_if(va.begin(), va.end(), [](int64_t r) { return r < 12500; });
  EXPECT_GT(pos_in_val, 2300);
  EXPECT_LT(pos_in_val, 2700);
  // The documented algorithm, written out independently: Fisher-Yates from the back with
  // mt19937_64 (whose output sequence the C++ standard fixes) and rejection sampling.
  std::mt19937_64 gen(42);
  std::vector<int64_t> perm(7);
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = 6; i > 0; --i) {
    const uint64_t bound = static_cast<uint64_t>(i) + 1;
    uint64_t r;
    do r = gen(); while (r < (0 - bound) % bound);
    std::swap(perm[i], perm[r % bound]);
  }
  std::vector<int64_t> t, v;
  validation_split(7, 0.3, 42, &t, &v);  // round(2.1) = 2 validation rows
  EXPECT_EQ(t, std::vector<int64_t>(perm.begin(), perm.begin() + 5));
  EXPECT_EQ(v, std::vector<int64_t>(perm.begin() + 5, perm.end()));
  std::mt19937_64 standard;
  standard.discard(9999);
  EXPECT_EQ(standard(), 9981545732273789042ull);  // [rand.predef]: the generator is portable
  validation_split(10, 0.0, 1, &t, &v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(t.size(), 10u);
  EXPECT_THROW(validation_split(10, 1.0, 1, &t, &v), UsageError);
  EXPECT_THROW(validation_split(10, -0.1, 1, &t, &v), UsageError);
}

}  // namespace
}  // namespace senti::data
