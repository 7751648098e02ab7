#include "host/run/row_order.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "kernels/common/error.h"

namespace senti {

namespace {
// --limit keeps the first N of `order`; the last validation_split of those are validation.
SplitRows split_order(std::vector<int64_t> order, const TrainOptions& opts) {
  if (opts.limit > 0 && opts.limit < static_cast<int64_t>(order.size()))
    order.resize(static_cast<size_t>(opts.limit));
  const auto total = static_cast<int64_t>(order.size());
  const auto n_val = static_cast<int64_t>(std::llround(opts.validation_split * total));
  SplitRows r;
  r.train.assign(order.begin(), order.end() - n_val);
  r.validation.assign(order.end() - n_val, order.end());
  if (r.train.empty())
    SENTI_FAIL("no training reviews left: --limit ", opts.limit, " with --validation-split ",
               opts.validation_split);
  return r;
}
}  // namespace

SplitRows split_rows(int64_t n, const TrainOptions& opts) {
  validate_train_options(opts);
  SENTI_CHECK(opts.validation_split_by == "review",
              "split_rows: a split by movie needs the reviews' ids (pass the Split)");
  std::vector<int64_t> shuffled, unused;
  data::validation_split(n, 0.0, opts.seed, &shuffled, &unused);
  return split_order(std::move(shuffled), opts);
}

namespace {
// Real movies: --limit keeps the first N rows of data::movie_order, then validation is the tail
// from the movie boundary nearest to validation_split of them: whole movies on each side.
SplitRows split_by_movie(const data::Split& train, const TrainOptions& opts) {
  std::vector<size_t> starts;
  std::vector<int64_t> order = data::movie_order(train, opts.seed, &starts);
  if (opts.limit > 0 && opts.limit < static_cast<int64_t>(order.size()))
    order.resize(static_cast<size_t>(opts.limit));
  const size_t total = order.size();
  const auto n_val = static_cast<int64_t>(std::llround(opts.validation_split * static_cast<double>(total)));
  size_t cut = total;  // no validation unless a boundary comes nearer to n_val
  if (n_val > 0)
    for (const size_t c : starts) {
      if (c == 0 || c >= total) continue;
      const auto err = [&](size_t at) { return std::llabs(static_cast<int64_t>(total - at) - n_val); };
      if (err(c) < err(cut)) cut = c;
    }
  SplitRows r;
  r.train.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(cut));
  r.validation.assign(order.begin() + static_cast<std::ptrdiff_t>(cut), order.end());
  if (r.train.empty())
    SENTI_FAIL("no training reviews left: --limit ", opts.limit, " with --validation-split ",
               opts.validation_split);
  return r;
}
}  // namespace

const char* movie_grouping(const data::Split& train, bool movie_ids) {
  if (!train.movies.empty()) return kMoviesFromUrls;
  return movie_ids ? kMoviesFromIdBlocks : "";
}

SplitRows split_rows(const data::Split& train, const TrainOptions& opts) {
  validate_train_options(opts);
  if (opts.validation_split_by == "review") return split_rows(static_cast<int64_t>(train.size()), opts);
  if (!train.movies.empty()) return split_by_movie(train, opts);
  return split_order(data::movie_block_order(train, opts.seed), opts);
}

std::vector<int64_t> sample_rows(int64_t n, int64_t limit, uint64_t seed) {
  std::vector<int64_t> rows;
  if (limit < 0 || limit >= n) {
    rows.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) rows[static_cast<size_t>(i)] = i;
    return rows;
  }
  std::vector<int64_t> unused;
  data::validation_split(n, 0.0, seed, &rows, &unused);
  rows.resize(static_cast<size_t>(limit));
  return rows;
}

std::vector<int64_t> epoch_order(const std::vector<int64_t>& rows, uint64_t seed, int epoch) {
  std::vector<int64_t> out(rows);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch));
  for (size_t i = out.size(); i > 1; --i) {  // Fisher–Yates with an exact bounded draw
    const uint64_t bound = i, limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do x = rng(); while (x >= limit);
    std::swap(out[i - 1], out[x % bound]);
  }
  return out;
}

std::vector<int64_t> bucketed_order(const std::vector<int64_t>& shuffled, const data::Split& split,
                                    int batch_size, uint64_t seed, int epoch) {
  SENTI_CHECK(batch_size > 0, "bucketed_order: batch_size ", batch_size);
  std::vector<int64_t> rows(shuffled);
  const size_t window = static_cast<size_t>(batch_size) * kBucketWindowBatches;
  for (size_t w = 0; w < rows.size(); w += window)
    std::stable_sort(rows.begin() + static_cast<std::ptrdiff_t>(w),
                     rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), w + window)),
                     [&](int64_t a, int64_t b) {
                       return split.length(static_cast<size_t>(a)) < split.length(static_cast<size_t>(b));
                     });
  // Only the last window can end in a partial batch: it stays last, the full ones are shuffled.
  const size_t full = rows.size() / static_cast<size_t>(batch_size);
  const std::vector<int64_t> batch_order = epoch_order(
      [&] {
        std::vector<int64_t> ids(full);
        for (size_t i = 0; i < full; ++i) ids[i] = static_cast<int64_t>(i);
        return ids;
      }(),
      seed ^ 0xB0C4E7ull, epoch);
  std::vector<int64_t> out;
  out.reserve(rows.size());
  for (int64_t bi : batch_order)
    out.insert(out.end(), rows.begin() + bi * batch_size, rows.begin() + (bi + 1) * batch_size);
  out.insert(out.end(), rows.begin() + static_cast<std::ptrdiff_t>(full * batch_size), rows.end());
  return out;
}

}  // namespace senti
