// Unlabeled text and real movies (issue 24, the data part): aclImdb's train/unsup and urls files
// read beside the labeled archive, the validation split by real movies, the unlabeled-text
// formats, the vocabulary over train + unlabeled text, a fixed (pretrained) vocabulary, and the
// token cache's unlabeled split and movies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "data_synthetic_test.h"
#include "host/data/corpus_cache.h"
#include "host/data/unlabeled_text.h"
#include "host/run/row_order.h"
#include "kernels/common/error.h"
#include "test_env.h"

namespace senti::data {
namespace {

namespace fs = std::filesystem;

std::set<int32_t> movie_set(const Split& s) { return std::set<int32_t>(s.movies.begin(), s.movies.end()); }

// The real archives, built once per process through a token cache in the build tree.
const CorpusResult* real_with_unsup() {
  static std::unique_ptr<CorpusResult> r = []() -> std::unique_ptr<CorpusResult> {
    if (!fs::exists(test::imdb_archive()) || !fs::exists(test::imdb_unsup_archive())) return nullptr;
    CorpusRequest req;
    req.data.path = test::imdb_archive();
    req.data.unlabeled_path = test::imdb_unsup_archive();
    req.cache_dir = (fs::path(test::senti_bin()).parent_path() / "test-data-cache").string();
    return std::make_unique<CorpusResult>(load_or_build_corpus(req));
  }();
  return r.get();
}

#define REQUIRE_REAL_UNSUP()                                                   \
  const CorpusResult* real = real_with_unsup();                                \
  if (!real) GTEST_SKIP() << "IMDB archives not found in " << test::data_dir()

TEST(RealUnlabeled, UnsupBesideLabeledGivesUnlabeledReviewsAndEveryMovie) {
  REQUIRE_REAL_UNSUP();
  const Corpus& c = real->corpus;
  EXPECT_EQ(c.train.size(), 25000u);
  EXPECT_EQ(c.test.size(), 25000u);
  ASSERT_EQ(c.unlabeled.size(), 50000u);
  EXPECT_TRUE(std::all_of(c.unlabeled.labels.begin(), c.unlabeled.labels.end(), [](int32_t l) { return l == -1; }));
  EXPECT_EQ(c.unlabeled.review_ids.front(), 0);
  EXPECT_EQ(c.unlabeled.review_ids.back(), 49999);
  EXPECT_GT(c.unlabeled.tokens.size(), 10000000u);
  // train/pos 0: http://www.imdb.com/title/tt0453418/usercomments (the urls files' first line)
  ASSERT_EQ(c.train.movies.size(), 25000u);
  ASSERT_EQ(c.test.movies.size(), 25000u);
  ASSERT_EQ(c.unlabeled.movies.size(), 50000u);
  const std::set<int32_t> train = movie_set(c.train), test = movie_set(c.test), unsup = movie_set(c.unlabeled);
  EXPECT_EQ(train.size(), 3456u);
  EXPECT_EQ(test.size(), 3581u);
  EXPECT_EQ(unsup.size(), 7091u);
  EXPECT_EQ(train.count(-1) + test.count(-1) + unsup.count(-1), 0u);
  std::vector<int32_t> both;
  std::set_intersection(train.begin(), train.end(), test.begin(), test.end(), std::back_inserter(both));
  EXPECT_EQ(both.size(), 1u);  // the README: one movie in both labeled splits
  for (int32_t m : unsup) EXPECT_TRUE(!train.count(m) && !test.count(m)) << m;
  // The vocabulary is still the train split's (--vocab-from train): the unlabeled text is only read.
  EXPECT_EQ(c.vocab.source, "train-split");
}

TEST(RealUnlabeled, ValidationByRealMoviesIsDisjointAndNearTheFraction) {
  REQUIRE_REAL_UNSUP();
  const Split& train = real->corpus.train;
  for (const uint64_t seed : {1ull, 42ull}) {
    TrainOptions o;
    o.validation_split_by = "movie";
    o.validation_split = 0.2;
    o.seed = seed;
    EXPECT_STREQ(movie_grouping(train, true), kMoviesFromUrls);
    const SplitRows rows = split_rows(train, o);
    EXPECT_EQ(rows.train.size() + rows.validation.size(), train.size());
    EXPECT_NEAR(static_cast<double>(rows.validation.size()) / static_cast<double>(train.size()), 0.2, 0.002);
    std::set<int32_t> tm, vm;
    for (int64_t r : rows.train) tm.insert(train.movies[static_cast<size_t>(r)]);
    for (int64_t r : rows.validation) vm.insert(train.movies[static_cast<size_t>(r)]);
    for (int32_t m : vm) ASSERT_EQ(tm.count(m), 0u) << "movie " << m << " on both sides (seed " << seed << ")";
    EXPECT_GT(vm.size(), 500u);
    // Both classes are held out, near half each.
    const auto pos = std::count_if(rows.validation.begin(), rows.validation.end(),
                                   [&](int64_t r) { return train.labels[static_cast<size_t>(r)] == 1; });
    EXPECT_NEAR(static_cast<double>(pos) / static_cast<double>(rows.validation.size()), 0.5, 0.1);
  }
}

// What the urls files replace: the id-block approximation (blocks of 250 consecutive ids per
// class) leaves some held-out reviews whose movie is also in training; the real movies none. The
// shares are printed for docs/benchmarks.md ("Validation by real movie vs id blocks").
TEST(RealUnlabeled, IdBlocksLeakMoviesThatRealMoviesKeepApart) {
  REQUIRE_REAL_UNSUP();
  const Split& train = real->corpus.train;
  Split without_urls = train;
  without_urls.movies.clear();
  for (const uint64_t seed : {1337ull, 1338ull, 1339ull}) {
    TrainOptions o;
    o.validation_split_by = "movie";
    o.validation_split = 0.2;
    o.seed = seed;
    EXPECT_STREQ(movie_grouping(without_urls, true), kMoviesFromIdBlocks);
    auto leaked = [&](const SplitRows& rows) {
      std::set<int32_t> tm;
      for (int64_t r : rows.train) tm.insert(train.movies[static_cast<size_t>(r)]);
      return std::count_if(rows.validation.begin(), rows.validation.end(),
                           [&](int64_t r) { return tm.count(train.movies[static_cast<size_t>(r)]) > 0; });
    };
    const SplitRows blocks = split_rows(without_urls, o), movies = split_rows(train, o);
    const auto leak_blocks = leaked(blocks), leak_movies = leaked(movies);
    std::printf("seed %llu: id blocks hold out %zu reviews, %ld of them (%.1f %%) of movies also in training; "
                "real movies hold out %zu, %ld\n",
                static_cast<unsigned long long>(seed), blocks.validation.size(), static_cast<long>(leak_blocks),
                100.0 * static_cast<double>(leak_blocks) / static_cast<double>(blocks.validation.size()),
                movies.validation.size(), static_cast<long>(leak_movies));
    EXPECT_EQ(leak_movies, 0);
    // The blocks keep a movie's reviews of one class together (but for the movies cut at the two
    // ends of each held-out block), not its reviews of the other class: that is most of the leak.
    EXPECT_GT(leak_blocks, 0);
    std::set<std::pair<int32_t, int32_t>> train_movie_class;
    for (int64_t r : blocks.train)
      train_movie_class.insert({train.movies[static_cast<size_t>(r)], train.labels[static_cast<size_t>(r)]});
    std::set<std::pair<int32_t, int32_t>> both_sides;
    for (int64_t r : blocks.validation) {
      const std::pair<int32_t, int32_t> mc{train.movies[static_cast<size_t>(r)], train.labels[static_cast<size_t>(r)]};
      if (train_movie_class.count(mc)) both_sides.insert(mc);
    }
    std::printf("  (movie, class) pairs on both sides: %zu\n", both_sides.size());
    EXPECT_LE(both_sides.size(), 2 * (blocks.validation.size() / data::kMovieBlockIds + 2));
  }
}

// ---- synthetic inputs ----

test::FileMap aclimdb_with_urls() {
  test::FileMap f = test::small_aclimdb();
  for (const char* rel : {"train/urls_pos.txt", "train/urls_neg.txt", "test/urls_pos.txt", "test/urls_neg.txt"})
    f[std::string("aclImdb/") + rel] =
        "http://www.imdb.com/title/tt0000011/usercomments\nhttp://www.imdb.com/title/tt0000011/usercomments\n"
        "http://www.imdb.com/title/tt0000012/usercomments\n";
  f["aclImdb/train/urls_unsup.txt"] = "http://www.imdb.com/title/tt0099999/usercomments\n";
  return f;
}

Corpus build(const DataSpec& spec, const VocabularyOptions& v = {}) {
  const std::unique_ptr<CorpusSource> src = open_corpus_source(spec);
  BuildInfo info;
  return build_corpus(*src, v, spec.test_split, &info);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Movies, UrlsFilesGiveEverySplitItsMoviesAndTrainDoesNotReadUnsup) {
  const std::string dir = test::scratch_dir("urls");
  test::write_tree(dir, aclimdb_with_urls());
  DataSpec spec;
  spec.path = dir;
  const Corpus c = build(spec);
  EXPECT_EQ(c.train.movies, (std::vector<int32_t>{11, 11, 12, 11, 11, 12}));  // pos by id, then neg
  EXPECT_EQ(c.test.movies.size(), 6u);
  EXPECT_EQ(c.unlabeled.size(), 0u);  // read_unlabeled off: --data's train/unsup stays unread
  spec.read_unlabeled = true;
  const Corpus u = build(spec);
  ASSERT_EQ(u.unlabeled.size(), 1u);
  EXPECT_EQ(u.unlabeled.movies, std::vector<int32_t>{99999});
  EXPECT_EQ(u.unlabeled.labels, std::vector<int32_t>{-1});
  // Without urls files: no movies at all.
  const std::string plain = test::scratch_dir("no-urls");
  test::write_tree(plain, test::small_aclimdb());
  spec.path = plain;
  spec.read_unlabeled = false;
  EXPECT_TRUE(build(spec).train.movies.empty());
}

TEST(Movies, BadUrlsFilesAreErrorsNamingFileAndLine) {
  test::FileMap f = aclimdb_with_urls();
  f["aclImdb/train/urls_neg.txt"] = "http://www.imdb.com/title/tt0000011/usercomments\nnot a url\nx\n";
  std::string dir = test::scratch_dir("bad-urls");
  test::write_tree(dir, f);
  DataSpec spec;
  spec.path = dir;
  std::string msg = error_of([&] { build(spec); });
  EXPECT_NE(msg.find("urls_neg.txt:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tt<digits>"), std::string::npos) << msg;
  f = aclimdb_with_urls();
  f["aclImdb/test/urls_pos.txt"] = "http://www.imdb.com/title/tt0000011/usercomments\n";  // 1 line, 3 reviews
  dir = test::scratch_dir("short-urls");
  test::write_tree(dir, f);
  spec.path = dir;
  msg = error_of([&] { build(spec); });
  EXPECT_NE(msg.find("urls_pos.txt:1"), std::string::npos) << msg;
  // The same from an archive: the entry is named.
  const std::string tgz = test::scratch_dir("bad-urls-tgz") + "/a.tar.gz";
  f = aclimdb_with_urls();
  f["aclImdb/train/urls_pos.txt"] = "http://www.imdb.com/title/tt1/\nhttp://www.imdb.com/title/nope/\n";
  test::write_targz(tgz, f);
  spec.path = tgz;
  msg = error_of([&] { build(spec); });
  EXPECT_NE(msg.find("aclImdb/train/urls_pos.txt:2:"), std::string::npos) << msg;
}

TEST(Movies, MovieOrderKeepsEachMovieTogether) {
  Split s;
  s.movies = {5, 7, 5, 9, -1, 7, 5, -1};
  s.labels.assign(s.movies.size(), 0);
  std::vector<size_t> starts;
  const std::vector<int64_t> order = movie_order(s, 3, &starts);
  ASSERT_EQ(order.size(), s.movies.size());
  EXPECT_EQ(starts.size(), 5u);  // 5, 7, 9 and the two unknown rows
  starts.push_back(order.size());
  for (size_t g = 0; g + 1 < starts.size(); ++g)
    for (size_t k = starts[g]; k < starts[g + 1]; ++k)
      EXPECT_EQ(s.movies[static_cast<size_t>(order[k])], s.movies[static_cast<size_t>(order[starts[g]])]);
  EXPECT_EQ(movie_order(s, 3), order);  // deterministic
}

// ---- unlabeled text formats ----

struct Formats : ::testing::Test {
  std::string labeled, root;
  void SetUp() override {
    labeled = test::scratch_dir("labeled");
    test::write_tree(labeled, test::small_aclimdb());
    root = test::scratch_dir("unlabeled");
  }
  Corpus with_unlabeled(const std::string& path, const std::string& format = "auto", std::string text_column = "") {
    DataSpec spec;
    spec.path = labeled;
    spec.unlabeled_path = path;
    spec.unlabeled_format = format;
    if (!text_column.empty()) spec.columns.text_columns = {text_column};
    return build(spec);
  }
};

TEST_F(Formats, FolderOfTxtFilesSortedRecursive) {
  test::write_tree(root + "/docs", {{"b.txt", "great film"}, {"a.txt", "bad film"}, {"sub/c.txt", "boring"},
                                    {"notes.md", "ignored"}, {".hidden/d.txt", "ignored"}});
  EXPECT_EQ(unlabeled_format_of(root + "/docs", "auto"), "folder");
  const Corpus c = with_unlabeled(root + "/docs");
  ASSERT_EQ(c.unlabeled.size(), 3u);
  EXPECT_EQ(c.unlabeled.length(0), 2);  // a.txt: "bad film"
  EXPECT_EQ(c.unlabeled.length(2), 1);  // sub/c.txt
  EXPECT_EQ(c.unlabeled.review_ids, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(c.train.size(), 6u);
}

TEST_F(Formats, TextFileOneDocumentALine) {
  test::write_tree(root, {{"u.txt", "great film\n\nbad, bad film\r\nboring\n"}});
  EXPECT_EQ(unlabeled_format_of(root + "/u.txt", "auto"), "lines");
  const Corpus c = with_unlabeled(root + "/u.txt");
  ASSERT_EQ(c.unlabeled.size(), 3u);  // the blank line is no document
  EXPECT_EQ(c.unlabeled.length(1), 3);
}

TEST_F(Formats, CsvAndJsonLinesTextColumnWithoutLabels) {
  test::write_tree(root, {{"u.csv", "id,body\n1,\"great, great film\"\n2,boring\n"},
                          {"u.jsonl", "{\"body\": \"great film\"}\n{\"body\": \"bad\", \"label\": \"x\"}\n"}});
  const Corpus c = with_unlabeled(root + "/u.csv", "auto", "body");
  ASSERT_EQ(c.unlabeled.size(), 2u);
  EXPECT_EQ(c.unlabeled.length(0), 3);
  EXPECT_EQ(with_unlabeled(root + "/u.jsonl", "auto", "body").unlabeled.size(), 2u);
}

TEST_F(Formats, AclImdbUnsupFolderAndBadInputsNameFileAndLine) {
  test::write_tree(root + "/acl", {{"aclImdb/train/unsup/0_0.txt", "great"}, {"aclImdb/train/unsup/1_0.txt", "bad"},
                                   {"aclImdb/train/urls_unsup.txt", "http://www.imdb.com/title/tt7/\nhttp://www.imdb.com/title/tt8/\n"}});
  const Corpus c = with_unlabeled(root + "/acl");
  ASSERT_EQ(c.unlabeled.size(), 2u);
  EXPECT_EQ(c.unlabeled.movies, (std::vector<int32_t>{7, 8}));
  // A NUL byte (not text) on line 2 of a lines file; a UTF-16 document in a folder; an unknown format.
  test::write_tree(root, {{"bad.txt", std::string("fine\nbad \0 byte\n", 16)}});
  std::string msg = error_of([&] { with_unlabeled(root + "/bad.txt"); });
  EXPECT_NE(msg.find("bad.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
  test::write_tree(root + "/utf16", {{"a.txt", std::string("\xff\xfeh\0i\0", 6)}});
  msg = error_of([&] { with_unlabeled(root + "/utf16"); });
  EXPECT_NE(msg.find("utf16/a.txt"), std::string::npos) << msg;
  test::write_tree(root, {{"nocol.csv", "a,b\n1,2\n"}});
  msg = error_of([&] { with_unlabeled(root + "/nocol.csv"); });
  EXPECT_NE(msg.find("nocol.csv"), std::string::npos) << msg;
  msg = error_of([&] { with_unlabeled(root + "/bad.txt", "words"); });
  EXPECT_NE(msg.find("--unlabeled-format words"), std::string::npos) << msg;
}

// ---- vocabulary ----

TEST_F(Formats, VocabularyFromTrainPlusUnlabeledDiffersAndIsDeterministic) {
  std::string lines;
  for (int k = 0; k < 20; ++k) lines += "zebra zebra giraffe film\n";
  test::write_tree(root, {{"u.txt", lines}});
  DataSpec spec;
  spec.path = labeled;
  spec.unlabeled_path = root + "/u.txt";
  const Corpus train_only = build(spec);
  VocabularyOptions v;
  v.include_unlabeled = true;
  const Corpus both = build(spec, v);
  EXPECT_EQ(train_only.vocab.source, "train-split");
  EXPECT_EQ(both.vocab.source, "train+unlabeled");
  EXPECT_NE(train_only.vocab.hash(), both.vocab.hash());
  ASSERT_GE(both.vocab.words.size(), 2u);
  EXPECT_EQ(both.vocab.words[0], "zebra");  // 40 counts: the most frequent word
  EXPECT_EQ(std::count(train_only.vocab.words.begin(), train_only.vocab.words.end(), "zebra"), 0);
  const Corpus again = build(spec, v);
  EXPECT_EQ(again.vocab.words, both.vocab.words);
  EXPECT_EQ(again.train.tokens, both.train.tokens);
  EXPECT_EQ(again.unlabeled.tokens, both.unlabeled.tokens);
  // Without unlabeled documents the request is an error, not a silent train-only vocabulary.
  spec.unlabeled_path.clear();
  EXPECT_NE(error_of([&] { build(spec, v); }).find("--vocab-from train+unlabeled"), std::string::npos);
}

TEST_F(Formats, FixedVocabularyEncodesAsTheCheckpointsIds) {
  test::write_tree(root, {{"u.txt", "zebra zebra giraffe film\nzebra great\n"}});
  DataSpec spec;
  spec.path = labeled;
  spec.unlabeled_path = root + "/u.txt";
  VocabularyOptions v;
  v.include_unlabeled = true;
  const Corpus pretrained = build(spec, v);
  VocabularyOptions fixed;
  fixed.fixed = std::make_shared<const Vocabulary>(pretrained.vocab);
  fixed.num_words = 5;  // ignored: the fixed vocabulary's
  const Corpus again = build(spec, fixed);
  EXPECT_EQ(again.vocab.hash(), pretrained.vocab.hash());
  EXPECT_EQ(again.vocab.source, "train+unlabeled");
  EXPECT_EQ(again.train.tokens, pretrained.train.tokens);
  EXPECT_EQ(again.test.tokens, pretrained.test.tokens);
  EXPECT_EQ(again.unlabeled.tokens, pretrained.unlabeled.tokens);
  // Labeled data alone (fine-tuning) gets the same ids for the same words.
  spec.unlabeled_path.clear();
  const Corpus labeled_only = build(spec, fixed);
  EXPECT_EQ(labeled_only.train.tokens, pretrained.train.tokens);
}

// ---- token cache ----

TEST_F(Formats, TokenCacheRoundTripsUnlabeledAndMovies) {
  const std::string acl = test::scratch_dir("cache-urls");
  test::write_tree(acl, aclimdb_with_urls());
  test::write_tree(root, {{"u.txt", "zebra film\ngreat zebra\n"}});
  CorpusRequest req;
  req.data.path = acl;
  req.data.unlabeled_path = root + "/u.txt";
  req.vocab.include_unlabeled = true;
  req.cache_dir = test::scratch_dir("cache-dir");
  const CorpusResult built = load_or_build_corpus(req);
  ASSERT_FALSE(built.from_cache);
  const CorpusResult loaded = load_or_build_corpus(req);
  ASSERT_TRUE(loaded.from_cache) << loaded.cache_problem;
  for (auto [a, b] : {std::pair{&built.corpus.train, &loaded.corpus.train},
                      std::pair{&built.corpus.test, &loaded.corpus.test},
                      std::pair{&built.corpus.unlabeled, &loaded.corpus.unlabeled}}) {
    EXPECT_EQ(a->tokens, b->tokens);
    EXPECT_EQ(a->labels, b->labels);
    EXPECT_EQ(a->movies, b->movies);
    EXPECT_EQ(a->review_ids, b->review_ids);
  }
  EXPECT_EQ(loaded.corpus.unlabeled.size(), 2u);
  EXPECT_EQ(loaded.corpus.train.movies.size(), 6u);
  EXPECT_TRUE(loaded.corpus.unlabeled.movies.empty());
  EXPECT_EQ(loaded.corpus.vocab.source, "train+unlabeled");
  // Other vocabulary settings and another unlabeled input are other keys.
  CorpusRequest train_vocab = req;
  train_vocab.vocab.include_unlabeled = false;
  EXPECT_NE(cache_key_for(train_vocab).hash(), cache_key_for(req).hash());
  CorpusRequest no_unlabeled = train_vocab;
  no_unlabeled.data.unlabeled_path.clear();
  EXPECT_NE(cache_key_for(no_unlabeled).hash(), cache_key_for(train_vocab).hash());
  CorpusRequest fixed = no_unlabeled;
  fixed.vocab.fixed = std::make_shared<const Vocabulary>(loaded.corpus.vocab);
  EXPECT_NE(cache_key_for(fixed).hash(), cache_key_for(no_unlabeled).hash());
}

}  // namespace
}  // namespace senti::data
