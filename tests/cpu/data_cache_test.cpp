// The token cache: round trip, atomic writes, stale and corrupt caches detected (never used), and
// the download helper's checksum verification (over file://, no network needed).
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <fstream>
#include <string>

#include "data_synthetic_test.h"
#include "kernels/common/error.h"
#include "host/data/corpus_cache.h"
#include "host/data/download.h"
#include "host/data/sha256.h"
#include "test_env.h"

namespace senti::data {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  std::string data, cache;
  CorpusRequest req;
  Fixture() {
    data = test::scratch_dir("cache-data");
    test::write_tree(data, test::small_aclimdb());
    cache = test::scratch_dir("cache");
    req.data.path = data;
    req.cache_dir = cache;
  }
};

void expect_same(const Corpus& a, const Corpus& b) {
  EXPECT_EQ(a.vocab.words, b.vocab.words);
  EXPECT_EQ(a.vocab.num_words, b.vocab.num_words);
  EXPECT_EQ(a.vocab.source, b.vocab.source);
  for (auto [x, y] : {std::pair{&a.train, &b.train}, std::pair{&a.test, &b.test}}) {
    EXPECT_EQ(x->offsets, y->offsets);
    EXPECT_EQ(x->tokens, y->tokens);
    EXPECT_EQ(x->labels, y->labels);
    EXPECT_EQ(x->review_ids, y->review_ids);
    EXPECT_EQ(x->ratings, y->ratings);
  }
}

TEST(TokenCache, BuildsThenLoadsTheSameCorpus) {
  Fixture f;
  const CorpusResult built = load_or_build_corpus(f.req);
  EXPECT_FALSE(built.from_cache);
  EXPECT_TRUE(fs::exists(built.cache_path));
  EXPECT_EQ(test::count_files(f.cache), 1u);  // no temporary left behind
  const CorpusResult loaded = load_or_build_corpus(f.req);
  EXPECT_TRUE(loaded.from_cache);
  EXPECT_EQ(loaded.cache_path, built.cache_path);
  expect_same(built.corpus, loaded.corpus);
  // Both map the cache (shared by every process that loads it) instead of holding the ids: the
  // built one reads back the file it has just written.
  EXPECT_TRUE(built.corpus.train.tokens.mapped());
  EXPECT_TRUE(loaded.corpus.train.tokens.mapped());
  EXPECT_TRUE(loaded.corpus.test.tokens.mapped());
  // Identical bytes when rebuilt.
  const std::string first = test::read_bytes(built.cache_path);
  CorpusRequest force = f.req;
  force.force_rebuild = true;
  EXPECT_FALSE(load_or_build_corpus(force).from_cache);
  EXPECT_EQ(test::read_bytes(built.cache_path), first);
}

TEST(TokenCache, WideIdsRoundTrip) {
  Corpus c;
  c.vocab.num_words = 70000;
  c.vocab.source = "train-split";
  c.vocab.words = {"a", "b"};
  c.train.offsets = {0, 2};
  c.train.tokens = {69999, 3};
  c.train.labels = {1};
  c.train.review_ids = {7};
  c.train.ratings = {9};
  c.test.offsets = {0};
  CacheKey key;
  key.num_words = 70000;
  const std::string path = test::scratch_dir("wide") + "/c.bin";
  write_token_cache(path, key, c);
  Corpus back;
  std::string why;
  ASSERT_EQ(read_token_cache(path, key, &back, &why), CacheStatus::Ok) << why;
  expect_same(c, back);
  EXPECT_TRUE(back.train.tokens.mapped());
  EXPECT_EQ(back.train.tokens[0], 69999);  // a 32-bit view
}

TEST(IdColumn, ViewsReadLikeOwnedIds) {
  const std::vector<int32_t> want = {3, 65535, 7, 2, 40000};
  auto narrow = std::make_shared<std::vector<uint16_t>>(want.begin(), want.end());
  auto wide = std::make_shared<std::vector<int32_t>>(want);
  const IdColumn owned(want);
  const IdColumn v16 = IdColumn::view(narrow, narrow->data(), narrow->size(), 2);
  const IdColumn v32 = IdColumn::view(wide, wide->data(), wide->size(), 4);
  for (const IdColumn* c : {&owned, &v16, &v32}) {
    EXPECT_EQ(c->size(), want.size());
    EXPECT_EQ(c->to_vector(), want);
    EXPECT_EQ(std::vector<int32_t>(c->begin() + 1, c->begin() + 3), (std::vector<int32_t>{65535, 7}));
    std::vector<int32_t> scratch;
    const int32_t* p = c->ids(1, 3, &scratch);
    EXPECT_EQ(std::vector<int32_t>(p, p + 3), (std::vector<int32_t>{65535, 7, 2}));
    EXPECT_TRUE(*c == owned);
  }
  EXPECT_TRUE(v16.mapped());
  EXPECT_FALSE(owned.mapped());
  std::vector<int32_t> scratch;
  EXPECT_THROW(v16.ids(4, 2, &scratch), Error);  // past the end
  IdColumn view = v16;
  EXPECT_THROW(view.push_back(3), Error);        // a cache view is read-only
  EXPECT_FALSE(IdColumn({3, 4}) == IdColumn({3, 5}));
}

TEST(TokenCache, StaleCachesAreNotUsed) {
  Fixture f;
  const CorpusResult built = load_or_build_corpus(f.req);
  const CacheKey key = cache_key_for(f.req);
  Corpus out;
  std::string why;
  ASSERT_EQ(read_token_cache(built.cache_path, key, &out, &why), CacheStatus::Ok) << why;
  for (int change = 0; change < 3; ++change) {
    CacheKey other = key;
    if (change == 0) other.num_words = 9999;
    if (change == 1) other.tokenizer_version += 1;
    if (change == 2) other.data_fingerprint ^= 1;
    EXPECT_NE(cache_file_name(other), cache_file_name(key));
    EXPECT_EQ(read_token_cache(built.cache_path, other, &out, &why), CacheStatus::Stale) << change;
  }
  // Editing a review changes the data fingerprint: the next load rebuilds, with the new text.
  { std::ofstream(f.data + "/aclImdb/train/pos/1_7.txt") << "Great great great great great."; }
  const CorpusResult again = load_or_build_corpus(f.req);
  EXPECT_FALSE(again.from_cache);
  EXPECT_NE(again.cache_path, built.cache_path);
  EXPECT_EQ(again.corpus.train.length(1), 5);
  EXPECT_EQ(read_token_cache(f.cache + "/none.bin", key, &out, &why), CacheStatus::Missing);
}

TEST(TokenCache, CorruptCachesAreDetectedAndRebuilt) {
  Fixture f;
  const CorpusResult built = load_or_build_corpus(f.req);
  const std::string good = test::read_bytes(built.cache_path);
  const CacheKey key = cache_key_for(f.req);
  auto write = [&](const std::string& bytes) { std::ofstream(built.cache_path, std::ios::binary) << bytes; };
  Corpus out;
  std::string why;
  for (size_t at : {size_t{0}, size_t{20}, size_t{130}, good.size() / 2, good.size() - 1}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x5A);  // one flipped byte: header, payload or tail
    write(bad);
    EXPECT_EQ(read_token_cache(built.cache_path, key, &out, &why), CacheStatus::Corrupt) << "byte " << at;
  }
  for (size_t len : {size_t{0}, size_t{100}, good.size() - 8}) {
    write(good.substr(0, len));
    EXPECT_EQ(read_token_cache(built.cache_path, key, &out, &why), CacheStatus::Corrupt) << "length " << len;
  }
  // load_or_build reports the problem and rebuilds the same bytes.
  const CorpusResult rebuilt = load_or_build_corpus(f.req);
  EXPECT_FALSE(rebuilt.from_cache);
  EXPECT_NE(rebuilt.cache_problem.find("corrupt"), std::string::npos) << rebuilt.cache_problem;
  EXPECT_EQ(test::read_bytes(built.cache_path), good);
}

TEST(TokenCache, UnwritableFolderFailsBeforeWork) {
  Fixture f;
  const std::string file = test::scratch_dir("ro") + "/plain-file";
  { std::ofstream(file) << "x"; }
  f.req.cache_dir = file + "/sub";  // a folder below a regular file cannot exist
  f.req.cache_dir_flag = "--out";
  try {
    load_or_build_corpus(f.req);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--out"), std::string::npos) << msg;
    EXPECT_NE(msg.find(file + "/sub"), std::string::npos) << msg;
  }
}

TEST(Download, VerifiesSha256AndLeavesNothingOnFailure) {
  const std::string dir = test::scratch_dir("dl");
  const std::string src = dir + "/source.tar.gz";
  test::write_targz(src, test::small_aclimdb());
  const std::string sha = sha256_file(src);
  if (test::run_command("curl --version", nullptr) != 0 && test::run_command("wget --version", nullptr) != 0)
    GTEST_SKIP() << "neither curl nor wget installed";
  const std::string dest = dir + "/got.tar.gz";
  download_verified("file://" + src, sha, dest);
  EXPECT_EQ(test::read_bytes(dest), test::read_bytes(src));

  const std::string bad_dest = dir + "/bad.tar.gz";
  try {
    download_verified("file://" + src, std::string(64, '0'), bad_dest);
    FAIL() << "expected a checksum error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("sha256"), std::string::npos) << e.what();
  }
  try {
    download_verified("file://" + dir + "/missing.tar.gz", sha, bad_dest);
    FAIL() << "expected a download error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--data"), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::count_files(dir), 2u);  // source and got only: no partial downloads
}

}  // namespace
}  // namespace senti::data
