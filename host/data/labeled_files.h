#pragma once
// Labeled text in the files people keep it in, read record by record, plain or gzip-compressed
// (told by the gzip magic bytes 1f 8b, not by the name):
//   csv       a header row naming the columns, RFC 4180 quoting (quoted fields may hold commas,
//             doubled quotes and line ends), LF or CRLF line ends (pandas, Hugging Face datasets)
//   tsv       the same with tabs (GLUE); GLUE files never quote, but a quoted field still parses
//   jsonl     one JSON object a line, blank lines skipped; a label is a string, an integer or an
//             array of those (multi-label)
//   fasttext  one record a line; every token "__label__X" anywhere on it is label X (fastText's
//             rule), the rest is the text; empty lines skipped
// The rules every format shares: UTF-8 text (a byte-order mark dropped; UTF-16/32, NUL bytes and
// invalid byte sequences refused with line and column), a record at most ReadLimits::review_bytes
// and the whole decompressed file at most ReadLimits::total_bytes (checked while reading: memory
// stays bounded whatever the file claims), and at least one record. Every refusal is a UsageError
// whose message starts "<flag> <path>:<line>:<column>: " ("<path>:<line>: " where no column
// applies, "<path>: " for the file as a whole) and says what was found and what was expected.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "host/data/aclimdb_reader.h"

namespace senti::data {

enum class FileFormat { Csv, Tsv, JsonLines, FastText };

// "csv", "tsv", "jsonl", "fasttext".
const char* format_name(FileFormat f);
// "csv" | "tsv" | "jsonl" | "fasttext" -> *out; false otherwise (*out untouched).
bool parse_format_name(std::string_view name, FileFormat* out);
// The format the file name says, after dropping a ".gz": .csv, .tsv, .jsonl/.ndjson/.json,
// .txt/.ft/.fasttext (case-insensitive); false when the name says none.
bool format_from_file_name(const std::string& path, FileFormat* out);

// Which columns (CSV/TSV) or keys (JSON Lines) hold what; fastText lines need none.
struct ColumnOptions {
  std::vector<std::string> text_columns;  // empty: "text" if the file has it, else "sentence"
  std::string label_column;               // empty: "label"
  bool labels_required = true;            // false: unlabeled text (a missing label column is fine)
};

// One record, valid during the callback only.
struct LabeledRecord {
  std::string_view text;                   // the text columns' values joined by "\n" (one: as is)
  const std::vector<std::string>* labels;  // its labels: 0 (unlabeled), 1, or several (multi-label)
  int64_t line;                            // 1-based line where the record starts
  double input_fraction;                   // bytes of the file read so far / its size (0..1)
};

// Calls on_record for every record of `path`, in file order. `flag` is how messages name the
// input ("--data", "--test-data"). With labels_required every record must have a label (a CSV
// cell, a JSON value or a fastText token that is empty or missing is an error); without it, a
// record may have none. Throws UsageError (see above) at the first problem; the records passed
// before it stay passed, so callers collect and commit only once this returns.
void read_labeled_file(const std::string& path, FileFormat format, const ColumnOptions& cols,
                       const std::string& flag,
                       const std::function<void(const LabeledRecord&)>& on_record,
                       const ReadLimits& limits = {});

}  // namespace senti::data
