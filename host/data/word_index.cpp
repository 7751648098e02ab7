#include "host/data/word_index.h"

#include <fstream>
#include <sstream>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "kernels/common/error.h"
#include "host/data/hash.h"

namespace senti::data {

namespace {
std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) SENTI_FAIL("--word-index ", path, ": cannot open (expected the Keras imdb_word_index.json)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

uint64_t word_index_content_hash(const std::string& path) {
  const std::string bytes = read_bytes(path);
  return xxh64(bytes.data(), bytes.size());
}

WordIndex load_word_index(const std::string& path) {
  const std::string bytes = read_bytes(path);
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.empty())
    SENTI_FAIL("--word-index ", path, ": not a JSON object of word -> rank (expected the Keras imdb_word_index.json)");
  WordIndex wi;
  wi.content_hash = xxh64(bytes.data(), bytes.size());
  std::unordered_set<int64_t> seen;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 1 ||
        it.value().get<int64_t>() > INT32_MAX - 3)
      SENTI_FAIL("--word-index ", path, ": the rank of \"", it.key(), "\" is not a positive integer");
    const int64_t rank = it.value().get<int64_t>();
    if (!seen.insert(rank).second)
      SENTI_FAIL("--word-index ", path, ": rank ", rank, " is used by more than one word (\"", it.key(), "\")");
    const int32_t idx = wi.words.intern(it.key());
    if (static_cast<size_t>(idx) < wi.ranks.size())
      SENTI_FAIL("--word-index ", path, ": word \"", it.key(), "\" appears twice");
    wi.ranks.push_back(static_cast<int32_t>(rank));
    if (rank > wi.max_rank) wi.max_rank = static_cast<int32_t>(rank);
  }
  return wi;
}

}  // namespace senti::data
