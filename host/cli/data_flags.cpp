#include "host/cli/data_flags.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "kernels/common/error.h"
#include "host/data/download.h"
#include "host/cli/flag_names.h"

namespace fs = std::filesystem;

namespace senti::cli {
namespace {

data::Side parse_side(const std::string& v, const char* flag) {
  if (v == "pre") return data::Side::Pre;
  if (v == "post") return data::Side::Post;
  SENTI_FAIL(flag, " ", v, ": expected pre or post");
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

void add_data_flags(CLI::App* cmd, DataFlags* f) {
  cmd->add_option("--data", f->data,
                  "The labeled text: the aclImdb folder or its .tar.gz (read without extracting); a "
                  "folder (or .tar.gz) of class folders, DIR/<class>/*.txt or DIR/{train,test}/<class>/*.txt; "
                  "or a CSV, TSV, JSON Lines or fastText file, plain or .gz (docs/data.md). "
                  "Default: $SENTI_DATA, else the official IMDB archive downloaded once into the cache "
                  "folder and verified by sha256")
      ->check(non_empty_path());
  cmd->add_option("--format", f->format,
                  "How to read --data: auto (from the file name, or aclImdb / class folders for a "
                  "folder or archive), aclimdb, folder, csv, tsv, jsonl or fasttext")
      ->capture_default_str();
  cmd->add_option("--text-column", f->text_column,
                  "CSV/TSV/JSON Lines: the column(s) holding the text, comma-separated and joined by a "
                  "newline (e.g. title,description). Default: text, else sentence")
      ->check(non_empty_path());
  cmd->add_option("--label-column", f->label_column,
                  "CSV/TSV/JSON Lines: the column holding the label. Default: label")
      ->check(non_empty_path());
  cmd->add_option("--test-data", f->test_data,
                  "A labeled file (same formats) used as the test split instead of a held-out share")
      ->check(non_empty_path());
  cmd->add_option("--validation-data", f->validation_data,
                  "A labeled file (same formats) used for validation instead of --validation-split")
      ->check(non_empty_path());
  cmd->add_flag("--multi-label", f->multi_label,
                "Documents may carry several labels (fastText lines with several __label__ tokens, "
                "JSON Lines label lists): K sigmoids and a binary cross-entropy per label "
                "(fastText -loss ova) instead of one softmax");
  f->test_split_flag = cmd->add_option("--test-split", f->test_split,
                                       "Share of the documents held out (seeded, fixed) as the test split "
                                       "when the data has no test part of its own (a single file, class "
                                       "folders without train/test); 0 keeps every document for training")
                           ->capture_default_str();
  cmd->add_option("--cache-dir", f->cache_dir,
                  "Folder for the token cache (and the downloaded archive). Default: "
                  "$SENTI_CACHE_DIR, else $XDG_CACHE_HOME/senti, else ~/.cache/senti")
      ->check(non_empty_path());
  cmd->add_option("--unlabeled-data", f->unlabeled_data,
                  "Unlabeled text, read beside --data: an aclImdb archive or folder (its train/unsup "
                  "reviews; its urls_*.txt files also give --data's aclImdb reviews their movies, for "
                  "--validation-split-by movie), a folder of .txt files (one document each), a text file "
                  "of one document a line, or a CSV/TSV/JSON Lines file's --text-column (docs/data.md)")
      ->check(non_empty_path());
  cmd->add_option("--unlabeled-format", f->unlabeled_format,
                  "How to read --unlabeled-data: auto (from the path), aclimdb, folder, lines, csv, tsv or jsonl")
      ->capture_default_str();
  cmd->add_option("--vocab-from", f->vocab_from,
                  "Which documents' word counts build the vocabulary: train (the train split) or "
                  "train+unlabeled (the train split and the unlabeled documents together)")
      ->capture_default_str();
  add_integer_option(cmd, "--num-words", f->num_words,
                     "Vocabulary cap: keep word ids < N (0 pad, 1 start, 2 out-of-vocabulary, "
                     "words from 3); at least 4")
      ->capture_default_str();
  cmd->add_option("--word-index", f->word_index,
                  "Keras imdb_word_index.json: use its ranks for Keras-compatible ids (rank + 3) "
                  "instead of a vocabulary built from the train split")
      ->check(non_empty_path());
  add_integer_option(cmd, "--maxlen", f->maxlen,
                     "Sequence length T: start token + ids, padded/truncated to this")
      ->capture_default_str();
  cmd->add_option("--padding", f->padding, "Where padding goes when a review is shorter: pre or post")
      ->capture_default_str();
  cmd->add_option("--truncating", f->truncating, "Which end is cut when a review is longer: pre or post")
      ->capture_default_str();
  cmd->add_option("--tokenizer", f->tokenizer,
                  "How text is cut into words: v1 (senti's own rules, Keras/IMDB-compatible ids) or "
                  "unicode (ICU word boundaries and NFKC case folding: segments Chinese, Japanese, Thai "
                  "and folds every script). Recorded in the token cache and the checkpoint; predict, "
                  "serve and eval use the checkpoint's")
      ->capture_default_str();
}

text::TokenizerKind tokenizer_kind(const DataFlags& f) {
  text::TokenizerKind kind;
  if (!text::parse_tokenizer(f.tokenizer, &kind))
    SENTI_FAIL("--tokenizer ", f.tokenizer, ": expected ", text::kTokenizerChoices);
  return kind;
}

data::SequenceOptions sequence_options(const DataFlags& f) {
  data::SequenceOptions o;
  o.maxlen = f.maxlen;
  o.padding = parse_side(f.padding, "--padding");
  o.truncating = parse_side(f.truncating, "--truncating");
  data::validate_sequence_options(o);
  return o;
}

std::string default_cache_dir() {
  if (std::string d = env("SENTI_CACHE_DIR"); !d.empty()) return d;
  if (std::string x = env("XDG_CACHE_HOME"); !x.empty()) return (fs::path(x) / "senti").string();
  if (std::string h = env("HOME"); !h.empty()) return (fs::path(h) / ".cache" / "senti").string();
  SENTI_FAIL("--cache-dir: not given and neither SENTI_CACHE_DIR, XDG_CACHE_HOME nor HOME is set");
}

std::string resolve_data_path(const DataFlags& f, const std::string& cache_dir) {
  if (!f.data.empty()) return f.data;
  if (std::string d = env("SENTI_DATA"); !d.empty()) return d;
  const std::string archive = (fs::path(cache_dir) / data::kOfficialArchiveName).string();
  std::error_code ec;
  if (fs::is_regular_file(archive, ec)) return archive;  // verified when it was downloaded
  data::ensure_writable_dir(cache_dir, "--cache-dir");
  data::download_verified(data::kOfficialArchiveUrl, data::kOfficialArchiveSha256, archive);
  return archive;
}

data::CorpusRequest corpus_request(const DataFlags& f) {
  data::check_num_words(f.num_words);
  (void)sequence_options(f);  // validate every flag before touching the data
  const text::TokenizerKind tokenizer = tokenizer_kind(f);
  data::CorpusRequest req;
  req.cache_dir = f.cache_dir.empty() ? default_cache_dir() : f.cache_dir;
  req.data.path = resolve_data_path(f, req.cache_dir);
  req.data.format = f.format;
  req.data.test_path = f.test_data;
  req.data.validation_path = f.validation_data;
  req.data.columns.label_column = f.label_column;
  for (size_t start = 0; !f.text_column.empty() && start <= f.text_column.size();) {
    size_t comma = f.text_column.find(',', start);
    if (comma == std::string::npos) comma = f.text_column.size();
    const std::string name = f.text_column.substr(start, comma - start);
    if (name.empty()) SENTI_FAIL("--text-column ", f.text_column, ": an empty column name; expected names separated by commas");
    req.data.columns.text_columns.push_back(name);
    start = comma + 1;
  }
  const bool test_split_given = f.test_split_flag && f.test_split_flag->count() > 0;
  if (test_split_given && !f.test_data.empty())
    SENTI_FAIL("--test-split: not with --test-data, which is the test split");
  req.data.test_split = f.test_split;
  req.data.multi_label = f.multi_label;
  req.vocab.num_words = f.num_words;
  req.vocab.word_index = f.word_index;
  req.vocab.tokenizer = tokenizer;
  req.data.unlabeled_path = f.unlabeled_data;
  req.data.unlabeled_format = f.unlabeled_format;
  req.data.read_unlabeled = f.read_unlabeled;
  if (f.vocab_from != "train" && f.vocab_from != "train+unlabeled")
    SENTI_FAIL("--vocab-from: expected train or train+unlabeled, got '", f.vocab_from, "'");
  req.vocab.include_unlabeled = f.vocab_from == "train+unlabeled";
  if (req.vocab.include_unlabeled && !f.word_index.empty())
    SENTI_FAIL("--vocab-from train+unlabeled: not with --word-index, which fixes the vocabulary");
  if (req.vocab.include_unlabeled && f.unlabeled_data.empty() && !f.read_unlabeled)
    SENTI_FAIL("--vocab-from train+unlabeled: expected --unlabeled-data PATH (the unlabeled text to count)");
  req.vocab.fixed = f.fixed_vocab;
  return req;
}

data::Corpus load_corpus(const DataFlags& f, bool verbose) {
  data::CorpusResult r = data::load_or_build_corpus(corpus_request(f));
  if (verbose)
    std::fprintf(stderr, "senti: %s %s in %.2f s (%s, %zu classes: %zu train / %s%zu test documents%s)\n",
                 r.from_cache ? "loaded token cache" : "built token cache", r.cache_path.c_str(), r.seconds,
                 r.corpus.source.c_str(), r.corpus.classes.size(), r.corpus.train.size(),
                 r.corpus.validation.size() ? (std::to_string(r.corpus.validation.size()) + " validation / ").c_str() : "",
                 r.corpus.test.size(),
                 r.corpus.unlabeled.size() ? (" / " + std::to_string(r.corpus.unlabeled.size()) + " unlabeled").c_str() : "");
  return std::move(r.corpus);
}

}  // namespace senti::cli
