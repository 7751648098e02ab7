#pragma once
// The one entry point that turns raw data into a Corpus through the token cache: use a valid cache
// for these settings when there is one, otherwise build from the data and write the cache. A stale
// or corrupt cache is reported on stderr and rebuilt, never used.
#include <string>

#include "host/data/corpus_builder.h"
#include "host/data/dataset.h"
#include "host/data/token_cache.h"

namespace senti::data {

struct CorpusRequest {
  DataSpec data;                // what to read (data.path already resolved)
  VocabularyOptions vocab;
  std::string cache_dir;        // where tokens-<key>.bin lives
  std::string cache_dir_flag = "--cache-dir";  // the flag named in error messages
  bool force_rebuild = false;   // `senti prepare` always rebuilds
  BuildProgress progress;       // optional: called while building (not when the cache is used)
};

struct CorpusResult {
  Corpus corpus;
  std::string cache_path;
  bool from_cache = false;
  double seconds = 0;           // wall time of the load or the build (build includes writing)
  BuildInfo build;              // filled when built
  std::string cache_problem;    // why an existing cache was not used (empty if none)
};

// The cache key for a request (stats the data, hashes the word-index file).
CacheKey cache_key_for(const CorpusRequest& req);

// Creates the cache folder if needed and checks it is writable; UsageError naming the flag.
void ensure_writable_dir(const std::string& dir, const std::string& flag);

CorpusResult load_or_build_corpus(const CorpusRequest& req);

}  // namespace senti::data
