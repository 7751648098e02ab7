#pragma once
// Unlabeled text (DataSpec::unlabeled_path, --unlabeled-data), one reader per kind of input, each
// yielding SplitName::Unlabeled documents (no label; Document::id the file id (aclImdb) or the row):
//   aclimdb  an aclImdb archive or folder: its train/unsup/<id>_0.txt reviews, each with its movie
//            from train/urls_unsup.txt when present (aclImdb_v1_unsup.tar.gz, aclImdb_v1.tar.gz)
//   folder   a folder of .txt files, one document each, found recursively, sorted by path
//            (hidden files and folders skipped)
//   lines    a text file (.txt) of one document a line; blank lines skipped
//   csv, tsv, jsonl   the text column(s) of a labeled-file format (--text-column); a label column
//            is not needed (host/data/labeled_files.h)
// The rules every reader shares: UTF-8 text (text::non_utf8_reason; a byte-order mark dropped), a
// document at most kMaxReviewBytes; every refusal is a UsageError naming the file (and line).
#include <cstdint>
#include <functional>
#include <string>

#include "host/data/aclimdb_reader.h"
#include "host/data/corpus_source.h"
#include "host/data/labeled_files.h"

namespace senti::data {

// The names --unlabeled-format accepts, for messages.
constexpr const char* kUnlabeledFormatNames = "auto, aclimdb, folder, lines, csv, tsv or jsonl";

// The reader for `path` under `format` ("auto": an archive or a folder with train/unsup is aclimdb,
// another folder is folder, a file by its name: .csv/.tsv/.jsonl(.gz) as such, anything else lines).
// UsageError naming --unlabeled-data / --unlabeled-format when the path is missing or the format unknown.
std::string unlabeled_format_of(const std::string& path, const std::string& format);

// Calls on_document for every unlabeled document of `path` in the resolved `format`
// (unlabeled_format_of), in a deterministic order. `urls` (optional) are movies already read for
// an aclimdb input (its train/urls_unsup.txt); without them the reader reads them itself.
void read_unlabeled_text(const std::string& path, const std::string& format, const ColumnOptions& columns,
                         const std::function<void(const Document&)>& on_document,
                         const MovieUrls* urls = nullptr, const ReadLimits& limits = {});

// Cheap identity of the unlabeled input (stat only) and of the settings that change what is read.
uint64_t unlabeled_fingerprint(const std::string& path, const std::string& format, const ColumnOptions& columns);

}  // namespace senti::data
