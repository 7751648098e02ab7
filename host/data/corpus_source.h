#pragma once
// Where labeled documents come from: one interface, one reader per kind of input, chosen by what
// `--data` is (or by `--format`):
//   aclimdb   the aclImdb layout ({train,test}/{pos,neg}/<id>_<rating>.txt), folder or .tar.gz
//   folder    one folder per class: DIR/<class>/*, or DIR/train/<class>/* + DIR/test/<class>/*,
//             a folder or a .tar.gz (Keras text_dataset_from_directory, scikit-learn load_files)
//   csv, tsv, jsonl, fasttext   labeled files (host/data/labeled_files.h), plain or gzip
// plus separate test and validation files (--test-data, --validation-data) in any file format.
// The corpus builder (host/data/corpus_builder.h) tokenizes what a source yields; it never looks at
// paths or formats itself.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "host/data/aclimdb_reader.h"
#include "host/data/labeled_files.h"

namespace senti::data {

// One labeled document as a source yields it; the views are valid during the callback only.
struct Document {
  SplitName split = SplitName::Train;
  std::string_view label;          // the class name as written in the data ("pos", "4", "HUM")
  // DataSpec::multi_label: every label of the document, as written (label is the first); else null.
  const std::vector<std::string>* labels = nullptr;
  std::string_view text;
  std::string_view where;          // for messages: "<file>" or "<file>:<line>"
  int32_t id = -1;                 // aclImdb: <id> of the file name; -1 otherwise
  int32_t movie = -1;              // aclImdb with urls files: the IMDb title number; -1 unknown
  uint8_t rating = 0;              // aclImdb: <rating> of the file name; 0 otherwise
  double input_fraction = 0;       // share of the input read so far (0..1), for progress
};

// What the user asked to read: the data flags of prepare/train/eval.
struct DataSpec {
  std::string path;                 // --data (resolved): a folder, an archive or a file
  std::string format = "auto";      // --format: auto|aclimdb|folder|csv|tsv|jsonl|fasttext
  std::string test_path;            // --test-data: a labeled file (any file format); empty: none
  std::string validation_path;      // --validation-data: the same
  ColumnOptions columns;            // --text-column, --label-column (file formats)
  // --test-split: the share of the documents held out as the test split when the data has no
  // test part of its own (a single file or a folder of classes without train/test); seeded, fixed.
  double test_split = 0.1;
  // --multi-label: a document may carry several labels (fastText lines, JSON Lines arrays);
  // without it a record must carry exactly one.
  bool multi_label = false;
  // --unlabeled-data: unlabeled text (SplitName::Unlabeled documents): an aclImdb archive or
  // folder (its train/unsup, and its urls files give --data's aclImdb reviews their movies), a
  // folder of .txt files (one document each, sorted by path, recursive), a text file of one
  // document a line (.txt), or a CSV/TSV/JSON Lines file's text column(s). Empty: none.
  std::string unlabeled_path;
  // --unlabeled-format: auto (from the path, as above), aclimdb, folder, lines, csv, tsv or jsonl.
  std::string unlabeled_format = "auto";
  // Also read --data's own unlabeled part when it has one (aclImdb's train/unsup). `senti
  // pretrain` sets it; `train` leaves it off, so its corpus stays what it was.
  bool read_unlabeled = false;
};

class CorpusSource {
 public:
  virtual ~CorpusSource() = default;
  // Calls on_document for every document, in a deterministic order for the same input.
  // Throws UsageError naming the file (and line) and what was expected on malformed input.
  virtual void read(const std::function<void(const Document&)>& on_document) = 0;
  // Changes whenever an input file changes (stat-based: cheap) or a setting that changes what is
  // read (format, columns, test split); the token cache key includes it.
  virtual uint64_t fingerprint() const = 0;
  // The input (--data) as given, for messages.
  virtual const std::string& path() const = 0;
  // One word naming the reader, e.g. "aclimdb", "folder", "csv", recorded in caches and checkpoints.
  virtual std::string kind() const = 0;
  // True when the source has a test part of its own (aclImdb, train/test folders, --test-data);
  // for class folders known only once read() has run.
  virtual bool has_test_part() const = 0;
  // True for aclImdb: review ids whose blocks stand in for movies.
  virtual bool movie_ids() const { return false; }
  // True when documents may carry several labels (DataSpec::multi_label; labeled files only).
  virtual bool multi_label() const { return false; }
};

// The reader for `spec`, after checking every setting and that the paths exist (UsageError naming
// the flag otherwise); nothing is read yet.
std::unique_ptr<CorpusSource> open_corpus_source(const DataSpec& spec);

// The names --format accepts, for messages.
constexpr const char* kFormatNames = "auto, aclimdb, folder, csv, tsv, jsonl or fasttext";

}  // namespace senti::data
