// The data pipeline on the real IMDB archive (tests/test_env.h finds it). The corpus is built once
// for the whole file (a few seconds) and shared by every test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host/data/aclimdb_reader.h"
#include "host/data/corpus_cache.h"
#include "host/text/encoder.h"
#include "host/text/tokenizer.h"
#include "test_env.h"

namespace senti::data {
namespace {

struct RealData {
  CorpusResult built;
};

// ctest runs every test in its own process, so the corpus is shared through the token cache in
// the build tree: the first process builds it (a few seconds), later ones load it (~0.2 s). The
// cache key covers the archive's identity and the tokenizer version, so it never goes stale.
const RealData* real_data() {
  static std::unique_ptr<RealData> data = [] {
    std::unique_ptr<RealData> d;
    if (!std::filesystem::exists(test::imdb_archive())) return d;
    d = std::make_unique<RealData>();
    CorpusRequest req;
    req.data.path = test::imdb_archive();
    req.cache_dir = (std::filesystem::path(test::senti_bin()).parent_path() / "test-data-cache").string();
    d->built = load_or_build_corpus(req);
    return d;
  }();
  return data.get();
}

// Raw texts of a few train reviews (one more pass over the archive, only for the tests that need them).
const std::map<std::pair<int, int32_t>, std::string>& train_texts() {
  static const auto texts = [] {
    std::map<std::pair<int, int32_t>, std::string> t;
    read_aclimdb(test::imdb_archive(), [&](const ReviewFile& rf, std::string_view text) {
      if (rf.split == SplitName::Train && rf.id < 50) t[{rf.label, rf.id}] = std::string(text);
    });
    return t;
  }();
  return texts;
}

#define REQUIRE_REAL_DATA()                                                                    \
  const RealData* real = real_data();                                                          \
  if (!real) GTEST_SKIP() << "IMDB archive not found at " << test::imdb_archive() << " (set SENTI_DATA_DIR)"

TEST(RealData, CountsBalanceIdsAndRatings) {
  REQUIRE_REAL_DATA();
  const Corpus& c = real->built.corpus;
  for (const Split* s : {&c.train, &c.test}) {
    ASSERT_EQ(s->size(), 25000u);
    ASSERT_EQ(s->offsets.size(), 25001u);
    for (size_t r = 0; r < 25000; ++r) {
      ASSERT_EQ(s->labels[r], r < 12500 ? 1 : 0) << r;  // pos first, then neg
      ASSERT_EQ(s->review_ids[r], static_cast<int32_t>(r % 12500)) << r;
      ASSERT_TRUE(s->labels[r] ? s->ratings[r] >= 7 : s->ratings[r] <= 4) << r;
    }
  }
  // Rating distribution of train/pos from the dataset README: 7: 2496, 8: 3009, 9: 2263, 10: 4732.
  std::map<int, int> stars;
  for (size_t r = 0; r < 12500; ++r) ++stars[c.train.ratings[r]];
  EXPECT_EQ(stars, (std::map<int, int>{{7, 2496}, {8, 3009}, {9, 2263}, {10, 4732}}));
  EXPECT_EQ(c.train.ratings[0], 9);  // train/pos/0_9.txt
}

TEST(RealData, FirstTrainReviewTokenizesToItsWords) {
  REQUIRE_REAL_DATA();
  const std::string& raw = train_texts().at({1, 0});
  const std::vector<std::string> words = text::tokenize_to_strings(raw);
  const std::vector<std::string> head{"bromwell", "high", "is", "a", "cartoon", "comedy", "it", "ran", "at",
                                      "the", "same", "time", "as", "some", "other", "programs", "about",
                                      "school", "life", "such", "as", "teachers", "my", "35", "years"};
  ASSERT_GE(words.size(), head.size());
  EXPECT_EQ(std::vector<std::string>(words.begin(), words.begin() + static_cast<int64_t>(head.size())), head);
  // "Bromwell High's satire" and "their pathetic teachers' pomp": inner apostrophe kept, trailing one dropped.
  EXPECT_NE(std::find(words.begin(), words.end(), "high's"), words.end());
  EXPECT_NE(std::find(words.begin(), words.end(), "teachers"), words.end());
  EXPECT_EQ(std::find(words.begin(), words.end(), "teachers'"), words.end());
  const Split& train = real->built.corpus.train;
  EXPECT_EQ(train.length(0), static_cast<int64_t>(words.size()));
}

TEST(RealData, VocabularyIsByTrainFrequency) {
  REQUIRE_REAL_DATA();
  const Vocabulary& v = real->built.corpus.vocab;
  ASSERT_EQ(v.words.size(), 9997u);  // ids 3..9999
  EXPECT_EQ(std::vector<std::string>(v.words.begin(), v.words.begin() + 10),
            (std::vector<std::string>{"the", "and", "a", "of", "to", "is", "in", "it", "i", "this"}));
  EXPECT_EQ(std::find(v.words.begin(), v.words.end(), "br"), v.words.end());  // markup removed
  for (const Split* s : {&real->built.corpus.train, &real->built.corpus.test})
    for (int32_t t : s->tokens) ASSERT_TRUE(t >= kOovId && t < 10000) << t;
}

TEST(RealData, EncoderReproducesTheTrainingIds) {
  REQUIRE_REAL_DATA();
  const Corpus& c = real->built.corpus;
  text::Encoder enc(c.vocab);
  std::vector<int32_t> ids;
  for (const auto& [key, raw] : train_texts()) {
    const size_t row = (key.first == 1 ? 0 : 12500) + static_cast<size_t>(key.second);
    enc.encode(raw, &ids);
    const std::vector<int32_t> stored(c.train.tokens.begin() + static_cast<int64_t>(c.train.offsets[row]),
                                      c.train.tokens.begin() + static_cast<int64_t>(c.train.offsets[row + 1]));
    ASSERT_EQ(ids, stored) << "train review label " << key.first << " id " << key.second;
  }
}

TEST(RealData, RebuildMatchesTheSharedCache) {
  REQUIRE_REAL_DATA();
  CorpusRequest req;
  req.data.path = test::imdb_archive();
  req.cache_dir = test::scratch_dir("real-rebuild");
  const CorpusResult rebuilt = load_or_build_corpus(req);
  ASSERT_FALSE(rebuilt.from_cache);
  EXPECT_GT(rebuilt.build.distinct_train_words, 50000u);
  EXPECT_EQ(rebuilt.corpus.train.tokens, real->built.corpus.train.tokens);
  EXPECT_EQ(rebuilt.corpus.test.tokens, real->built.corpus.test.tokens);
  EXPECT_EQ(rebuilt.corpus.vocab.words, real->built.corpus.vocab.words);
}

}  // namespace
}  // namespace senti::data
