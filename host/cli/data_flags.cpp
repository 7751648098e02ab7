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
                  "The IMDB data: the aclImdb folder or its .tar.gz (read without extracting). "
                  "Default: $SENTI_DATA, else the official archive downloaded once into the cache "
                  "folder and verified by sha256")
      ->check(non_empty_path());
  cmd->add_option("--cache-dir", f->cache_dir,
                  "Folder for the token cache (and the downloaded archive). Default: "
                  "$SENTI_CACHE_DIR, else $XDG_CACHE_HOME/senti, else ~/.cache/senti")
      ->check(non_empty_path());
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
  data::CorpusRequest req;
  req.cache_dir = f.cache_dir.empty() ? default_cache_dir() : f.cache_dir;
  req.data_path = resolve_data_path(f, req.cache_dir);
  req.vocab.num_words = f.num_words;
  req.vocab.word_index = f.word_index;
  return req;
}

data::Corpus load_corpus(const DataFlags& f, bool verbose) {
  data::CorpusResult r = data::load_or_build_corpus(corpus_request(f));
  if (verbose)
    std::fprintf(stderr, "senti: %s %s in %.2f s (%zu train / %zu test reviews)\n",
                 r.from_cache ? "loaded token cache" : "built token cache", r.cache_path.c_str(), r.seconds,
                 r.corpus.train.size(), r.corpus.test.size());
  return std::move(r.corpus);
}

}  // namespace senti::cli
