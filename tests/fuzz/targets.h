#pragma once
// The fuzz targets, one a parser of outside input. Each takes one input and returns 0; a bug
// shows as a sanitizer report, an abort (a checked property failed) or an exception other than
// senti::UsageError escaping. Built into the libFuzzer executables (fuzz_main.cpp, SENTI_FUZZ=ON)
// and into senti_tests, which replays the seed corpora and every regression input
// (tests/cpu/fuzz_replay_test.cpp).
#include <cstddef>
#include <cstdint>

namespace senti::fuzz {

int aclimdb_archive(const uint8_t* data, size_t size);    // host/data/aclimdb_reader, .tar(.gz)
int aclimdb_directory(const uint8_t* data, size_t size);  // host/data/aclimdb_reader, a folder
int tokenizer(const uint8_t* data, size_t size);          // host/text tokenizer and encoder
int token_cache(const uint8_t* data, size_t size);        // host/data/token_cache reader
int safetensors(const uint8_t* data, size_t size);        // engine/safetensors reader
int checkpoint(const uint8_t* data, size_t size);         // host/run/checkpoint loader
int serve_request(const uint8_t* data, size_t size);      // host/cli/serve_api request parser

struct Target {
  const char* name;  // also the corpus folder: tests/fuzz/corpus/<name>, tests/fuzz/regressions/<name>
  int (*run)(const uint8_t*, size_t);
};
inline constexpr Target kTargets[] = {
    {"aclimdb_archive", aclimdb_archive}, {"aclimdb_directory", aclimdb_directory},
    {"tokenizer", tokenizer},             {"token_cache", token_cache},
    {"safetensors", safetensors},         {"checkpoint", checkpoint},
    {"serve_request", serve_request},
};

}  // namespace senti::fuzz
