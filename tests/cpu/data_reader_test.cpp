// The aclImdb reader and corpus builder on small synthetic datasets (folders and .tar.gz written at
// test time): layout, ordering, vocabulary rules, legitimate odd input and bad input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data_synthetic_test.h"
#include "kernels/common/error.h"
#include "host/data/aclimdb_reader.h"
#include "host/data/corpus_builder.h"
#include "host/text/encoder.h"
#include "test_env.h"

namespace senti::data {
namespace {

using test::FileMap;

Corpus build(const std::string& path, int num_words = 10000, const std::string& word_index = "") {
  VocabularyOptions o;
  o.num_words = num_words;
  o.word_index = word_index;
  return build_corpus(path, o, nullptr);
}

std::string as_dir(const FileMap& f, const std::string& tag = "ds") {
  const std::string d = test::scratch_dir(tag);
  test::write_tree(d, f);
  return d;
}

std::string as_targz(const FileMap& f, const std::string& tag = "tgz") {
  const std::string p = test::scratch_dir(tag) + "/data.tar.gz";
  test::write_targz(p, f);
  return p;
}

std::vector<int32_t> ids_of(const Split& s, size_t r) {
  return std::vector<int32_t>(s.tokens.begin() + static_cast<int64_t>(s.offsets[r]),
                              s.tokens.begin() + static_cast<int64_t>(s.offsets[r + 1]));
}

// Message of the UsageError `fn` throws ("" when it does not throw one).
template <typename F>
std::string usage_error(F fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(ReviewName, ParsesIdAndRating) {
  int32_t id = -1;
  uint8_t rating = 0;
  EXPECT_TRUE(parse_review_name("123_9.txt", &id, &rating));
  EXPECT_EQ(id, 123);
  EXPECT_EQ(rating, 9);
  EXPECT_TRUE(parse_review_name("0_10.txt", &id, &rating));
  EXPECT_EQ(rating, 10);
  for (const char* bad : {"123.txt", "_9.txt", "12_.txt", "1_0.txt", "1_11.txt", "a_9.txt", "1_9.text",
                          "1_9.txt~", "1_9_2.txt", "1234567890_1.txt", ".DS_Store"})
    EXPECT_FALSE(parse_review_name(bad, &id, &rating)) << bad;
}

TEST(CorpusBuilder, ReadsSplitsInContractOrderWithLabelsIdsAndRatings) {
  const Corpus c = build(as_dir(test::small_aclimdb()));
  ASSERT_EQ(c.train.size(), 6u);
  ASSERT_EQ(c.test.size(), 6u);
  EXPECT_EQ(c.train.labels, (std::vector<int32_t>{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(c.train.review_ids, (std::vector<int32_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(c.train.ratings, (std::vector<uint8_t>{9, 7, 10, 1, 3, 2}));
  EXPECT_EQ(c.test.ratings, (std::vector<uint8_t>{8, 9, 10, 4, 2, 1}));
  // Train counts: bad 4, film 4, great 4 (tie: byte order), then the count-2 words.
  ASSERT_GE(c.vocab.words.size(), 4u);
  EXPECT_EQ(c.vocab.source, "train-split");
  EXPECT_EQ(std::vector<std::string>(c.vocab.words.begin(), c.vocab.words.begin() + 3),
            (std::vector<std::string>{"bad", "film", "great"}));
  // "A great, great film.<br /><br />Loved it!" -> a great great film loved it
  text::Encoder enc(c.vocab);
  std::vector<int32_t> expect;
  enc.encode("a great great film loved it", &expect);
  EXPECT_EQ(ids_of(c.train, 0), expect);
  EXPECT_EQ(ids_of(c.train, 0)[1], 5);  // "great": rank 3 -> id 5
  // Test-only words are out of vocabulary: the vocabulary comes from the train split only.
  EXPECT_EQ(ids_of(c.test, 2), (std::vector<int32_t>{kOovId, 5}));
}

TEST(CorpusBuilder, DirectoryAndArchiveGiveTheSameCorpus) {
  const FileMap f = test::small_aclimdb();
  const Corpus d = build(as_dir(f));
  const Corpus a = build(as_targz(f));
  const Corpus bare = build(as_targz(test::small_aclimdb("")));  // no aclImdb/ prefix
  const Corpus dotted = build(as_targz(test::small_aclimdb("./aclImdb/")));
  for (const Corpus* c : {&a, &bare, &dotted}) {
    EXPECT_EQ(c->vocab.words, d.vocab.words);
    EXPECT_EQ(c->train.tokens, d.train.tokens);
    EXPECT_EQ(c->train.offsets, d.train.offsets);
    EXPECT_EQ(c->test.tokens, d.test.tokens);
    EXPECT_EQ(c->test.review_ids, d.test.review_ids);
  }
  // Also when the directory given is the aclImdb folder itself.
  const std::string root = as_dir(f);
  EXPECT_EQ(build(root + "/aclImdb").train.tokens, d.train.tokens);
}

TEST(CorpusBuilder, NumWordsCapsIdsAndTiesAreDeterministic) {
  const Corpus c = build(as_dir(test::small_aclimdb()), 5);  // ids 3, 4 only
  EXPECT_EQ(c.vocab.words, (std::vector<std::string>{"bad", "film"}));
  for (const Split* s : {&c.train, &c.test})
    for (int32_t t : s->tokens) {
      EXPECT_GE(t, kOovId);
      EXPECT_LT(t, 5);
    }
  EXPECT_NE(c.vocab.hash(), build(as_dir(test::small_aclimdb()), 6).vocab.hash());
  EXPECT_THROW(build(as_dir(test::small_aclimdb()), 3), UsageError);
}

TEST(CorpusBuilder, KerasWordIndexGivesRankPlusThree) {
  const std::string dir = test::scratch_dir("wi");
  const std::string wi = dir + "/index.json";
  test::write_tree(dir, {{"index.json", R"({"film": 1, "great": 2, "a": 3, "bad": 40})"}});
  const Corpus c = build(as_dir(test::small_aclimdb()), 10, wi);
  EXPECT_EQ(c.vocab.source, "keras-word-index:" + wi);
  // words[k] has id k + 3, so words[0] (Keras's unused id 3) is empty; ids < 10 -> ranks 1..6.
  EXPECT_EQ(c.vocab.words, (std::vector<std::string>{"", "film", "great", "a", "", "", ""}));
  // "A great, great film. Loved it!" -> a=6 great=5 great=5 film=4 loved=OOV it=OOV; bad (rank 40) is OOV.
  EXPECT_EQ(ids_of(c.train, 0), (std::vector<int32_t>{6, 5, 5, 4, 2, 2}));
  text::Encoder enc(c.vocab);
  std::vector<int32_t> ids;
  enc.encode("A great, great film.<br /><br />Loved it!", &ids);
  EXPECT_EQ(ids, ids_of(c.train, 0));
  enc.encode("bad", &ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{2}));

  test::write_tree(dir, {{"bad.json", R"(["film"])"}, {"dup.json", R"({"a": 1, "b": 1})"},
                         {"neg.json", R"({"a": 0})"}, {"junk.json", "{not json"}});
  for (const char* bad : {"bad.json", "dup.json", "neg.json", "junk.json", "missing.json"}) {
    const std::string msg = usage_error([&] { build(as_dir(test::small_aclimdb()), 10, dir + "/" + bad); });
    EXPECT_NE(msg.find("--word-index"), std::string::npos) << bad << ": " << msg;
    EXPECT_NE(msg.find(bad), std::string::npos) << msg;
  }
}

TEST(CorpusBuilder, LegitimateOddReviews) {
  FileMap f = test::small_aclimdb();
  f["aclImdb/train/pos/3_8.txt"] = "";                                   // empty review
  f["aclImdb/train/pos/4_8.txt"] = std::string("great\xFF\xFE film\xC3"); // invalid UTF-8
  std::string huge;
  while (huge.size() < (10u << 20)) huge += "great film, ";
  f["aclImdb/train/neg/3_1.txt"] = huge;                                  // a 10 MB review
  for (const std::string& path : {as_dir(f), as_targz(f)}) {
    const Corpus c = build(path);
    ASSERT_EQ(c.train.size(), 9u);
    EXPECT_EQ(c.train.length(3), 0);  // review 3_8: nothing but the start token in a sequence
    SequenceOptions o;
    o.maxlen = 4;
    int32_t row[4];
    EXPECT_EQ(make_sequence(nullptr, 0, o, row), 1);
    EXPECT_EQ(std::vector<int32_t>(row, row + 4), (std::vector<int32_t>{1, 0, 0, 0}));
    // Invalid bytes split words and vanish: same ids as clean "great film".
    text::Encoder enc(c.vocab);
    std::vector<int32_t> clean;
    enc.encode("great film", &clean);
    EXPECT_EQ(ids_of(c.train, 4), clean);
    EXPECT_EQ(c.train.length(8), static_cast<int64_t>(huge.size() / 12 * 2));
    EXPECT_EQ(c.train.review_ids[8], 3);
  }
}

TEST(CorpusBuilder, BadInputNamesThePathAndWhatWasExpected) {
  // Missing path.
  std::string msg = usage_error([] { build("/nonexistent/aclImdb"); });
  EXPECT_NE(msg.find("/nonexistent/aclImdb"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such file"), std::string::npos) << msg;
  // A folder that is not aclImdb is read as class folders: one class is not enough.
  const std::string other = as_dir({{"notes/readme.txt", "hello"}});
  msg = usage_error([&] { build(other); });
  EXPECT_NE(msg.find(other), std::string::npos) << msg;
  EXPECT_NE(msg.find("1 class ('notes'); expected at least two classes"), std::string::npos) << msg;
  // A folder missing one class.
  FileMap no_neg = test::small_aclimdb();
  for (const char* k : {"aclImdb/test/neg/0_4.txt", "aclImdb/test/neg/1_2.txt", "aclImdb/test/neg/2_1.txt"})
    no_neg.erase(k);
  msg = usage_error([&] { build(as_dir(no_neg)); });
  EXPECT_NE(msg.find("test/neg"), std::string::npos) << msg;
  // An archive that is not aclImdb, and one missing a class.
  msg = usage_error([&] { build(as_targz({{"photos/cat.jpg", "jpeg"}})); });
  EXPECT_NE(msg.find("train/pos"), std::string::npos) << msg;
  msg = usage_error([&] { build(as_targz(no_neg)); });
  EXPECT_NE(msg.find("test/neg"), std::string::npos) << msg;
  // A file that is not an archive at all.
  const std::string txt = test::scratch_dir("txt") + "/reviews.tar.gz";
  { std::ofstream(txt) << "this is plain text, not gzip"; }
  msg = usage_error([&] { build(txt); });
  EXPECT_NE(msg.find(txt), std::string::npos) << msg;
  // A bad file name inside a class folder: named in the error, dir and archive alike.
  FileMap bad_name = test::small_aclimdb();
  bad_name["aclImdb/train/pos/notes.txt"] = "oops";
  msg = usage_error([&] { build(as_dir(bad_name)); });
  EXPECT_NE(msg.find("notes.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("<id>_<rating>.txt"), std::string::npos) << msg;
  msg = usage_error([&] { build(as_targz(bad_name)); });
  EXPECT_NE(msg.find("aclImdb/train/pos/notes.txt"), std::string::npos) << msg;
  // The same id twice in one folder.
  FileMap dup = test::small_aclimdb();
  dup["aclImdb/train/neg/1_4.txt"] = "dup";
  msg = usage_error([&] { build(as_dir(dup)); });
  EXPECT_NE(msg.find("appears twice"), std::string::npos) << msg;
}

TEST(CorpusBuilder, TruncatedOrCorruptArchiveIsAnError) {
  FileMap f = test::small_aclimdb();
  std::string filler;  // make the archive long enough to cut in the middle of the deflate stream
  for (int i = 0; i < 20000; ++i) filler += "word" + std::to_string(i * 7919 % 10007) + " ";
  f["aclImdb/train/pos/3_9.txt"] = filler;
  const std::string good = as_targz(f);
  const std::string bytes = test::read_bytes(good);
  ASSERT_GT(bytes.size(), 1000u);
  const std::string dir = test::scratch_dir("broken");
  const std::string truncated = dir + "/truncated.tar.gz";
  const std::string corrupt = dir + "/corrupt.tar.gz";
  { std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2); }
  std::string flipped = bytes;
  for (size_t i = bytes.size() / 3; i < bytes.size() / 3 + 64; ++i) flipped[i] = static_cast<char>(~flipped[i]);
  { std::ofstream(corrupt, std::ios::binary) << flipped; }
  for (const std::string& p : {truncated, corrupt}) {
    const std::string msg = usage_error([&] { build(p); });
    EXPECT_NE(msg.find(p), std::string::npos) << msg;
    EXPECT_NE(msg.find("corrupt or truncated"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace senti::data
