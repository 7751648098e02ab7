#pragma once
// The data flags shared by prepare / train / eval / bench, and the one call that turns them into a
// Corpus (through the token cache).
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "host/data/corpus_cache.h"
#include "host/data/dataset.h"
#include "host/text/tokenizers.h"

namespace senti::cli {

struct DataFlags {
  std::string data;        // a folder, archive or labeled file; empty: $SENTI_DATA, else the downloaded archive
  std::string format = "auto";  // data::DataSpec::format
  std::string text_column, label_column;  // file formats: column names (text: comma-separated)
  std::string test_data, validation_data;  // separate labeled files
  double test_split = 0.1;                 // held out when the data has no test part
  const CLI::Option* test_split_flag = nullptr;  // set by add_data_flags: was --test-split given?
  std::string cache_dir;   // empty: default_cache_dir()
  int num_words = 10000;
  std::string word_index;  // Keras imdb_word_index.json; empty: vocabulary from the train split
  int maxlen = 500;
  std::string padding = "post", truncating = "post";
  std::string tokenizer = "v1";  // text::TokenizerKind by name: v1 or unicode
  bool multi_label = false;      // --multi-label: several labels per document (data::DataSpec)
  std::string unlabeled_data;    // --unlabeled-data: unlabeled text (data::DataSpec::unlabeled_path)
  std::string unlabeled_format = "auto";  // --unlabeled-format (data::DataSpec::unlabeled_format)
  std::string vocab_from = "train";  // --vocab-from train|train+unlabeled
  bool read_unlabeled = false;   // read --data's own unlabeled part (pretrain; data::DataSpec)
  // Encode with this vocabulary instead of building one (train --init: the pretrained model's).
  std::shared_ptr<const data::Vocabulary> fixed_vocab;
};

// Adds --data, --format, --text-column, --label-column, --test-data, --validation-data,
// --test-split, --cache-dir, --num-words, --word-index, --maxlen, --padding, --truncating,
// --tokenizer, --multi-label, --unlabeled-data, --unlabeled-format, --vocab-from.
void add_data_flags(CLI::App* cmd, DataFlags* f);

// Validated sequence options: UsageError naming --padding / --truncating, InvalidSetting "maxlen"
// (data::validate_sequence_options).
data::SequenceOptions sequence_options(const DataFlags& f);

// --tokenizer by kind: UsageError naming the flag and the choices.
text::TokenizerKind tokenizer_kind(const DataFlags& f);

// $SENTI_CACHE_DIR, else $XDG_CACHE_HOME/senti, else $HOME/.cache/senti.
std::string default_cache_dir();

// The data path to read: --data, else $SENTI_DATA, else the official archive in the cache folder
// (downloaded and sha256-verified on first use). UsageError when none can be had.
std::string resolve_data_path(const DataFlags& f, const std::string& cache_dir);

// Validates every flag (before any slow work), then loads the cache for these settings if valid,
// else builds it from the data and writes it. verbose: one line on stderr saying which happened.
data::Corpus load_corpus(const DataFlags& f, bool verbose);

// The request load_corpus makes (prepare uses it with force_rebuild).
data::CorpusRequest corpus_request(const DataFlags& f);

}  // namespace senti::cli
