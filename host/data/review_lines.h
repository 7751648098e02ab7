#pragma once
// Reviews one a line (`senti predict --file` and standard input), read in bounded memory: a line
// may have at most the bytes a training review may have (kMaxReviewBytes, 16 MiB); a longer one is
// an error naming the input and the line, noticed after reading that many bytes of it (never the
// whole line). Each line must be UTF-8 text (host/text/text_encoding.h): UTF-16/32 input and NUL
// bytes are refused with the input and line named; a UTF-8 byte-order mark on line 1 is dropped.
#include <cstdint>
#include <string>
#include <vector>

#include "host/data/aclimdb_reader.h"

namespace senti::data {

class ReviewLineReader {
 public:
  // Reads `fd` (not owned, not closed); `name` is how messages call the input, e.g.
  // "--file 'reviews.txt'" or "standard input".
  ReviewLineReader(int fd, std::string name, uint64_t max_line_bytes = kMaxReviewBytes);

  // The next line into *line, without its '\n' and a trailing '\r' (empty lines are empty
  // reviews; a last line without '\n' counts); false at the end of the input. Throws UsageError
  // naming the input and the line for a line over the cap, text that is not UTF-8, a read error.
  bool next(std::string* line);
  int64_t lines_read() const { return lines_; }

 private:
  bool fill();  // more bytes into buf_; false at the end of the input
  [[noreturn]] void too_long() const;  // line lines_ + 1 passed the cap

  int fd_;
  std::string name_;
  uint64_t max_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  int64_t lines_ = 0;
};

}  // namespace senti::data
