#include "host/data/review_lines.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "host/text/text_encoding.h"
#include "kernels/common/error.h"

namespace senti::data {

ReviewLineReader::ReviewLineReader(int fd, std::string name, uint64_t max_line_bytes)
    : fd_(fd), name_(std::move(name)), max_(max_line_bytes), buf_(size_t{1} << 16) {}

void ReviewLineReader::too_long() const {
  SENTI_FAIL(name_, ": line ", lines_ + 1, " has more than ", max_,
             " bytes, the most a review may have (training refuses such a review too); "
             "expected one review a line");
}

bool ReviewLineReader::fill() {
  while (true) {
    const ssize_t r = ::read(fd_, buf_.data(), buf_.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      SENTI_FAIL(name_, ": read error after ", lines_, " lines (", std::strerror(errno), ")");
    pos_ = 0;
    end_ = static_cast<size_t>(r);
    return r > 0;
  }
}

bool ReviewLineReader::next(std::string* line) {
  line->clear();
  bool any = false;  // a byte of this line (or its '\n') was read
  while (true) {
    if (pos_ == end_ && !fill()) {
      if (!any) return false;
      break;
    }
    any = true;
    const char* start = buf_.data() + pos_;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    const size_t take = nl ? static_cast<size_t>(nl - start) : end_ - pos_;
    // One byte over the cap is allowed in for a '\r' of a CRLF line, dropped below.
    if (line->size() + take > max_ + 1) too_long();
    line->append(start, take);
    pos_ += take + (nl ? 1 : 0);
    if (nl) break;
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  if (line->size() > max_) too_long();
  ++lines_;
  if (const std::string why = text::non_utf8_reason(*line); !why.empty())
    SENTI_FAIL(name_, ": line ", lines_, " is ", why, "; ", text::kExpectedUtf8);
  if (lines_ == 1) {
    const size_t bom = line->size() - text::strip_utf8_bom(*line).size();
    line->erase(0, bom);
  }
  return true;
}

}  // namespace senti::data
