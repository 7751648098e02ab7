// make_sequence, gather_batch, validation_split, movie_block_order and movie_order (dataset.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "kernels/common/error.h"
#include "host/data/dataset.h"

namespace senti::data {

void validate_sequence_options(const SequenceOptions& opts) {
  if (opts.maxlen < 1 || opts.maxlen > kMaxMaxlen)
    SENTI_FAIL_SETTING("maxlen", "must be a sequence length in 1..", kMaxMaxlen, ", got ", opts.maxlen);
}

// Keras pad_sequences semantics on [start] + ids: truncating Pre keeps the last maxlen entries
// (dropping the start token first), Post keeps the first maxlen; padding Pre puts the zeros in front.
int32_t make_sequence(const int32_t* ids, int64_t n, const SequenceOptions& opts, int32_t* out) {
  SENTI_CHECK(opts.maxlen >= 1, "make_sequence: maxlen must be >= 1, got ", opts.maxlen);
  SENTI_CHECK(n >= 0, "make_sequence: negative length ", n);
  const int64_t maxlen = opts.maxlen;
  const int64_t full = n + 1;  // with the start token
  const int64_t len = std::min(full, maxlen);
  // Entry j (0 <= j < len) of the kept window is full-sequence position first + j.
  const int64_t first = (full > maxlen && opts.truncating == Side::Pre) ? full - maxlen : 0;
  const int64_t pad = maxlen - len;
  int32_t* dst = opts.padding == Side::Pre ? out + pad : out;
  int64_t j = 0;
  if (first == 0) {
    dst[0] = kStartId;
    j = 1;
  }
  if (len > j) std::memcpy(dst + j, ids + (first + j - 1), static_cast<size_t>(len - j) * sizeof(int32_t));
  int32_t* pad_at = opts.padding == Side::Pre ? out : out + len;
  std::fill(pad_at, pad_at + pad, kPadId);
  return static_cast<int32_t>(len);
}

void gather_batch(const Split& split, const int64_t* rows, int n, const SequenceOptions& opts,
                  int32_t* ids, float* labels, int32_t* lengths, int label_width) {
  const bool multi_hot = !split.label_offsets.empty();
  SENTI_CHECK(multi_hot || label_width == 1, "gather_batch: ", label_width, " labels a row for single labels");
  for (int b = 0; b < n; ++b) {
    const int64_t r = rows[b];
    SENTI_CHECK(r >= 0 && static_cast<size_t>(r) < split.size(), "gather_batch: row ", r,
                " out of range [0, ", split.size(), ")");
    thread_local std::vector<int32_t> widened;  // a 16-bit cache view's ids as int32
    const int32_t* src = split.tokens.ids(split.offsets[r], static_cast<size_t>(split.length(r)), &widened);
    lengths[b] = make_sequence(src, split.length(r), opts, ids + static_cast<int64_t>(b) * opts.maxlen);
    if (!multi_hot) {
      labels[b] = static_cast<float>(split.labels[r]);
      continue;
    }
    float* row = labels + static_cast<int64_t>(b) * label_width;
    std::fill(row, row + label_width, 0.f);
    for (uint64_t k = split.label_offsets[r]; k < split.label_offsets[r + 1]; ++k) {
      const int32_t c = split.label_sets[k];
      SENTI_CHECK(c >= 0 && c < label_width, "gather_batch: class ", c, " outside 0..", label_width - 1);
      row[c] = 1.f;
    }
  }
}

namespace {
// Uniform integer in [0, bound) from mt19937_64 by rejection (unbiased, and - unlike
// std::uniform_int_distribution - the same on every standard library).
uint64_t uniform_below(std::mt19937_64& gen, uint64_t bound) {
  const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
  while (true) {
    const uint64_t r = gen();
    if (r >= threshold) return r % bound;
  }
}
}  // namespace

void validation_split(int64_t n, double fraction, uint64_t seed, std::vector<int64_t>* train_rows,
                      std::vector<int64_t>* val_rows) {
  if (!(fraction >= 0.0 && fraction < 1.0))
    SENTI_FAIL("--validation-split ", fraction, ": expected a fraction in [0, 1)");
  SENTI_CHECK(n >= 0, "validation_split: negative n ", n);
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  // Fisher-Yates, from the back: swap i with a uniform j in [0, i].
  std::mt19937_64 gen(seed);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(perm[i], perm[uniform_below(gen, static_cast<uint64_t>(i) + 1)]);
  const auto n_val = static_cast<int64_t>(std::llround(fraction * static_cast<double>(n)));
  train_rows->assign(perm.begin(), perm.end() - n_val);
  val_rows->assign(perm.end() - n_val, perm.end());
}

std::vector<int64_t> movie_block_order(const Split& split, uint64_t seed) {
  SENTI_CHECK(split.review_ids.size() == split.size(), "movie_block_order: ", split.review_ids.size(),
              " review ids for ", split.size(), " reviews");
  std::map<int32_t, std::vector<int64_t>> blocks[2];  // by class, then id block; ordered: seeded
  for (size_t r = 0; r < split.size(); ++r)
    blocks[split.labels[r] ? 1 : 0][split.review_ids[r] / kMovieBlockIds].push_back(
        static_cast<int64_t>(r));
  std::vector<const std::vector<int64_t>*> shuffled[2];
  for (int c = 0; c < 2; ++c) {
    std::vector<const std::vector<int64_t>*> in_order;
    for (const auto& kv : blocks[c]) in_order.push_back(&kv.second);
    std::vector<int64_t> perm, unused;  // the same seeded shuffle as validation_split, per class
    validation_split(static_cast<int64_t>(in_order.size()), 0.0, seed + static_cast<uint64_t>(c),
                     &perm, &unused);
    for (int64_t k : perm) shuffled[c].push_back(in_order[static_cast<size_t>(k)]);
  }
  // Row by row, pos then neg: any tail (--limit, --validation-split) is balanced between the
  // classes and is the tail of each class's block sequence, i.e. whole blocks but one per class.
  std::vector<int64_t> by_class[2];
  for (int c = 0; c < 2; ++c)
    for (const auto* block : shuffled[c])
      by_class[c].insert(by_class[c].end(), block->begin(), block->end());
  std::vector<int64_t> rows;
  rows.reserve(split.size());
  for (size_t k = 0; k < std::max(by_class[0].size(), by_class[1].size()); ++k)
    for (int c : {1, 0})
      if (k < by_class[c].size()) rows.push_back(by_class[c][k]);
  return rows;
}

std::vector<int64_t> movie_order(const Split& split, uint64_t seed, std::vector<size_t>* group_starts) {
  SENTI_CHECK(split.movies.size() == split.size(), "movie_order: ", split.movies.size(), " movies for ",
              split.size(), " reviews (the split has no urls files' movies)");
  // Groups in a fixed order: known movies by title number, then each unknown row on its own.
  std::map<int64_t, std::vector<int64_t>> groups;
  for (size_t r = 0; r < split.size(); ++r) {
    const int32_t m = split.movies[r];
    const int64_t key = m >= 0 ? int64_t{m} : (int64_t{1} << 40) + static_cast<int64_t>(r);
    groups[key].push_back(static_cast<int64_t>(r));
  }
  std::vector<const std::vector<int64_t>*> in_order;
  in_order.reserve(groups.size());
  for (const auto& kv : groups) in_order.push_back(&kv.second);
  std::vector<int64_t> perm, unused;  // the same seeded shuffle as validation_split
  validation_split(static_cast<int64_t>(in_order.size()), 0.0, seed, &perm, &unused);
  std::vector<int64_t> rows;
  rows.reserve(split.size());
  if (group_starts) group_starts->clear();
  for (int64_t k : perm) {
    if (group_starts) group_starts->push_back(rows.size());
    const std::vector<int64_t>& g = *in_order[static_cast<size_t>(k)];
    rows.insert(rows.end(), g.begin(), g.end());
  }
  return rows;
}

}  // namespace senti::data
