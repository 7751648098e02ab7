#include "host/data/corpus_source.h"

#include <filesystem>
#include <utility>

#include "host/data/class_folders.h"
#include "host/data/hash.h"
#include "host/data/unlabeled_text.h"
#include "kernels/common/error.h"

namespace fs = std::filesystem;

namespace senti::data {
namespace {

// Separate test and validation files (--test-data, --validation-data), in any file format.
struct ExtraFile {
  std::string path, flag;
  SplitName split;
};

// Reads labeled files (one per split) record by record. Each record must carry exactly one label,
// or with multi_label at least one.
void read_files(const std::vector<ExtraFile>& files, const std::vector<FileFormat>& formats,
                const ColumnOptions& columns, bool multi_label,
                const std::function<void(const Document&)>& on_document) {
  std::string where;
  for (size_t k = 0; k < files.size(); ++k) {
    const ExtraFile& f = files[k];
    read_labeled_file(f.path, formats[k], columns, f.flag, [&](const LabeledRecord& r) {
      where = detail::concat(f.path, ":", r.line);
      if (r.labels->empty() || (!multi_label && r.labels->size() != 1))
        SENTI_FAIL(f.flag, " ", where, ": ", r.labels->empty() ? "no label" : "several labels",
                   multi_label ? "; expected at least one label per record"
                               : "; expected exactly one label per record (several labels per "
                                 "document: --multi-label)");
      Document d;
      d.split = f.split;
      d.label = r.labels->front();
      if (multi_label) d.labels = r.labels;
      d.text = r.text;
      d.where = where;
      d.input_fraction = (static_cast<double>(k) + r.input_fraction) / static_cast<double>(files.size());
      on_document(d);
    });
  }
}

uint64_t settings_hash(const DataSpec& spec, const std::string& kind, uint64_t data_identity = 0) {
  uint64_t h = fnv1a64(kind);
  h = fnv1a64(spec.format, h);
  for (const std::string& c : spec.columns.text_columns) h = fnv1a64(c + '\x1f', h);
  h = fnv1a64(spec.columns.label_column, h);
  h = fnv1a64_value<uint64_t>(static_cast<uint64_t>(spec.test_split * 1e9 + 0.5), h);
  if (spec.multi_label) h = fnv1a64(std::string_view("multi-label"), h);  // absent otherwise: single-label keys stay
  h = fnv1a64_value<uint64_t>(data_identity ? data_identity : tree_fingerprint(spec.path, "--data"), h);
  // Absent without unlabeled text: the keys of labeled-only inputs stay what they were.
  if (spec.read_unlabeled) h = fnv1a64(std::string_view("read-unlabeled"), h);
  if (!spec.unlabeled_path.empty()) {
    const std::string format = unlabeled_format_of(spec.unlabeled_path, spec.unlabeled_format);
    h = fnv1a64_value<uint64_t>(unlabeled_fingerprint(spec.unlabeled_path, format, spec.columns), h);
  }
  for (const std::string* p : {&spec.test_path, &spec.validation_path})
    h = p->empty() ? fnv1a64_value<uint64_t>(0, h) : fnv1a64_value<uint64_t>(tree_fingerprint(*p, "--data"), h);
  return h;
}

// The unlabeled text of --unlabeled-data, after a source's own documents (every source).
void read_unlabeled_input(const DataSpec& spec, const std::function<void(const Document&)>& on_document,
                          const MovieUrls* urls = nullptr) {
  if (spec.unlabeled_path.empty()) return;
  const std::string format = unlabeled_format_of(spec.unlabeled_path, spec.unlabeled_format);
  read_unlabeled_text(spec.unlabeled_path, format, spec.columns, on_document, urls);
}

class AclImdbSource final : public CorpusSource {
 public:
  explicit AclImdbSource(DataSpec spec) : spec_(std::move(spec)) {}
  void read(const std::function<void(const Document&)>& on_document) override {
    // The movies first (the urls files come after the reviews in an archive): --data's own urls
    // files, then those beside it in an aclImdb --unlabeled-data (aclImdb_v1_unsup.tar.gz).
    MovieUrls urls;
    read_aclimdb_urls(spec_.path, &urls);
    const bool unlabeled_aclimdb = !spec_.unlabeled_path.empty() &&
                                   unlabeled_format_of(spec_.unlabeled_path, spec_.unlabeled_format) == "aclimdb";
    if (unlabeled_aclimdb) read_aclimdb_urls(spec_.unlabeled_path, &urls);
    size_t count[5] = {0, 0, 0, 0, 0};
    AclImdbParts parts;
    parts.unlabeled = spec_.read_unlabeled;
    read_aclimdb(spec_.path, [&](const ReviewFile& rf, std::string_view text) {
      Document d;
      d.split = rf.split;
      d.label = rf.split == SplitName::Unlabeled ? "" : rf.label ? "pos" : "neg";
      d.text = text;
      d.where = rf.name;
      d.id = rf.id;
      d.rating = rf.rating;
      d.input_fraction = rf.input_fraction;
      const int dir = MovieUrls::dir_of(rf.split, rf.label);
      if (dir >= 0 && !urls.movies[dir].empty()) {
        const std::vector<int32_t>& movies = urls.movies[dir];
        if (static_cast<size_t>(rf.id) >= movies.size())
          SENTI_FAIL(urls.files[dir], ":", movies.size(), ": the file ends at line ", movies.size(),
                     " but review ", rf.name, " has id ", rf.id, "; expected one url a line for every review id");
        d.movie = movies[static_cast<size_t>(rf.id)];
      }
      if (dir >= 0) ++count[dir];
      on_document(d);
    }, ReadLimits{}, parts);
    for (int dir = 0; dir < 5; ++dir)
      if (!urls.movies[dir].empty() && count[dir] > 0 && urls.movies[dir].size() != count[dir])
        SENTI_FAIL(urls.files[dir], ":", urls.movies[dir].size(), ": ", urls.movies[dir].size(), " lines for ",
                   count[dir], " reviews in ", kUrlDirs[dir], "; expected one url a line for every review");
    read_unlabeled_input(spec_, on_document, unlabeled_aclimdb ? &urls : nullptr);
  }
  // The reviews' identity only (data_fingerprint: the class folders and urls files), so that
  // adding unrelated files beside them keeps the cache.
  uint64_t fingerprint() const override {
    AclImdbParts parts;
    parts.unlabeled = spec_.read_unlabeled;
    return settings_hash(spec_, kind(), data_fingerprint(spec_.path, parts));
  }
  const std::string& path() const override { return spec_.path; }
  std::string kind() const override { return "aclimdb"; }
  bool has_test_part() const override { return true; }
  bool movie_ids() const override { return true; }

 private:
  DataSpec spec_;
};

class FolderSource final : public CorpusSource {
 public:
  explicit FolderSource(DataSpec spec) : spec_(std::move(spec)) {}
  void read(const std::function<void(const Document&)>& on_document) override {
    read_class_folders(spec_.path, "--data", on_document, &has_test_part_);
    read_unlabeled_input(spec_, on_document);
  }
  uint64_t fingerprint() const override { return settings_hash(spec_, kind()); }
  const std::string& path() const override { return spec_.path; }
  std::string kind() const override { return "folder"; }
  bool has_test_part() const override { return has_test_part_; }

 private:
  DataSpec spec_;
  bool has_test_part_ = false;  // known after read()
};

class FileSource final : public CorpusSource {
 public:
  FileSource(DataSpec spec, FileFormat format) : spec_(std::move(spec)), format_(format) {}
  void read(const std::function<void(const Document&)>& on_document) override {
    std::vector<ExtraFile> files{{spec_.path, "--data", SplitName::Train}};
    std::vector<FileFormat> formats{format_};
    if (!spec_.validation_path.empty()) files.push_back({spec_.validation_path, "--validation-data", SplitName::Validation});
    if (!spec_.test_path.empty()) files.push_back({spec_.test_path, "--test-data", SplitName::Test});
    for (size_t k = 1; k < files.size(); ++k) formats.push_back(file_format_of(files[k].path, format_));
    read_files(files, formats, spec_.columns, spec_.multi_label, on_document);
    read_unlabeled_input(spec_, on_document);
  }
  uint64_t fingerprint() const override { return settings_hash(spec_, kind()); }
  const std::string& path() const override { return spec_.path; }
  std::string kind() const override { return format_name(format_); }
  bool has_test_part() const override { return !spec_.test_path.empty(); }
  bool multi_label() const override { return spec_.multi_label; }

  // A separate file's format: from its name, else the same as --data's.
  static FileFormat file_format_of(const std::string& path, FileFormat fallback) {
    FileFormat f;
    return format_from_file_name(path, &f) ? f : fallback;
  }

 private:
  DataSpec spec_;
  FileFormat format_;
};

void check_exists(const std::string& path, const char* flag) {
  std::error_code ec;
  if (!fs::exists(path, ec)) SENTI_FAIL(flag, " ", path, ": no such file or folder");
}

}  // namespace

std::unique_ptr<CorpusSource> open_corpus_source(const DataSpec& spec) {
  if (spec.path.empty()) SENTI_FAIL("--data: empty path");
  check_exists(spec.path, "--data");
  if (!spec.test_path.empty()) check_exists(spec.test_path, "--test-data");
  if (!spec.validation_path.empty()) check_exists(spec.validation_path, "--validation-data");
  if (!spec.unlabeled_path.empty()) (void)unlabeled_format_of(spec.unlabeled_path, spec.unlabeled_format);
  if (!(spec.test_split >= 0 && spec.test_split < 1))
    SENTI_FAIL("--test-split ", spec.test_split, ": expected a fraction in [0, 1)");
  std::error_code ec;
  const bool is_dir = fs::is_directory(spec.path, ec);
  FileFormat file_format{};
  std::string format = spec.format;
  if (format == "auto") {
    if (!is_dir && format_from_file_name(spec.path, &file_format)) format = format_name(file_format);
    else format = looks_like_aclimdb(spec.path) ? "aclimdb" : "folder";
  } else if (format != "aclimdb" && format != "folder" && !parse_format_name(format, &file_format)) {
    SENTI_FAIL("--format ", spec.format, ": expected ", kFormatNames);
  }
  const bool file_format_chosen = format != "aclimdb" && format != "folder";
  if (file_format_chosen && is_dir)
    SENTI_FAIL("--data ", spec.path, ": a folder, but --format ", format, " reads a file; expected a ", format,
               " file, or --format folder / aclimdb");
  // Separate test and validation data are labeled files; aclImdb and train/test folders bring
  // their own test split.
  if (!file_format_chosen && (!spec.test_path.empty() || !spec.validation_path.empty()))
    SENTI_FAIL(spec.test_path.empty() ? "--validation-data" : "--test-data",
               ": only with labeled files as --data (csv, tsv, jsonl, fasttext); --data ", spec.path,
               " is read as ", format, " data");
  if (spec.multi_label && !file_format_chosen)
    SENTI_FAIL("--multi-label: only with labeled files as --data (fastText lines with several "
               "__label__ tokens, JSON Lines with a list of labels, CSV/TSV); --data ", spec.path,
               " is read as ", format, " data, one class per document");
  if (format == "aclimdb") return std::make_unique<AclImdbSource>(spec);
  if (format == "folder") return std::make_unique<FolderSource>(spec);
  return std::make_unique<FileSource>(spec, file_format);
}

}  // namespace senti::data
