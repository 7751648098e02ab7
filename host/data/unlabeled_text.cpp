#include "host/data/unlabeled_text.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "host/data/class_folders.h"
#include "host/data/hash.h"
#include "host/data/review_lines.h"
#include "host/data/whole_file.h"
#include "host/text/text_encoding.h"
#include "kernels/common/error.h"

namespace fs = std::filesystem;

namespace senti::data {
namespace {

constexpr const char* kFlag = "--unlabeled-data";

void read_aclimdb_unsup(const std::string& path, const std::function<void(const Document&)>& on_document,
                        const MovieUrls* given, const ReadLimits& limits) {
  MovieUrls own;
  const MovieUrls* urls = given;
  if (!urls) {
    read_aclimdb_urls(path, &own);
    urls = &own;
  }
  const int dir = MovieUrls::dir_of(SplitName::Unlabeled, 0);
  const std::vector<int32_t>& movies = urls->movies[dir];
  size_t count = 0;
  AclImdbParts parts;
  parts.labeled = false;
  parts.unlabeled = true;
  parts.unlabeled_required = true;
  read_aclimdb(path, [&](const ReviewFile& rf, std::string_view text) {
    Document d;
    d.split = SplitName::Unlabeled;
    d.text = text;
    d.where = rf.name;
    d.id = rf.id;
    d.input_fraction = rf.input_fraction;
    if (!movies.empty()) {
      if (static_cast<size_t>(rf.id) >= movies.size())
        SENTI_FAIL(urls->files[dir], ":", movies.size(), ": the file ends at line ", movies.size(),
                   " but review ", rf.name, " has id ", rf.id, "; expected one url a line for every review id");
      d.movie = movies[static_cast<size_t>(rf.id)];
    }
    ++count;
    on_document(d);
  }, limits, parts);
  if (!movies.empty() && movies.size() != count)
    SENTI_FAIL(urls->files[dir], ":", movies.size(), ": ", movies.size(), " lines for ", count,
               " reviews in train/unsup; expected one url a line for every review");
}

bool hidden(const fs::path& p) {
  const std::string n = p.filename().string();
  return !n.empty() && n[0] == '.';
}

bool is_txt(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".txt";
}

std::vector<fs::path> txt_files(const std::string& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (hidden(it->path())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    std::error_code type_ec;
    if (!it->is_directory(type_ec) && is_txt(it->path())) files.push_back(it->path());
  }
  if (ec) SENTI_FAIL(kFlag, " ", path, ": cannot list the folder (", ec.message(), ")");
  std::sort(files.begin(), files.end());
  if (files.empty()) SENTI_FAIL(kFlag, " ", path, ": no .txt files in the folder; expected one document a .txt file");
  return files;
}

void read_txt_folder(const std::string& path, const std::function<void(const Document&)>& on_document,
                     const ReadLimits& limits) {
  const std::vector<fs::path> files = txt_files(path);
  std::string buf;
  uint64_t total = 0;
  for (size_t k = 0; k < files.size(); ++k) {
    const std::string name = files[k].string();
    read_whole_file(name, "document", &buf, [&](uint64_t bytes) {
      if (bytes > limits.review_bytes)
        SENTI_FAIL(kFlag, " ", name, ": ", bytes, " bytes, more than the ", limits.review_bytes,
                   " bytes a document may have; expected text files of one document each");
      total += bytes;
      if (total > limits.total_bytes)
        SENTI_FAIL(kFlag, " ", path, ": the documents up to ", name, " add up to more than ", limits.total_bytes, " bytes");
    });
    if (const std::string why = text::non_utf8_reason(buf); !why.empty())
      SENTI_FAIL(kFlag, " ", name, ": the document is ", why, "; ", text::kExpectedUtf8);
    Document d;
    d.split = SplitName::Unlabeled;
    d.text = text::strip_utf8_bom(buf);
    d.where = name;
    d.id = static_cast<int32_t>(k);
    d.input_fraction = static_cast<double>(k + 1) / static_cast<double>(files.size());
    on_document(d);
  }
}

void read_lines(const std::string& path, const std::function<void(const Document&)>& on_document,
                const ReadLimits& limits) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) SENTI_FAIL(kFlag, " ", path, ": cannot open (", std::strerror(errno), ")");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  ReviewLineReader reader(fd, std::string(kFlag) + " '" + path + "'", limits.review_bytes);
  std::string line, where;
  int32_t row = 0;
  uint64_t total = 0;
  while (reader.next(&line)) {
    total += line.size();
    if (total > limits.total_bytes)
      SENTI_FAIL(kFlag, " ", path, ":", reader.lines_read(), ": the lines add up to more than ", limits.total_bytes, " bytes");
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank: no document
    where = path + ":" + std::to_string(reader.lines_read());
    Document d;
    d.split = SplitName::Unlabeled;
    d.text = line;
    d.where = where;
    d.id = row++;
    on_document(d);
  }
  if (row == 0) SENTI_FAIL(kFlag, " ", path, ": no documents (every line is blank); expected one document a line");
}

void read_text_column(const std::string& path, FileFormat format, ColumnOptions columns,
                      const std::function<void(const Document&)>& on_document, const ReadLimits& limits) {
  columns.labels_required = false;
  std::string where;
  int32_t row = 0;
  read_labeled_file(path, format, columns, kFlag, [&](const LabeledRecord& r) {
    where = path + ":" + std::to_string(r.line);
    Document d;
    d.split = SplitName::Unlabeled;
    d.text = r.text;
    d.where = where;
    d.id = row++;
    d.input_fraction = r.input_fraction;
    on_document(d);
  }, limits);
}

}  // namespace

std::string unlabeled_format_of(const std::string& path, const std::string& format) {
  std::error_code ec;
  if (path.empty()) SENTI_FAIL(kFlag, ": empty path");
  if (!fs::exists(path, ec)) SENTI_FAIL(kFlag, " ", path, ": no such file or folder");
  const bool dir = fs::is_directory(path, ec);
  if (format == "auto") {
    if (has_aclimdb_unsup(path)) return "aclimdb";
    if (dir) return "folder";
    FileFormat f;
    if (format_from_file_name(path, &f) && f != FileFormat::FastText) return format_name(f);
    return "lines";
  }
  FileFormat f;
  if (format == "aclimdb" || format == "folder") {
    if (format == "folder" && !dir) SENTI_FAIL(kFlag, " ", path, ": not a folder, but --unlabeled-format folder reads one");
    return format;
  }
  if (format == "lines" || (parse_format_name(format, &f) && f != FileFormat::FastText)) {
    if (dir) SENTI_FAIL(kFlag, " ", path, ": a folder, but --unlabeled-format ", format, " reads a file");
    return format;
  }
  SENTI_FAIL("--unlabeled-format ", format, ": expected ", kUnlabeledFormatNames);
}

void read_unlabeled_text(const std::string& path, const std::string& format, const ColumnOptions& columns,
                         const std::function<void(const Document&)>& on_document, const MovieUrls* urls,
                         const ReadLimits& limits) {
  if (format == "aclimdb") return read_aclimdb_unsup(path, on_document, urls, limits);
  if (format == "folder") return read_txt_folder(path, on_document, limits);
  if (format == "lines") return read_lines(path, on_document, limits);
  FileFormat f;
  if (!parse_format_name(format, &f)) SENTI_FAIL("--unlabeled-format ", format, ": expected ", kUnlabeledFormatNames);
  read_text_column(path, f, columns, on_document, limits);
}

uint64_t unlabeled_fingerprint(const std::string& path, const std::string& format, const ColumnOptions& columns) {
  uint64_t h = fnv1a64(std::string_view("unlabeled:"));
  h = fnv1a64(format, h);
  if (format != "aclimdb" && format != "folder" && format != "lines")
    for (const std::string& c : columns.text_columns) h = fnv1a64(c + '\x1f', h);
  if (format == "aclimdb") {
    AclImdbParts parts;
    parts.labeled = false;
    parts.unlabeled = true;
    return fnv1a64_value<uint64_t>(data_fingerprint(path, parts), h);
  }
  return fnv1a64_value<uint64_t>(tree_fingerprint(path, kFlag), h);
}

}  // namespace senti::data
