#pragma once
// Reads the labeled reviews of the official aclImdb layout, from the extracted directory or
// straight from the .tar.gz (streamed through libarchive, never extracted to disk):
//   [aclImdb/]{train,test}/{pos,neg}/<id>_<rating>.txt
// and, on request (AclImdbParts), the unlabeled reviews [aclImdb/]train/unsup/<id>_0.txt and the
// movie of every review from [aclImdb/]{train,test}/urls_{pos,neg}.txt and train/urls_unsup.txt
// (line i: the IMDb url of the movie of review <i>, http://www.imdb.com/title/tt0018515/usercomments).
// Everything else (README, imdb.vocab, *.feat, imdbEr.txt) is ignored.
// A file inside a pos/neg folder whose name is not <id>_<rating>.txt is an error naming it, and so
// is a review that is not UTF-8 text (UTF-16/32, NUL bytes: host/text/text_encoding.h); a UTF-8
// byte-order mark is dropped.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace senti::data {

// Unlabeled: documents without a label (aclImdb's train/unsup, --unlabeled-data), for learning
// from unlabeled text; never trained on as a class.
enum class SplitName : uint8_t { Train = 0, Test = 1, Validation = 2, Unlabeled = 3 };

struct ReviewFile {
  SplitName split;
  uint8_t label;       // 1 = pos, 0 = neg (from the folder); 0 for train/unsup
  int32_t id;          // <id> of the file name
  uint8_t rating;      // <rating> of the file name, 1..10; 0 for train/unsup
  std::string_view name;  // path as found (for messages), valid during the callback only
  double input_fraction = 0;  // how much of the input was read when this review was: for an
                              // archive its compressed bytes, for a folder its review files (0..1)
  int32_t movie = -1;  // the IMDb title number (tt0018515 -> 18515) from the urls files; -1 unknown
};

// Which parts of an aclImdb input read_aclimdb reads.
struct AclImdbParts {
  bool labeled = true;     // {train,test}/{pos,neg}: required
  bool unlabeled = false;  // train/unsup: read when present (required when unlabeled_required)
  bool unlabeled_required = false;
};

// The movies of the reviews, from the urls files: movies[dir][id] for the folders
// train/pos, train/neg, test/pos, test/neg, train/unsup (kUrlDirs order); an empty vector where
// the input has no such urls file.
constexpr const char* kUrlDirs[5] = {"train/pos", "train/neg", "test/pos", "test/neg", "train/unsup"};
struct MovieUrls {
  std::vector<int32_t> movies[5];
  std::string files[5];  // where each table came from (for messages), "" when absent
  bool any() const {
    for (const auto& m : movies)
      if (!m.empty()) return true;
    return false;
  }
  // The table of a review's folder (split Train/Test/Unlabeled, label 1 pos / 0 neg), or -1.
  static int dir_of(SplitName split, uint8_t label);
};

// Reads every urls_*.txt of an aclImdb folder or archive (cheap for a folder; one pass over the
// archive's headers). Tables already in *urls are kept (the first input that has a file wins).
// Throws UsageError naming file:line for a line without an IMDb title number (tt<digits>).
void read_aclimdb_urls(const std::string& path, MovieUrls* urls);

// Parses the title number of an IMDb url (".../title/tt0018515/..." -> 18515); -1 if none.
int32_t imdb_title_number(std::string_view url);

// True when `path` is an aclImdb folder or archive with the unlabeled part: [aclImdb/]train/unsup
// (a folder), or any .tar / .tar.gz / .tgz file (an archive is read as aclImdb).
bool has_aclimdb_unsup(const std::string& path);

// Limits on what is read, checked before anything is allocated for it: one review (the longest
// IMDB review is ~14 KB) and all of them together: 64 GiB, about 50 million IMDB-sized reviews (the
// labeled IMDB reviews are ~65 MB; memory while preparing grows with the tokens, ~10 bytes each,
// not with the text: docs/benchmarks.md, "Corpora of millions of reviews"). A larger one is
// refused with an error naming the file or archive entry.
constexpr uint64_t kMaxReviewBytes = uint64_t{16} << 20;
constexpr uint64_t kMaxTotalReviewBytes = uint64_t{64} << 30;
struct ReadLimits {
  uint64_t review_bytes = kMaxReviewBytes;
  uint64_t total_bytes = kMaxTotalReviewBytes;
};

// Fingerprint of the input's identity, cheap to compute (stat only): for an archive its absolute
// path, size and modification time; for a directory every review file's name, size and
// modification time. Changes whenever a review is added, removed or rewritten.
uint64_t data_fingerprint(const std::string& path);

// Calls on_review for every labeled review, in storage order (archive order / directory listing
// order: callers sort). Throws UsageError naming `path` (or the offending entry) when the path is
// missing or not readable, is not an aclImdb directory or tar archive, is corrupt or truncated,
// lacks any of the four train/test x pos/neg folders, or when a review is not a regular file (a
// FIFO, a device, a symlink to one: never opened so that it could block) or exceeds the limits.
// `parts` says which parts are read (default: the labeled ones, as before).
void read_aclimdb(const std::string& path,
                  const std::function<void(const ReviewFile&, std::string_view text)>& on_review,
                  const ReadLimits& limits = {}, const AclImdbParts& parts = {});

// The fingerprint of the parts that are read: data_fingerprint, plus for a folder the urls files
// and (parts.unlabeled) the train/unsup files.
uint64_t data_fingerprint(const std::string& path, const AclImdbParts& parts);

// Parses "<id>_<rating>.txt" (id 0..999999999, rating 1..10; rating 0 with allow_unrated, as
// train/unsup's <id>_0.txt). False when the name does not fit.
bool parse_review_name(std::string_view file_name, int32_t* id, uint8_t* rating, bool allow_unrated = false);

}  // namespace senti::data
