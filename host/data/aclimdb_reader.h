#pragma once
// Reads the labeled reviews of the official aclImdb layout, from the extracted directory or
// straight from the .tar.gz (streamed through libarchive, never extracted to disk):
//   [aclImdb/]{train,test}/{pos,neg}/<id>_<rating>.txt
// Everything else (README, imdb.vocab, train/unsup, *.feat, urls_*.txt, imdbEr.txt) is ignored.
// A file inside a pos/neg folder whose name is not <id>_<rating>.txt is an error naming it, and so
// is a review that is not UTF-8 text (UTF-16/32, NUL bytes: host/text/text_encoding.h); a UTF-8
// byte-order mark is dropped.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace senti::data {

enum class SplitName : uint8_t { Train = 0, Test = 1, Validation = 2 };

struct ReviewFile {
  SplitName split;
  uint8_t label;       // 1 = pos, 0 = neg (from the folder)
  int32_t id;          // <id> of the file name
  uint8_t rating;      // <rating> of the file name, 1..10
  std::string_view name;  // path as found (for messages), valid during the callback only
  double input_fraction = 0;  // how much of the input was read when this review was: for an
                              // archive its compressed bytes, for a folder its review files (0..1)
};

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
void read_aclimdb(const std::string& path,
                  const std::function<void(const ReviewFile&, std::string_view text)>& on_review,
                  const ReadLimits& limits = {});

// Parses "<id>_<rating>.txt" (id 0..999999999, rating 1..10). False when the name does not fit.
bool parse_review_name(std::string_view file_name, int32_t* id, uint8_t* rating);

}  // namespace senti::data
