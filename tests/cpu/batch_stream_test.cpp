// The producer thread hands out every batch of a pass, in order, with the right padding, while
// reusing a small ring of slots.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "kernels/common/error.h"
#include "host/run/trainer.h"
#include "host/stream/batch_stream.h"

namespace senti {
namespace {

data::Split synthetic_split(int n) {
  data::Split s;
  s.offsets.push_back(0);
  for (int r = 0; r < n; ++r) {
    for (int k = 0; k < r % 7; ++k) s.tokens.push_back(3 + r);  // review r: (r % 7) copies of id 3+r
    s.offsets.push_back(s.tokens.size());
    s.labels.push_back(r % 2);
    s.review_ids.push_back(r);
    s.ratings.push_back(r % 2 ? 8 : 2);
  }
  return s;
}

std::shared_ptr<void> plain_alloc(size_t n) { return std::shared_ptr<void>(std::malloc(n), std::free); }

TEST(BatchStream, DeliversEveryRowInOrderWithPadding) {
  const data::Split split = synthetic_split(103);
  std::vector<int64_t> rows;
  for (int64_t r = 102; r >= 0; --r) rows.push_back(r);
  data::SequenceOptions seq;
  seq.maxlen = 5;
  auto slots = stream::make_slots(3, 10, seq.maxlen, plain_alloc);
  stream::BatchStream batches(split, rows, 10, seq, &slots);
  EXPECT_EQ(batches.num_batches(), 11);
  size_t seen = 0;
  while (const Batch* b = batches.next()) {
    ASSERT_EQ(b->maxlen, 5);
    ASSERT_EQ(b->batch, seen + 10 <= rows.size() ? 10 : static_cast<int>(rows.size() - seen));
    for (int i = 0; i < b->batch; ++i) {
      const int64_t r = rows[seen + i];
      const int n = static_cast<int>(r % 7);
      const int32_t* ids = b->ids + i * 5;
      EXPECT_EQ(ids[0], data::kStartId);
      for (int t = 1; t < 5; ++t) EXPECT_EQ(ids[t], t <= n ? 3 + r : data::kPadId) << "row " << r;
      EXPECT_EQ(b->lengths[i], std::min(n + 1, 5));
      EXPECT_EQ(b->labels[i], static_cast<float>(r % 2));
    }
    seen += b->batch;
  }
  EXPECT_EQ(seen, rows.size());
  EXPECT_EQ(batches.next(), nullptr);
}

TEST(BatchStream, StoppingEarlyDoesNotHang) {
  const data::Split split = synthetic_split(500);
  std::vector<int64_t> rows(500);
  for (int i = 0; i < 500; ++i) rows[i] = i;
  data::SequenceOptions seq;
  seq.maxlen = 8;
  auto slots = stream::make_slots(2, 4, seq.maxlen, plain_alloc);
  for (int k = 0; k < 20; ++k) {
    stream::BatchStream batches(split, rows, 4, seq, &slots);
    ASSERT_NE(batches.next(), nullptr);  // destroy mid-pass
  }
}

TEST(TrainerSplit, KerasStyleValidationAndLimit) {
  TrainOptions o;
  o.seed = 5;
  o.validation_split = 0.2;
  const SplitRows all = split_rows(1000, o);
  EXPECT_EQ(all.train.size(), 800u);
  EXPECT_EQ(all.validation.size(), 200u);
  std::set<int64_t> u(all.train.begin(), all.train.end());
  u.insert(all.validation.begin(), all.validation.end());
  EXPECT_EQ(u.size(), 1000u);
  // --limit takes the first N of the same shuffle, and validates on the last 20 % of those.
  o.limit = 100;
  const SplitRows lim = split_rows(1000, o);
  EXPECT_EQ(lim.train.size(), 80u);
  EXPECT_EQ(lim.validation.size(), 20u);
  EXPECT_TRUE(std::equal(lim.train.begin(), lim.train.end(), all.train.begin()));
  o.validation_split = 1.0;
  EXPECT_THROW(split_rows(1000, o), Error);
}

// aclImdb's layout: pos files by id 0..n-1, then neg files by id 0..n-1.
data::Split two_class_split(int per_class) {
  data::Split s;
  s.offsets.push_back(0);
  for (int label : {1, 0})
    for (int id = 0; id < per_class; ++id) {
      s.tokens.push_back(3 + id);
      s.offsets.push_back(s.tokens.size());
      s.labels.push_back(static_cast<int32_t>(label));
      s.review_ids.push_back(id);
      s.ratings.push_back(label ? 8 : 2);
    }
  return s;
}

TEST(TrainerSplit, ByMovieHoldsOutWholeIdBlocksOfBothClasses) {
  const int per_class = 5 * data::kMovieBlockIds;
  const data::Split split = two_class_split(per_class);
  TrainOptions o;
  o.seed = 7;
  o.validation_split = 0.2;
  o.validation_split_by = "movie";
  const SplitRows r = split_rows(split, o);
  ASSERT_EQ(r.train.size(), 8u * data::kMovieBlockIds);
  ASSERT_EQ(r.validation.size(), 2u * data::kMovieBlockIds);
  std::set<int64_t> all(r.train.begin(), r.train.end());
  all.insert(r.validation.begin(), r.validation.end());
  EXPECT_EQ(all.size(), split.size());
  // Every (class, id block) lies wholly on one side; validation has half of each class.
  auto block = [&](int64_t row) {
    return std::make_pair(int{split.labels[row]}, split.review_ids[row] / data::kMovieBlockIds);
  };
  std::set<std::pair<int, int32_t>> train_blocks, val_blocks;
  for (int64_t row : r.train) train_blocks.insert(block(row));
  int val_pos = 0;
  for (int64_t row : r.validation) {
    val_blocks.insert(block(row));
    val_pos += split.labels[row];
  }
  EXPECT_EQ(val_pos, data::kMovieBlockIds);
  EXPECT_EQ(val_blocks.size(), 2u);  // one whole block of each class
  for (const auto& b : val_blocks) EXPECT_EQ(train_blocks.count(b), 0u) << b.first << "/" << b.second;
  // Fixed by the seed, and the seed moves the held-out blocks.
  EXPECT_EQ(split_rows(split, o).validation, r.validation);
  std::set<std::pair<int, int32_t>> moved;
  for (uint64_t seed = 8; seed < 12; ++seed) {
    o.seed = seed;
    for (int64_t row : split_rows(split, o).validation) moved.insert(block(row));
  }
  EXPECT_GT(moved.size(), 2u);
  // --limit takes the head of the same order, still balanced.
  o.seed = 7;
  o.limit = 400;
  const SplitRows lim = split_rows(split, o);
  EXPECT_EQ(lim.validation.size(), 80u);
  int lim_pos = 0;
  for (int64_t row : lim.validation) lim_pos += split.labels[row];
  EXPECT_EQ(lim_pos, 40);
  // The count-only form cannot split by movie; "review" through the Split is the Keras split.
  EXPECT_THROW(split_rows(static_cast<int64_t>(split.size()), o), Error);
  o.validation_split_by = "review";
  EXPECT_EQ(split_rows(split, o).validation, split_rows(static_cast<int64_t>(split.size()), o).validation);
}

TEST(TrainerSplit, EpochOrderIsAPermutationFixedBySeedAndEpoch) {
  std::vector<int64_t> rows(257);
  for (int i = 0; i < 257; ++i) rows[i] = 1000 + i;
  const auto a = epoch_order(rows, 1, 1), b = epoch_order(rows, 1, 1);
  const auto c = epoch_order(rows, 1, 2), d = epoch_order(rows, 2, 1);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()), std::set<int64_t>(rows.begin(), rows.end()));
}

}  // namespace
}  // namespace senti
