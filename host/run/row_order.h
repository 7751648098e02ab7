#pragma once
// Which rows an epoch trains and evaluates, in which order: the validation split, evaluation
// samples, the per-epoch shuffle and length buckets. Pure functions of (sizes, options, seed,
// epoch), so a resumed run and every rank of a data-parallel run get the same order.
#include <cstdint>
#include <vector>

#include "host/data/dataset.h"
#include "host/run/train_options.h"

namespace senti {

// Which training reviews are trained on and which validate: Keras style (the tail of a seeded
// shuffle of the reviews), or with validation_split_by "movie" whole movies: the real ones
// (data::movie_order, cut at a movie boundary, so that train and validation share no movie) when
// the split has them (Split::movies, from aclImdb's urls files), else the tail of
// data::movie_block_order (id blocks, an approximation). The first form knows only the count, so
// it takes review splits only.
struct SplitRows {
  std::vector<int64_t> train, validation;
};
SplitRows split_rows(int64_t num_train_reviews, const TrainOptions& opts);
SplitRows split_rows(const data::Split& train, const TrainOptions& opts);

// What a split by movie groups `train` by: kMoviesFromUrls (real movies: Split::movies is filled),
// kMoviesFromIdBlocks (aclImdb ids without urls files: movie_ids), or "" (neither: by review).
constexpr const char* kMoviesFromUrls = "urls";
constexpr const char* kMoviesFromIdBlocks = "id-blocks";
const char* movie_grouping(const data::Split& train, bool movie_ids);

// Rows to evaluate out of a split of n reviews: all of them in order when limit < 0 or >= n, else
// a seeded sample of `limit` (the files are ordered pos then neg, so the first N would be one class).
std::vector<int64_t> sample_rows(int64_t n, int64_t limit, uint64_t seed);

// The order of the training rows in `epoch` (1-based): a Fisher–Yates shuffle seeded by (seed, epoch).
std::vector<int64_t> epoch_order(const std::vector<int64_t>& rows, uint64_t seed, int epoch);

// Length-bucketed batches (--bucket): the epoch's shuffled order cut into windows of
// kBucketWindowBatches batches, each window sorted by review length (stable) and cut into
// batches, then the full batches shuffled (seeded by seed and epoch) and the one partial batch, if
// any, put last. Consecutive batch_size rows of the result are one batch of similar lengths.
constexpr int kBucketWindowBatches = 50;
std::vector<int64_t> bucketed_order(const std::vector<int64_t>& shuffled, const data::Split& split,
                                    int batch_size, uint64_t seed, int epoch);

}  // namespace senti
