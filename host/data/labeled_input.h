#pragma once
// The byte layer under read_labeled_file (host/data/labeled_files.h), shared by its parsers: one
// file, plain or gzip (zlib, streamed), cut into pieces that never cross a line end, with what
// every format checks done once, here, as the bytes go by: the UTF-8 rules (a byte-order mark
// dropped; UTF-16/32 refused at the start; NUL bytes and invalid sequences refused at their line
// and column), the cap on the decompressed total, and the line:column of each piece for messages.
// A lone CR ends a line as LF and CRLF do (libcsv ends a record at either, and line numbers must
// agree with where it does).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/data/aclimdb_reader.h"
#include "host/data/labeled_files.h"

namespace senti::data::labeled {

class LabeledInput {
 public:
  // Opens `path` (a regular file; never blocks on a FIFO). `flag` and `path` start every message.
  LabeledInput(const std::string& path, const std::string& flag, const ReadLimits& limits);
  ~LabeledInput();
  LabeledInput(const LabeledInput&) = delete;
  LabeledInput& operator=(const LabeledInput&) = delete;

  // The next bytes of the file, up to and including the next line end ("\n", "\r\n" or a lone
  // "\r"), or fewer where the buffered bytes end (the line goes on in the next piece); empty at
  // the end of the file. Valid until the next call; line() and column() say where it starts.
  std::string_view next_piece();
  int64_t line() const { return piece_line_; }
  int64_t column() const { return piece_col_; }

  // The next line, without its line end, into *out and where it starts into *line_no; false at
  // the end of the file (a last line without a line end counts). A line over the record cap is
  // an error, noticed after reading that many bytes of it (never the whole line).
  bool next_line(std::string* out, int64_t* line_no);

  // The most bytes one record may have (ReadLimits::review_bytes).
  uint64_t record_cap() const { return limits_.review_bytes; }
  // Share of the file read so far (its compressed bytes for gzip), 0..1.
  double fraction() const;

  // Message prefixes: "<flag> <path>: ", "<flag> <path>:<line>: ", "<flag> <path>:<line>:<col>: ".
  std::string where() const;
  std::string where(int64_t line, int64_t column = 0) const;

 private:
  bool fill();  // more bytes after the unread ones; false at the end of the file
  size_t read_some(char* dst, size_t n);  // 0 at the end of the file
  void check_start();
  void check_utf8(std::string_view piece);
  void check_end() const;

  std::string path_, flag_;
  ReadLimits limits_;
  int fd_ = -1;
  void* gz_ = nullptr;  // gzFile when the file is gzip
  uint64_t file_size_ = 0;
  uint64_t file_read_ = 0;  // plain file: bytes read from it
  uint64_t total_ = 0;      // decompressed bytes read, against limits_.total_bytes
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false, started_ = false;
  int64_t line_ = 1, col_ = 1;              // where the next piece starts
  int64_t piece_line_ = 1, piece_col_ = 1;  // where the last piece started
  // An unfinished UTF-8 sequence: continuation bytes still due, the range the next one must be
  // in (which rules out overlong forms, surrogates and code points past U+10FFFF), its start.
  int need_ = 0;
  unsigned char lo_ = 0x80, hi_ = 0xBF, lead_ = 0;
  int64_t seq_line_ = 0, seq_col_ = 0;
};

// Bytes of the line end that closes `piece`: 2 for "\r\n", 1 for "\n" or "\r", 0 for none.
size_t line_end_size(std::string_view piece);

// The parsers, one per format; read_labeled_file picks one.
void read_delimited(LabeledInput& in, char delim, const ColumnOptions& cols,
                    const std::function<void(const LabeledRecord&)>& on_record);
void read_json_lines(LabeledInput& in, const ColumnOptions& cols,
                     const std::function<void(const LabeledRecord&)>& on_record);
void read_fasttext(LabeledInput& in, const ColumnOptions& cols,
                   const std::function<void(const LabeledRecord&)>& on_record);

// "a, b, c" of the names, each in double quotes, for messages that list what a file has.
std::string quoted_list(const std::vector<std::string>& names);

}  // namespace senti::data::labeled
