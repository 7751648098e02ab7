#include "host/data/aclimdb_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "kernels/common/error.h"
#include "host/data/hash.h"
#include "host/data/whole_file.h"
#include "host/text/text_encoding.h"

namespace fs = std::filesystem;

namespace senti::data {
namespace {

constexpr const char* kLayout =
    "expected the aclImdb layout: train/pos, train/neg, test/pos, test/neg folders of "
    "<id>_<rating>.txt reviews (optionally under aclImdb/), as a directory or a .tar.gz";

struct ClassDir {
  SplitName split;
  uint8_t label;
  const char* rel;  // "train/pos"
};
// The four labeled folders, then the unlabeled one (kUrlDirs's order).
constexpr std::array<ClassDir, 5> kClassDirs = {{{SplitName::Train, 1, "train/pos"},
                                                 {SplitName::Train, 0, "train/neg"},
                                                 {SplitName::Test, 1, "test/pos"},
                                                 {SplitName::Test, 0, "test/neg"},
                                                 {SplitName::Unlabeled, 0, "train/unsup"}}};
constexpr size_t kUnsupDir = 4;

bool wanted(size_t k, const AclImdbParts& parts) { return k == kUnsupDir ? parts.unlabeled : parts.labeled; }
bool required(size_t k, const AclImdbParts& parts) {
  return k == kUnsupDir ? parts.unlabeled && parts.unlabeled_required : parts.labeled;
}

int class_index(std::string_view split, std::string_view cls) {
  for (size_t k = 0; k < kClassDirs.size(); ++k) {
    std::string_view rel = kClassDirs[k].rel;
    const size_t slash = rel.find('/');
    if (rel.substr(0, slash) == split && rel.substr(slash + 1) == cls) return static_cast<int>(k);
  }
  return -1;
}

// Why a folder cannot be listed, or "" when it can: "missing" and "not searchable" are different
// problems with different fixes.
std::string folder_problem(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return "missing folder";
    return std::string("cannot access folder (") + std::strerror(errno) + ")";
  }
  if (!S_ISDIR(st.st_mode)) return "not a folder";
  if (::access(dir.c_str(), R_OK | X_OK) != 0)
    return std::string("folder is not readable and searchable (") + std::strerror(errno) + ")";
  return "";
}

// The dataset root inside a directory: the directory itself or its aclImdb/ child. With the
// labeled part it needs train/ and test/; the unlabeled part alone needs train/ only.
fs::path directory_root(const std::string& path, bool labeled = true) {
  const fs::path p(path);
  if (const std::string why = folder_problem(p); !why.empty())
    SENTI_FAIL("--data ", path, ": ", why, "; ", kLayout);
  std::error_code ec;
  auto fits = [&](const fs::path& r) {
    return fs::is_directory(r / "train", ec) && (!labeled || fs::is_directory(r / "test", ec));
  };
  if (fits(p)) return p;
  const fs::path inner = p / "aclImdb";
  if (fs::exists(inner, ec))
    if (const std::string why = folder_problem(inner); !why.empty())
      SENTI_FAIL("--data ", path, ": ", why, " ", inner.string(), "; ", kLayout);
  if (fits(inner)) return inner;
  SENTI_FAIL("--data ", path, ": not an aclImdb dataset (no train/", labeled ? " and test/" : "", " folders); ", kLayout);
}

// Counts the bytes read against the limits, naming the review that crosses one.
class ReadBudget {
 public:
  ReadBudget(const std::string& data, const ReadLimits& limits) : data_(data), limits_(limits) {}
  // A review of `bytes` (as claimed by its size, or as read so far).
  void check_review(uint64_t bytes, std::string_view name) const {
    if (bytes > limits_.review_bytes)
      SENTI_FAIL("--data ", data_, ": review ", name, " has ", bytes, " bytes, more than the ",
                 limits_.review_bytes, " bytes a review may have; expected review text files");
  }
  void charge(uint64_t bytes, std::string_view name) {
    total_ += bytes;
    if (total_ > limits_.total_bytes)
      SENTI_FAIL("--data ", data_, ": the reviews up to ", name, " add up to more than ",
                 limits_.total_bytes, " bytes, far more than IMDB's ~65 MB; is this the right data?");
  }

 private:
  std::string data_;
  ReadLimits limits_;
  uint64_t total_ = 0;
};

// Why the review is not UTF-8 text, as the error naming it, or "": UTF-16/32 or NUL bytes read as
// bytes would turn each letter into a word of its own (host/text/text_encoding.h).
std::string text_problem(const std::string& buf, std::string_view name, const std::string& data) {
  const std::string why = text::non_utf8_reason(buf);
  return why.empty() ? why
                     : detail::concat("--data ", data, ": review ", name, " is ", why, "; ",
                                      text::kExpectedUtf8);
}

// The review as UTF-8 text (a byte-order mark dropped), or an error naming it.
std::string_view review_text(const std::string& buf, std::string_view name, const std::string& data) {
  if (const std::string problem = text_problem(buf, name, data); !problem.empty()) throw UsageError(problem);
  return text::strip_utf8_bom(buf);
}

void read_file(const fs::path& file, std::string* buf, ReadBudget* budget) {
  read_whole_file(file.string(), "review", buf, [&](uint64_t bytes) {
    budget->check_review(bytes, file.string());
    budget->charge(bytes, file.string());
  });
}

// Review files of one class folder, sorted by name so that directory reads are deterministic.
std::vector<fs::directory_entry> list_class_dir(const fs::path& dir, const std::string& data) {
  if (const std::string why = folder_problem(dir); !why.empty())
    SENTI_FAIL("--data ", data, ": ", why, " ", dir.string(), "; ", kLayout);
  std::vector<fs::directory_entry> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) continue;
    files.push_back(*it);
  }
  if (ec) SENTI_FAIL("--data ", data, ": cannot list folder ", dir.string(), " (", ec.message(), ")");
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  if (files.empty()) SENTI_FAIL("--data ", data, ": folder ", dir.string(), " has no reviews; ", kLayout);
  return files;
}

void read_directory(const std::string& path,
                    const std::function<void(const ReviewFile&, std::string_view)>& on_review,
                    const ReadLimits& limits, const AclImdbParts& parts) {
  const fs::path root = directory_root(path, parts.labeled);
  std::string buf;
  ReadBudget budget(path, limits);
  std::vector<std::vector<fs::directory_entry>> lists(kClassDirs.size());
  size_t total = 0, done = 0;
  for (size_t k = 0; k < kClassDirs.size(); ++k) {
    if (!wanted(k, parts)) continue;
    std::error_code ec;
    if (!required(k, parts) && !fs::exists(root / kClassDirs[k].rel, ec)) continue;
    lists[k] = list_class_dir(root / kClassDirs[k].rel, path);
    total += lists[k].size();
  }
  for (size_t k = 0; k < kClassDirs.size(); ++k) {
    const ClassDir& cd = kClassDirs[k];
    for (const auto& e : lists[k]) {
      const std::string name = e.path().string();
      ReviewFile rf{cd.split, cd.label, 0, 0, name, static_cast<double>(++done) / total};
      if (!parse_review_name(e.path().filename().string(), &rf.id, &rf.rating, k == kUnsupDir))
        SENTI_FAIL(name, ": not a review file name; expected <id>_<rating>.txt (rating 1..10; 0 in train/unsup)");
      read_file(e.path(), &buf, &budget);
      on_review(rf, review_text(buf, name, path));
    }
  }
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

[[noreturn]] void archive_fail(archive* a, const std::string& path, const char* what) {
  const char* msg = archive_error_string(a);
  SENTI_FAIL("--data ", path, ": ", what, " (", msg ? msg : "unknown libarchive error",
             "); expected an intact aclImdb .tar.gz");
}

void read_archive(const std::string& path,
                  const std::function<void(const ReviewFile&, std::string_view)>& on_review,
                  const ReadLimits& limits, const AclImdbParts& parts) {
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  SENTI_CHECK(a != nullptr, "archive_read_new failed (out of memory)");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 20) != ARCHIVE_OK)
    archive_fail(a.get(), path, "corrupt or truncated archive, or not a tar archive at all");
  std::array<int, kClassDirs.size()> found{};
  std::string buf, not_text;  // not_text: the error of the first review that is not UTF-8 text
  ReadBudget budget(path, limits);
  archive_entry* entry = nullptr;
  std::error_code size_ec;
  const auto file_bytes = static_cast<double>(fs::file_size(path, size_ec));
  while (true) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) archive_fail(a.get(), path, "corrupt or truncated archive");
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const char* raw_name = archive_entry_pathname(entry);
    if (raw_name == nullptr) continue;
    std::string_view name(raw_name);
    std::string_view rel = name;
    while (rel.substr(0, 2) == "./") rel.remove_prefix(2);
    // Split into components: accept [prefix/]split/class/file with at most one prefix folder.
    std::array<std::string_view, 4> comp{};
    size_t count = 0;
    bool too_deep = false;
    for (size_t start = 0; start <= rel.size();) {
      size_t slash = rel.find('/', start);
      if (slash == std::string_view::npos) slash = rel.size();
      if (count == comp.size()) {
        too_deep = true;
        break;
      }
      comp[count++] = rel.substr(start, slash - start);
      start = slash + 1;
    }
    if (too_deep || count < 3) continue;
    const int k = class_index(comp[count - 3], comp[count - 2]);
    if (k < 0 || !wanted(static_cast<size_t>(k), parts)) continue;
    ReviewFile rf{kClassDirs[k].split, kClassDirs[k].label, 0, 0, name};
    if (!parse_review_name(comp[count - 1], &rf.id, &rf.rating, static_cast<size_t>(k) == kUnsupDir))
      SENTI_FAIL("--data ", path, ": entry ", name,
                 " is not a review file name; expected <id>_<rating>.txt (rating 1..10; 0 in train/unsup)");
    // The header's size is only a claim (a crafted one says 100 GB): check it before reserving,
    // and count what is really read, for entries whose size is unknown or wrong.
    const la_int64_t size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
    if (size > 0) budget.check_review(static_cast<uint64_t>(size), name);
    buf.clear();
    if (size > 0) buf.reserve(static_cast<size_t>(size));
    std::array<char, 1 << 16> chunk;
    while (true) {
      const la_ssize_t got = archive_read_data(a.get(), chunk.data(), chunk.size());
      if (got < 0) archive_fail(a.get(), path, "corrupt or truncated archive");
      if (got == 0) break;
      budget.check_review(buf.size() + static_cast<uint64_t>(got), name);
      buf.append(chunk.data(), static_cast<size_t>(got));
    }
    budget.charge(buf.size(), name);
    ++found[k];
    // Compressed bytes read so far (libarchive reads ahead by up to its 1 MiB block).
    if (!size_ec && file_bytes > 0)
      rf.input_fraction = std::min(1.0, static_cast<double>(archive_filter_bytes(a.get(), -1)) / file_bytes);
    // A corrupt archive inflates to garbage (NUL bytes too) before its checksum fails: a review
    // that is not text is reported only once the archive was read through intact.
    if (not_text.empty()) not_text = text_problem(buf, name, path);
    if (not_text.empty()) on_review(rf, text::strip_utf8_bom(buf));
  }
  if (!not_text.empty()) throw UsageError(not_text);
  for (size_t k = 0; k < kClassDirs.size(); ++k)
    if (found[k] == 0 && required(k, parts))
      SENTI_FAIL("--data ", path, ": the archive has no reviews in ", kClassDirs[k].rel, "; ", kLayout);
}

// "train/urls_pos.txt" -> the kUrlDirs index of its folder, or -1.
int url_dir_of(std::string_view split, std::string_view file) {
  for (int k = 0; k < 5; ++k) {
    const std::string_view rel = kUrlDirs[k];
    const size_t slash = rel.find('/');
    if (rel.substr(0, slash) == split && file.size() == 9 + rel.size() - slash - 1 &&
        file.substr(0, 5) == "urls_" && file.substr(5, rel.size() - slash - 1) == rel.substr(slash + 1) &&
        file.substr(file.size() - 4) == ".txt")
      return k;
  }
  return -1;
}

// One urls file's lines as title numbers; UsageError naming file:line for a bad one.
std::vector<int32_t> parse_urls(const std::string& bytes, const std::string& file) {
  std::vector<int32_t> out;
  size_t start = 0;
  int64_t line = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    std::string_view url(bytes.data() + start, end - start);
    if (!url.empty() && url.back() == '\r') url.remove_suffix(1);
    ++line;
    const int32_t movie = imdb_title_number(url);
    if (movie < 0)
      SENTI_FAIL(file, ":", line, ": no IMDb title number (tt<digits>) in '", url.substr(0, 200),
                 "'; expected one url a line, like http://www.imdb.com/title/tt0018515/usercomments");
    out.push_back(movie);
    start = end + 1;
  }
  return out;
}

}  // namespace

bool parse_review_name(std::string_view f, int32_t* id, uint8_t* rating, bool allow_unrated) {
  if (f.size() < 7 || f.substr(f.size() - 4) != ".txt") return false;
  f.remove_suffix(4);
  const size_t us = f.find('_');
  if (us == std::string_view::npos || us == 0 || us > 9 || us + 1 >= f.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < us; ++i) {
    if (f[i] < '0' || f[i] > '9') return false;
    v = v * 10 + (f[i] - '0');
  }
  int r = 0;
  const std::string_view rs = f.substr(us + 1);
  if (rs.size() > 2) return false;
  for (char c : rs) {
    if (c < '0' || c > '9') return false;
    r = r * 10 + (c - '0');
  }
  if (r > 10 || (r < 1 && !(allow_unrated && r == 0))) return false;
  *id = static_cast<int32_t>(v);
  *rating = static_cast<uint8_t>(r);
  return true;
}

uint64_t data_fingerprint(const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    SENTI_FAIL("--data ", path, ": no such file or directory; ", kLayout);
  uint64_t h = fnv1a64(abs.string());
  auto mix_stat = [&h](const struct stat& s) {
    h = fnv1a64_value<uint64_t>(static_cast<uint64_t>(s.st_size), h);
    h = fnv1a64_value<uint64_t>(static_cast<uint64_t>(s.st_mtim.tv_sec), h);
    h = fnv1a64_value<uint64_t>(static_cast<uint64_t>(s.st_mtim.tv_nsec), h);
  };
  if (!S_ISDIR(st.st_mode)) {
    mix_stat(st);
    return h;
  }
  const fs::path root = directory_root(path);
  for (size_t k = 0; k < kUnsupDir; ++k) {
    for (const auto& e : list_class_dir(root / kClassDirs[k].rel, path)) {
      struct stat fst {};
      if (::stat(e.path().c_str(), &fst) != 0) SENTI_FAIL(e.path().string(), ": cannot stat review");
      h = fnv1a64(e.path().filename().string(), h);
      mix_stat(fst);
    }
  }
  return h;
}

void read_aclimdb(const std::string& path,
                  const std::function<void(const ReviewFile&, std::string_view)>& on_review,
                  const ReadLimits& limits, const AclImdbParts& parts) {
  if (path.empty()) SENTI_FAIL("--data: empty path; ", kLayout);
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) SENTI_FAIL("--data ", path, ": no such file or directory; ", kLayout);
  if (fs::is_directory(status)) return read_directory(path, on_review, limits, parts);
  if (!fs::is_regular_file(status)) SENTI_FAIL("--data ", path, ": not a regular file or directory; ", kLayout);
  read_archive(path, on_review, limits, parts);
}

int MovieUrls::dir_of(SplitName split, uint8_t label) {
  switch (split) {
    case SplitName::Train: return label ? 0 : 1;
    case SplitName::Test: return label ? 2 : 3;
    case SplitName::Unlabeled: return 4;
    default: return -1;
  }
}

int32_t imdb_title_number(std::string_view url) {
  for (size_t at = url.find("tt"); at != std::string_view::npos; at = url.find("tt", at + 1)) {
    if (at > 0 && url[at - 1] != '/') continue;
    int64_t v = 0;
    size_t k = at + 2, digits = 0;
    for (; k < url.size() && url[k] >= '0' && url[k] <= '9' && digits < 10; ++k, ++digits) v = v * 10 + (url[k] - '0');
    if (digits == 0 || v > INT32_MAX || (k < url.size() && url[k] != '/' && url[k] != '?')) continue;
    return static_cast<int32_t>(v);
  }
  return -1;
}

void read_aclimdb_urls(const std::string& path, MovieUrls* urls) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path root = directory_root(path, /*labeled=*/false);
    for (int k = 0; k < 5; ++k) {
      const std::string rel = kUrlDirs[k];
      const size_t slash = rel.find('/');
      const fs::path file = root / rel.substr(0, slash) / ("urls_" + rel.substr(slash + 1) + ".txt");
      if (!urls->movies[k].empty() || !fs::is_regular_file(file, ec)) continue;
      std::string bytes;
      read_whole_file(file.string(), "urls file", &bytes, [&](uint64_t n) {
        if (n > kMaxReviewBytes) SENTI_FAIL(file.string(), ": ", n, " bytes; expected a urls file of one url a line");
      });
      urls->movies[k] = parse_urls(bytes, file.string());
      urls->files[k] = file.string();
    }
    return;
  }
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  SENTI_CHECK(a != nullptr, "archive_read_new failed (out of memory)");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 20) != ARCHIVE_OK)
    archive_fail(a.get(), path, "corrupt or truncated archive, or not a tar archive at all");
  archive_entry* entry = nullptr;
  std::string buf;
  while (true) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) archive_fail(a.get(), path, "corrupt or truncated archive");
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_pathname(entry) == nullptr) continue;
    const std::string name = archive_entry_pathname(entry);
    const size_t last = name.rfind('/');
    if (last == std::string::npos || name.compare(last + 1, 5, "urls_") != 0) continue;
    const size_t prev = name.rfind('/', last - 1);
    const std::string split = name.substr(prev == std::string::npos ? 0 : prev + 1,
                                          last - (prev == std::string::npos ? 0 : prev + 1));
    const int k = url_dir_of(split, std::string_view(name).substr(last + 1));
    if (k < 0 || !urls->movies[k].empty()) continue;
    buf.clear();
    std::array<char, 1 << 16> chunk;
    while (true) {
      const la_ssize_t got = archive_read_data(a.get(), chunk.data(), chunk.size());
      if (got < 0) archive_fail(a.get(), path, "corrupt or truncated archive");
      if (got == 0) break;
      if (buf.size() + static_cast<size_t>(got) > kMaxReviewBytes)
        SENTI_FAIL(path, ": entry ", name, " is larger than ", kMaxReviewBytes, " bytes; expected a urls file of one url a line");
      buf.append(chunk.data(), static_cast<size_t>(got));
    }
    const std::string where = path + ":" + name;
    urls->movies[k] = parse_urls(buf, where);
    urls->files[k] = where;
  }
}

bool has_aclimdb_unsup(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const fs::path root : {fs::path(path), fs::path(path) / "aclImdb"})
      if (fs::is_directory(root / "train" / "unsup", ec)) return true;
    return false;
  }
  const std::string n = path;
  auto ends = [&](const char* suf) {
    const size_t m = std::strlen(suf);
    return n.size() >= m && n.compare(n.size() - m, m, suf) == 0;
  };
  return ends(".tar.gz") || ends(".tgz") || ends(".tar");
}

uint64_t data_fingerprint(const std::string& path, const AclImdbParts& parts) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return data_fingerprint(path);
  uint64_t h = parts.labeled ? data_fingerprint(path) : fnv1a64(fs::absolute(path, ec).string());
  const fs::path root = directory_root(path, parts.labeled);
  auto mix_file = [&h](const fs::path& f) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) return;
    h = fnv1a64(f.filename().string(), h);
    h = fnv1a64_value<uint64_t>(static_cast<uint64_t>(st.st_size), h);
    h = fnv1a64_value<uint64_t>(static_cast<uint64_t>(st.st_mtim.tv_sec), h);
    h = fnv1a64_value<uint64_t>(static_cast<uint64_t>(st.st_mtim.tv_nsec), h);
  };
  for (const char* f : {"train/urls_pos.txt", "train/urls_neg.txt", "test/urls_pos.txt", "test/urls_neg.txt",
                        "train/urls_unsup.txt"})
    mix_file(root / f);
  if (parts.unlabeled && fs::is_directory(root / "train/unsup", ec))
    for (const auto& e : list_class_dir(root / "train/unsup", path)) mix_file(e.path());
  return h;
}

}  // namespace senti::data
