#include "host/data/corpus_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "engine/atomic_file.h"
#include "kernels/common/error.h"
#include "host/data/word_index.h"
#include "host/text/tokenizers.h"

namespace fs = std::filesystem;

namespace senti::data {

namespace {
CacheKey key_for(const CorpusRequest& req, const CorpusSource& source) {
  check_num_words(req.vocab.fixed ? req.vocab.fixed->num_words : req.vocab.num_words);
  CacheKey key;
  key.num_words = req.vocab.fixed ? req.vocab.fixed->num_words : req.vocab.num_words;
  key.tokenizer = req.vocab.tokenizer;
  key.tokenizer_version = text::tokenizer_version(req.vocab.tokenizer);
  key.tokenizer_data = text::tokenizer_data_version(req.vocab.tokenizer);
  if (req.vocab.fixed) {
    key.vocab_kind = VocabKind::Fixed;
    key.vocab_source_hash = req.vocab.fixed->hash();
  } else if (!req.vocab.word_index.empty()) {
    key.vocab_kind = VocabKind::KerasWordIndex;
    key.vocab_source_hash = word_index_content_hash(req.vocab.word_index);
  } else if (req.vocab.include_unlabeled) {
    key.vocab_kind = VocabKind::TrainPlusUnlabeled;
  }
  key.data_fingerprint = source.fingerprint();
  return key;
}
}  // namespace

CacheKey cache_key_for(const CorpusRequest& req) {
  return key_for(req, *open_corpus_source(req.data));
}

void ensure_writable_dir(const std::string& dir, const std::string& flag) {
  if (dir.empty()) SENTI_FAIL(flag, ": empty folder name; expected a writable folder");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    SENTI_FAIL(flag, " ", dir, ": cannot create the folder (", ec ? ec.message() : "exists as a file",
               "); expected a writable folder");
  check_can_create_files(dir, flag);
}

CorpusResult load_or_build_corpus(const CorpusRequest& req) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const std::unique_ptr<CorpusSource> source = open_corpus_source(req.data);
  const CacheKey key = key_for(req, *source);
  remove_stale_temp_files(req.cache_dir);  // caches half-written by processes killed since
  CorpusResult out;
  out.cache_path = (fs::path(req.cache_dir) / cache_file_name(key)).string();
  if (!req.force_rebuild) {
    std::string why;
    const CacheStatus st = read_token_cache(out.cache_path, key, &out.corpus, &why);
    if (st == CacheStatus::Ok) {
      out.from_cache = true;
      out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      return out;
    }
    if (st != CacheStatus::Missing) {
      out.cache_problem = std::string(cache_status_name(st)) + " cache " + out.cache_path + ": " + why;
      std::fprintf(stderr, "senti: %s; rebuilding it\n", out.cache_problem.c_str());
    }
  }
  ensure_writable_dir(req.cache_dir, req.cache_dir_flag);  // fail before the slow part
  out.corpus = build_corpus(*source, req.vocab, req.data.test_split, &out.build, req.progress);
  write_token_cache(out.cache_path, key, out.corpus);
  // Use the cache just written, mapped, instead of the built ids: a fresh run's memory is then a
  // cached run's (the ids shared in the page cache, not 4 bytes a token of its own), and the file
  // is checked as the next run will read it. Where it cannot be read back, keep the built corpus.
  {
    Corpus mapped;
    std::string why;
    if (read_token_cache(out.cache_path, key, &mapped, &why) == CacheStatus::Ok) out.corpus = std::move(mapped);
    else std::fprintf(stderr, "senti: warning: the token cache %s just written does not read back (%s)\n",
                      out.cache_path.c_str(), why.c_str());
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return out;
}

}  // namespace senti::data
