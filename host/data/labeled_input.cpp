#include "host/data/labeled_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "host/text/text_encoding.h"
#include "kernels/common/error.h"

namespace senti::data::labeled {
namespace {

constexpr size_t kChunk = size_t{1} << 16;
// Enough of the start of the file to tell UTF-16/32 by their NUL pattern (text_encoding.h).
constexpr size_t kStartBytes = 4096;

gzFile as_gz(void* p) { return static_cast<gzFile>(p); }

std::string hex_byte(unsigned char c) {
  char s[8];
  std::snprintf(s, sizeof s, "0x%02X", c);
  return s;
}

}  // namespace

size_t line_end_size(std::string_view piece) {
  if (piece.size() >= 2 && piece.substr(piece.size() - 2) == "\r\n") return 2;
  return !piece.empty() && (piece.back() == '\n' || piece.back() == '\r') ? 1 : 0;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out.empty() ? "none" : out;
}

LabeledInput::LabeledInput(const std::string& path, const std::string& flag, const ReadLimits& limits)
    : path_(path), flag_(flag), limits_(limits), buf_(kChunk) {
  if (path.empty()) SENTI_FAIL(flag_, ": empty path; expected a labeled text file");
  // O_NONBLOCK: opening a FIFO must not wait for a writer; a regular file ignores the flag.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) SENTI_FAIL(where(), "cannot open (", std::strerror(errno), "); expected a labeled text file");
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool dir = S_ISDIR(st.st_mode);
    ::close(fd_);
    fd_ = -1;
    SENTI_FAIL(where(), dir ? "a directory" : "not a regular file (a FIFO, device or socket)",
               "; expected a labeled text file (csv, tsv, jsonl or fasttext, plain or .gz)");
  }
  file_size_ = static_cast<uint64_t>(st.st_size);
  // Told by the content, not the name: a .csv may be compressed and a .gz may not be.
  unsigned char magic[2] = {0, 0};
  const ssize_t m = ::pread(fd_, magic, 2, 0);
  if (m == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    gz_ = gzdopen(fd_, "rb");  // owns fd_ from here: gzclose closes it
    if (!gz_) {
      ::close(fd_);
      fd_ = -1;
      SENTI_FAIL(where(), "cannot start reading gzip data (out of memory)");
    }
    gzbuffer(as_gz(gz_), kChunk * 2);
  }
}

LabeledInput::~LabeledInput() {
  if (gz_) gzclose(as_gz(gz_));
  else if (fd_ >= 0) ::close(fd_);
}

std::string LabeledInput::where() const {
  return flag_.empty() ? path_ + ": " : flag_ + " " + path_ + ": ";
}

std::string LabeledInput::where(int64_t line, int64_t column) const {
  std::string w = (flag_.empty() ? path_ : flag_ + " " + path_) + ":" + std::to_string(line);
  if (column > 0) w += ":" + std::to_string(column);
  return w + ": ";
}

double LabeledInput::fraction() const {
  if (file_size_ == 0) return 1.0;
  uint64_t done = file_read_ - (end_ - pos_);
  if (gz_) {
    const z_off_t off = gzoffset(as_gz(gz_));
    done = off > 0 ? static_cast<uint64_t>(off) : 0;
  }
  return std::min(1.0, static_cast<double>(done) / static_cast<double>(file_size_));
}

size_t LabeledInput::read_some(char* dst, size_t n) {
  if (gz_) {
    const int r = gzread(as_gz(gz_), dst, static_cast<unsigned>(n));
    // zlib reports a stream cut short as Z_BUF_ERROR ("unexpected end of file") and bad data as
    // Z_DATA_ERROR; the bytes it still returned with the error are passed on first (their
    // records come before the error), the error comes with the read that returns none.
    if (r > 0) return static_cast<size_t>(r);
    int err = Z_OK;
    std::string msg = gzerror(as_gz(gz_), &err);
    if (msg.rfind("<fd:", 0) == 0 && msg.find(">: ") != std::string::npos)
      msg.erase(0, msg.find(">: ") + 3);  // zlib names a gzdopen'ed file "<fd:3>"
    if (r < 0 || err != Z_OK)
      SENTI_FAIL(where(), "corrupt or truncated gzip data (", msg.empty() ? "zlib error" : msg, ")",
                 total_ > 0 ? " after " + std::to_string(total_) + " decompressed bytes" : std::string(),
                 "; expected a complete .gz file");
    return 0;
  }
  while (true) {
    const ssize_t r = ::read(fd_, dst, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) SENTI_FAIL(where(), "read error after ", file_read_, " bytes (", std::strerror(errno), ")");
    file_read_ += static_cast<uint64_t>(r);
    return static_cast<size_t>(r);
  }
}

bool LabeledInput::fill() {
  if (eof_) return false;
  if (pos_ > 0) {  // keep the unread bytes (at most a CR that may start a CRLF) at the front
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  const size_t got = read_some(buf_.data() + end_, buf_.size() - end_);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  total_ += got;
  if (total_ > limits_.total_bytes)
    SENTI_FAIL(where(), "more than ", limits_.total_bytes, " bytes of text",
               gz_ ? " (decompressed)" : "", ", the most one input may have; is this the right file?");
  end_ += got;
  return true;
}

// The whole-file checks, on the first bytes: a UTF-8 byte-order mark is dropped (pandas and
// Excel write one); UTF-16/32 are refused here, by name, before their NULs are met one by one.
void LabeledInput::check_start() {
  started_ = true;
  while (end_ < kStartBytes && fill()) {
  }
  const std::string_view head(buf_.data(), std::min(end_, kStartBytes));
  const std::string why = text::non_utf8_reason(head);
  // Scattered NULs ("binary data") are reported where they are, with line and column.
  if (!why.empty() && why.rfind("binary data", 0) != 0)
    SENTI_FAIL(where(1), "the file is ", why, "; ", text::kExpectedUtf8);
  pos_ = head.size() - text::strip_utf8_bom(head).size();
}

void LabeledInput::check_utf8(std::string_view piece) {
  for (size_t j = 0; j < piece.size(); ++j) {
    const auto c = static_cast<unsigned char>(piece[j]);
    const int64_t col = piece_col_ + static_cast<int64_t>(j);
    if (need_ > 0) {
      if (c < lo_ || c > hi_)
        SENTI_FAIL(where(seq_line_, seq_col_), "not UTF-8 text (byte ", hex_byte(lead_),
                   " starts a sequence that byte ", hex_byte(c), " does not continue; Latin-1 or "
                   "Windows-1252 text?); ", text::kExpectedUtf8);
      lo_ = 0x80, hi_ = 0xBF;
      --need_;
      continue;
    }
    if (c < 0x80) {
      if (c == 0)
        SENTI_FAIL(where(piece_line_, col), "a NUL byte (binary data, or UTF-16/32 text without a "
                   "byte-order mark); ", text::kExpectedUtf8);
      continue;
    }
    lo_ = 0x80, hi_ = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need_ = 1;
    else if (c == 0xE0) need_ = 2, lo_ = 0xA0;                            // no overlong forms
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need_ = 2;
    else if (c == 0xED) need_ = 2, hi_ = 0x9F;                            // no surrogates
    else if (c == 0xF0) need_ = 3, lo_ = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) need_ = 3;
    else if (c == 0xF4) need_ = 3, hi_ = 0x8F;                            // up to U+10FFFF
    else
      SENTI_FAIL(where(piece_line_, col), "not UTF-8 text (byte ", hex_byte(c), " cannot start a "
                 "UTF-8 character; Latin-1 or Windows-1252 text?); ", text::kExpectedUtf8);
    lead_ = c;
    seq_line_ = piece_line_;
    seq_col_ = col;
  }
}

void LabeledInput::check_end() const {
  if (need_ > 0)
    SENTI_FAIL(where(seq_line_, seq_col_), "not UTF-8 text (byte ", hex_byte(lead_),
               " starts a sequence that the end of the file cuts short); ", text::kExpectedUtf8);
}

std::string_view LabeledInput::next_piece() {
  if (!started_) check_start();
  while (true) {
    if (pos_ == end_ && !fill()) {
      check_end();
      return {};
    }
    const char* s = buf_.data() + pos_;
    const size_t n = end_ - pos_;
    size_t i = 0;
    while (i < n && s[i] != '\n' && s[i] != '\r') ++i;
    size_t len = n;
    if (i < n && s[i] == '\n') {
      len = i + 1;
    } else if (i < n) {  // a CR: with an LF after it, both end the line
      if (i + 1 < n) len = i + 1 + (s[i + 1] == '\n');
      else if (i > 0) len = i;  // the CR's partner may be in the next read: leave it for then
      else if (fill()) continue;
      else len = 1;  // a CR at the very end
    }
    const std::string_view piece(s, len);
    pos_ += len;
    piece_line_ = line_;
    piece_col_ = col_;
    if (line_end_size(piece) > 0) {
      ++line_;
      col_ = 1;
    } else {
      col_ += static_cast<int64_t>(len);
    }
    check_utf8(piece);
    return piece;
  }
}

bool LabeledInput::next_line(std::string* out, int64_t* line_no) {
  out->clear();
  bool any = false;
  while (true) {
    const std::string_view p = next_piece();
    if (p.empty()) return any;
    if (!any) *line_no = piece_line_;
    any = true;
    const size_t end = line_end_size(p);
    if (out->size() + p.size() - end > limits_.review_bytes)
      SENTI_FAIL(where(*line_no), "the line has more than ", limits_.review_bytes,
                 " bytes, the most one record may have; expected one record a line");
    out->append(p.data(), p.size() - end);
    if (end > 0) return true;
  }
}

}  // namespace senti::data::labeled
