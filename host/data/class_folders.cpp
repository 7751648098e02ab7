#include "host/data/class_folders.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "host/data/hash.h"
#include "host/data/whole_file.h"
#include "host/text/text_encoding.h"
#include "kernels/common/error.h"

namespace fs = std::filesystem;

namespace senti::data {
namespace {

constexpr const char* kLayout =
    "expected one folder per class (DIR/<class>/*.txt, or DIR/train/<class>/*.txt and "
    "DIR/test/<class>/*.txt), as a folder or a .tar.gz; or the aclImdb layout (train/pos, train/neg, "
    "test/pos, test/neg folders of <id>_<rating>.txt reviews)";
constexpr const char* kUnlabeled = "unsup";  // aclImdb's unlabeled reviews: not a class

bool is_document_name(std::string_view name) {
  return name.size() > 4 && name.front() != '.' && name.substr(name.size() - 4) == ".txt";
}

// Counts document bytes against the limits, naming the document that crosses one.
class Budget {
 public:
  Budget(std::string flag, std::string path, const ReadLimits& limits)
      : flag_(std::move(flag)), path_(std::move(path)), limits_(limits) {}
  void check_document(uint64_t bytes, std::string_view where) const {
    if (bytes > limits_.review_bytes)
      SENTI_FAIL(flag_, " ", path_, ": ", where, " has ", bytes, " bytes, more than the ",
                 limits_.review_bytes, " bytes a document may have; expected text documents");
  }
  void charge(uint64_t bytes, std::string_view where) {
    total_ += bytes;
    if (total_ > limits_.total_bytes)
      SENTI_FAIL(flag_, " ", path_, ": the documents up to ", where, " add up to more than ",
                 limits_.total_bytes, " bytes");
  }

 private:
  std::string flag_, path_;
  ReadLimits limits_;
  uint64_t total_ = 0;
};

// The document's text, or an error naming it when it is not UTF-8 (host/text/text_encoding.h).
std::string_view document_text(const std::string& buf, std::string_view where, const std::string& flag,
                               const std::string& path) {
  const std::string why = text::non_utf8_reason(buf);
  if (!why.empty())
    SENTI_FAIL(flag, " ", path, ": ", where, " is ", why, "; ", text::kExpectedUtf8);
  return text::strip_utf8_bom(buf);
}

void read_document_file(const fs::path& file, std::string* buf, Budget* budget) {
  read_whole_file(file.string(), "document", buf, [&](uint64_t bytes) {
    budget->check_document(bytes, file.string());
    budget->charge(bytes, file.string());
  });
}

// Sorted names of the entries of `dir` that pass `keep`.
std::vector<fs::path> sorted_entries(const fs::path& dir, const std::string& flag, const std::string& path,
                                     bool want_dirs) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    const bool is_dir = it->is_directory(type_ec);
    if (want_dirs ? (is_dir && name.front() != '.' && name != kUnlabeled) : (!is_dir && is_document_name(name)))
      out.push_back(it->path());
  }
  if (ec) SENTI_FAIL(flag, " ", path, ": cannot list folder ", dir.string(), " (", ec.message(), ")");
  std::sort(out.begin(), out.end());
  return out;
}

void read_split_folder(const fs::path& dir, SplitName split, const std::string& flag, const std::string& path,
                       const std::function<void(const Document&)>& on_document, Budget* budget) {
  const std::vector<fs::path> classes = sorted_entries(dir, flag, path, true);
  if (classes.empty()) SENTI_FAIL(flag, " ", path, ": no class folders in ", dir.string(), "; ", kLayout);
  std::vector<std::vector<fs::path>> files;
  size_t total = 0, done = 0;
  for (const fs::path& c : classes) {
    files.push_back(sorted_entries(c, flag, path, false));
    if (files.back().empty())
      SENTI_FAIL(flag, " ", path, ": class folder ", c.string(), " has no .txt documents; ", kLayout);
    total += files.back().size();
  }
  std::string buf;
  for (size_t k = 0; k < classes.size(); ++k) {
    const std::string label = classes[k].filename().string();
    for (const fs::path& f : files[k]) {
      const std::string where = f.string();
      read_document_file(f, &buf, budget);
      Document d;
      d.split = split;
      d.label = label;
      d.text = document_text(buf, where, flag, path);
      d.where = where;
      d.input_fraction = static_cast<double>(++done) / static_cast<double>(total);
      on_document(d);
    }
  }
}

void read_folder(const std::string& path, const std::string& flag,
                 const std::function<void(const Document&)>& on_document, bool* has_test_part,
                 const ReadLimits& limits) {
  const fs::path root(path);
  std::error_code ec;
  if (::access(path.c_str(), R_OK | X_OK) != 0)
    SENTI_FAIL(flag, " ", path, ": folder is not readable (", std::strerror(errno), "); ", kLayout);
  Budget budget(flag, path, limits);
  *has_test_part = fs::is_directory(root / "train", ec) && fs::is_directory(root / "test", ec);
  if (!*has_test_part) return read_split_folder(root, SplitName::Train, flag, path, on_document, &budget);
  read_split_folder(root / "train", SplitName::Train, flag, path, on_document, &budget);
  read_split_folder(root / "test", SplitName::Test, flag, path, on_document, &budget);
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveCloser>;

ArchivePtr open_archive(const std::string& path) {
  ArchivePtr a(archive_read_new());
  SENTI_CHECK(a != nullptr, "archive_read_new failed (out of memory)");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 20) != ARCHIVE_OK) return nullptr;
  return a;
}

[[noreturn]] void archive_fail(archive* a, const std::string& flag, const std::string& path, const char* what) {
  const char* msg = archive_error_string(a);
  SENTI_FAIL(flag, " ", path, ": ", what, " (", msg ? msg : "unknown libarchive error",
             "); expected an intact .tar.gz of class folders");
}

// The entry's path as components, "./" prefixes dropped.
std::vector<std::string_view> components(std::string_view name) {
  std::vector<std::string_view> out;
  for (size_t start = 0; start <= name.size();) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    const std::string_view c = name.substr(start, slash - start);
    if (!c.empty() && c != ".") out.push_back(c);
    start = slash + 1;
  }
  return out;
}

struct EntryPlace {
  bool document = false;
  SplitName split = SplitName::Train;
  bool under_split_folder = false;  // .../{train,test}/<class>/<file>
  std::string_view label;
};

EntryPlace place_of(std::string_view name) {
  EntryPlace p;
  const auto c = components(name);
  if (c.size() < 2 || !is_document_name(c.back())) return p;
  p.label = c[c.size() - 2];
  if (p.label == kUnlabeled || p.label.front() == '.') return p;
  p.document = true;
  if (c.size() >= 3 && (c[c.size() - 3] == "train" || c[c.size() - 3] == "test")) {
    p.under_split_folder = true;
    p.split = c[c.size() - 3] == "train" ? SplitName::Train : SplitName::Test;
  }
  return p;
}

void read_archive(const std::string& path, const std::string& flag,
                  const std::function<void(const Document&)>& on_document, bool* has_test_part,
                  const ReadLimits& limits) {
  ArchivePtr a = open_archive(path);
  if (!a) SENTI_FAIL(flag, " ", path, ": corrupt or truncated archive, or not a tar archive; ", kLayout);
  Budget budget(flag, path, limits);
  std::error_code size_ec;
  const auto file_bytes = static_cast<double>(fs::file_size(path, size_ec));
  std::string buf, not_text, first_flat, first_split;
  int64_t documents = 0;
  *has_test_part = false;
  archive_entry* entry = nullptr;
  while (true) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) archive_fail(a.get(), flag, path, "corrupt or truncated archive");
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_pathname(entry) == nullptr) continue;
    const std::string name = archive_entry_pathname(entry);
    const EntryPlace place = place_of(name);
    if (!place.document) continue;
    (place.under_split_folder ? first_split : first_flat) = name;
    if (!first_split.empty() && !first_flat.empty())
      SENTI_FAIL(flag, " ", path, ": entries ", first_split, " and ", first_flat,
                 " mix train/test class folders with plain class folders; ", kLayout);
    *has_test_part = *has_test_part || place.split == SplitName::Test;
    // The header's size is only a claim: check it, then count what is really read.
    const la_int64_t size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
    if (size > 0) budget.check_document(static_cast<uint64_t>(size), name);
    buf.clear();
    std::array<char, 1 << 16> chunk;
    while (true) {
      const la_ssize_t got = archive_read_data(a.get(), chunk.data(), chunk.size());
      if (got < 0) archive_fail(a.get(), flag, path, "corrupt or truncated archive");
      if (got == 0) break;
      budget.check_document(buf.size() + static_cast<uint64_t>(got), name);
      buf.append(chunk.data(), static_cast<size_t>(got));
    }
    budget.charge(buf.size(), name);
    ++documents;
    // A corrupt archive inflates to garbage before its checksum fails: text problems are
    // reported only once the archive was read through intact.
    if (!not_text.empty()) continue;
    const std::string why = text::non_utf8_reason(buf);
    if (!why.empty()) {
      not_text = detail::concat(flag, " ", path, ": entry ", name, " is ", why, "; ", text::kExpectedUtf8);
      continue;
    }
    Document d;
    d.split = place.split;
    d.label = place.label;
    d.text = text::strip_utf8_bom(buf);
    d.where = name;
    if (!size_ec && file_bytes > 0)
      d.input_fraction = std::min(1.0, static_cast<double>(archive_filter_bytes(a.get(), -1)) / file_bytes);
    on_document(d);
  }
  if (!not_text.empty()) throw UsageError(not_text);
  if (documents == 0) SENTI_FAIL(flag, " ", path, ": the archive holds no .txt documents in class folders; ", kLayout);
}

}  // namespace

bool looks_like_aclimdb(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    // Any of aclImdb's class folders, or a train/ or test/ folder that cannot be searched: the
    // aclImdb reader then says exactly which part is missing or unreadable.
    for (const fs::path root : {fs::path(path), fs::path(path) / "aclImdb"}) {
      for (const char* rel : {"train/pos", "train/neg", "test/pos", "test/neg"})
        if (fs::is_directory(root / rel, ec)) return true;
      for (const char* split : {"train", "test"})
        if (fs::is_directory(root / split, ec) && ::access((root / split).c_str(), R_OK | X_OK) != 0) return true;
    }
    return false;
  }
  ArchivePtr a = open_archive(path);
  if (!a) return false;
  archive_entry* entry = nullptr;
  // The first review file decides; aclImdb archives start with a few metadata files.
  for (int k = 0; k < 10000 && archive_read_next_header(a.get(), &entry) == ARCHIVE_OK; ++k) {
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_pathname(entry) == nullptr) continue;
    const std::string name = archive_entry_pathname(entry);
    const EntryPlace place = place_of(name);
    if (!place.document) continue;
    int32_t id = 0;
    uint8_t rating = 0;
    // aclImdb's unlabeled reviews (train/unsup/<id>_0.txt) may come first (aclImdb_v1.tar.gz).
    if (place.under_split_folder && place.label == "unsup")
      return parse_review_name(components(name).back(), &id, &rating, /*allow_unrated=*/true);
    return place.under_split_folder && (place.label == "pos" || place.label == "neg") &&
           parse_review_name(components(name).back(), &id, &rating);
  }
  return false;
}

void read_class_folders(const std::string& path, const std::string& flag,
                        const std::function<void(const Document&)>& on_document, bool* has_test_part,
                        const ReadLimits& limits) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) SENTI_FAIL(flag, " ", path, ": no such file or folder; ", kLayout);
  if (fs::is_directory(status)) return read_folder(path, flag, on_document, has_test_part, limits);
  if (!fs::is_regular_file(status)) SENTI_FAIL(flag, " ", path, ": not a regular file or folder; ", kLayout);
  read_archive(path, flag, on_document, has_test_part, limits);
}

uint64_t tree_fingerprint(const std::string& path, const std::string& flag) {
  std::error_code ec;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) SENTI_FAIL(flag, " ", path, ": no such file or folder");
  uint64_t h = fnv1a64(fs::absolute(path, ec).string());
  auto mix_stat = [&h](const struct stat& s) {
    h = fnv1a64_value<uint64_t>(static_cast<uint64_t>(s.st_size), h);
    h = fnv1a64_value<uint64_t>(static_cast<uint64_t>(s.st_mtim.tv_sec), h);
    h = fnv1a64_value<uint64_t>(static_cast<uint64_t>(s.st_mtim.tv_nsec), h);
  };
  if (!S_ISDIR(st.st_mode)) {
    mix_stat(st);
    return h;
  }
  std::vector<fs::path> files, folders{fs::path(path)};
  while (!folders.empty()) {  // by hand, to name the folder that cannot be listed
    const fs::path dir = folders.back();
    folders.pop_back();
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code type_ec;
      (it->is_directory(type_ec) ? folders : files).push_back(it->path());
    }
    if (ec) SENTI_FAIL(flag, " ", path, ": cannot list the folder ", dir.string(), " (", ec.message(), ")");
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    struct stat fst {};
    if (::stat(f.c_str(), &fst) != 0) continue;  // a dangling link: not a document either
    h = fnv1a64(fs::relative(f, path, ec).string(), h);
    mix_stat(fst);
  }
  return h;
}

}  // namespace senti::data
