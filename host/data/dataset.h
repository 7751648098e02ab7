#pragma once
// The IMDB corpus as the trainer sees it: each review's word ids (Keras id scheme, capped to
// num_words) without padding, plus the helpers that turn reviews into padded (B, T) batches.
//
// Id scheme (Keras imdb.load_data): 0 padding, 1 start, 2 out-of-vocabulary, 3.. words by frequency
// rank (rank 1 -> id 3); every id < num_words (rarer words become 2).
#include <cstdint>
#include <string>
#include <vector>

#include "host/data/id_column.h"

namespace senti::data {

constexpr int32_t kPadId = 0;
constexpr int32_t kStartId = 1;
constexpr int32_t kOovId = 2;
constexpr int32_t kFirstWordId = 3;

enum class Side { Pre, Post };  // Keras pad_sequences `padding` / `truncating`

struct SequenceOptions {
  int maxlen = 500;             // T
  Side padding = Side::Post;    // seed recipe: post
  Side truncating = Side::Post; // seed recipe: post
};

// The longest padded sequence: 20x the longest IMDB review, small enough that batches of it fit.
constexpr int kMaxMaxlen = 1 << 16;

// The one owner of the sequence rules (flags and checkpoint metadata): InvalidSetting "maxlen"
// unless 1 <= maxlen <= kMaxMaxlen.
void validate_sequence_options(const SequenceOptions& opts);

// One split (train, validation or test): documents in a fixed order (aclImdb: pos files by id,
// then neg files by id; other sources: the order of their files and lines).
struct Split {
  std::vector<uint64_t> offsets;  // (N+1) review r's ids are tokens[offsets[r] .. offsets[r+1])
  IdColumn tokens;                // word ids, no start token, no padding (owned, or a view of a
                                  // memory-mapped token cache: id_column.h)
  std::vector<int32_t> labels;    // (N) class index into Corpus::classes (aclImdb: 1 = pos, 0 = neg);
                                  // multi-label: the document's first (smallest) class
  // Multi-label corpora only (else empty): document r's classes, ascending and distinct, are
  // label_sets[label_offsets[r] .. label_offsets[r+1]).
  std::vector<uint64_t> label_offsets;  // (N+1)
  std::vector<int32_t> label_sets;
  std::vector<int32_t> review_ids;// (N) aclImdb: the <id> of <id>_<rating>.txt; other sources: the row
                                  // (Corpus::unlabeled: the same; its labels are all -1)
  std::vector<uint8_t> ratings;   // (N) aclImdb: the star rating of the file name; other sources: 0
  // (N) the IMDb title number of each review's movie (tt0018515 -> 18515; -1 unknown), from
  // aclImdb's urls_*.txt files; EMPTY when the input has no urls files for this split.
  std::vector<int32_t> movies;
  size_t size() const { return labels.size(); }
  // Document r's classes: its label set (multi-label), else {labels[r]}.
  std::vector<int32_t> label_set(size_t r) const {
    if (label_offsets.empty()) return {labels[r]};
    return std::vector<int32_t>(label_sets.begin() + static_cast<std::ptrdiff_t>(label_offsets[r]),
                                label_sets.begin() + static_cast<std::ptrdiff_t>(label_offsets[r + 1]));
  }
  int64_t length(size_t r) const { return static_cast<int64_t>(offsets[r + 1] - offsets[r]); }
};

// Vocabulary: words[k] has id k + kFirstWordId; only ids < num_words are kept.
struct Vocabulary {
  int num_words = 10000;
  std::vector<std::string> words;   // words by id - 3
  // "train-split", "train+unlabeled" (VocabularyOptions::include_unlabeled) or
  // "keras-word-index:<file>"
  std::string source;
  uint64_t hash() const;            // FNV-1a over num_words, source kind and the words
};

// aclImdb's classes, in index order: sorted names, as Keras's text_dataset_from_directory orders
// class folders, so neg = 0 and pos = 1.
inline std::vector<std::string> imdb_classes() { return {"neg", "pos"}; }

struct Corpus {
  Vocabulary vocab;
  std::vector<std::string> classes = imdb_classes();  // label k is classes[k]
  Split train;       // aclImdb: the 25,000 official training reviews (before any shuffle)
  Split validation;  // separate validation data (--validation-data); empty: split from train
  Split test;        // aclImdb: the 25,000 official test reviews
  // Documents without labels (aclImdb's train/unsup, --unlabeled-data): word ids like the others,
  // labels all -1, review_ids the file id (aclImdb) or the row. Empty unless asked for
  // (DataSpec::unlabeled_path, DataSpec::read_unlabeled).
  Split unlabeled;
  // True when review_ids are aclImdb ids, whose blocks stand in for movies
  // (--validation-split-by movie); other sources have no movie ids.
  bool movie_ids = true;
  std::string source;  // what the data was read from, e.g. "aclImdb archive", "csv"
  bool multi_label = false;  // every split has label sets (--multi-label)
};

// Builds one padded sequence: [start] + ids, truncated/padded to opts.maxlen.
// Writes maxlen ids to out and returns the true length (start token included, capped to maxlen).
int32_t make_sequence(const int32_t* ids, int64_t n, const SequenceOptions& opts, int32_t* out);

// Gathers reviews rows[0..n) of `split` into a padded batch: ids (n, maxlen), lengths (n), and
// labels (n) class indices, or for a split with label sets (n, label_width) 0/1 (label_width = K).
void gather_batch(const Split& split, const int64_t* rows, int n, const SequenceOptions& opts,
                  int32_t* ids, float* labels, int32_t* lengths, int label_width = 1);

// Keras's validation_split on a fixed-seed shuffle: shuffles 0..n-1 with `seed`, then the last
// round(fraction * n) indices are validation, the rest training. fraction in [0, 1).
void validation_split(int64_t n, double fraction, uint64_t seed, std::vector<int64_t>* train_rows,
                      std::vector<int64_t>* val_rows);

// aclImdb numbers a movie's reviews consecutively within each class directory (train/pos 0-2 are
// one show, 5-21 one film, ...), and a movie has at most 30 reviews. Blocks of this many
// consecutive ids of one class therefore hold whole movies, except one split at each end.
constexpr int32_t kMovieBlockIds = 250;

// The rows of `split` grouped into blocks (one class, ids id / kMovieBlockIds), the blocks of each
// class shuffled with `seed` (rows in file order inside a block), then the two classes' sequences
// interleaved row by row, pos, neg, pos, ... Its tail is a validation split by (nearly) whole
// movies, balanced between the classes: the test split's movies are all unseen, and a random
// split's are not. (The urls files that name each review's movie are not in the labeled archive,
// so the ids stand in for them; a movie with reviews in both classes can still fall on both sides.)
std::vector<int64_t> movie_block_order(const Split& split, uint64_t seed);

// The one owner of grouping by REAL movie (Split::movies from the urls files; needs them filled):
// the rows grouped by movie (a row of unknown movie, -1, is a group of its own), the groups in
// movie order shuffled with `seed`, concatenated (rows in file order inside a group). The start
// of each group in the result goes to *group_starts (ascending, starting with 0) when given: a cut
// there keeps every movie on one side.
std::vector<int64_t> movie_order(const Split& split, uint64_t seed, std::vector<size_t>* group_starts = nullptr);

}  // namespace senti::data
