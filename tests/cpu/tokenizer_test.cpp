// Tokenizer rules (host/text/tokenizer.h), the Encoder, and the hashes the cache format relies on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/data/dataset.h"
#include "host/data/hash.h"
#include "host/data/sha256.h"
#include "host/text/encoder.h"
#include "host/text/tokenizer.h"

namespace senti::text {
namespace {

using V = std::vector<std::string>;

TEST(Tokenizer, LowercasesAndSplitsOnPunctuation) {
  EXPECT_EQ(tokenize_to_strings("Bromwell High is a cartoon comedy."),
            (V{"bromwell", "high", "is", "a", "cartoon", "comedy"}));
  EXPECT_EQ(tokenize_to_strings("well-made... 10/10!!! (really)"), (V{"well", "made", "10", "10", "really"}));
  EXPECT_EQ(tokenize_to_strings("a_b\tc\nd"), (V{"a", "b", "c", "d"}));
  EXPECT_TRUE(tokenize_to_strings("").empty());
  EXPECT_TRUE(tokenize_to_strings(" ,.;:!? ").empty());
}

TEST(Tokenizer, RemovesHtmlLineBreaks) {
  EXPECT_EQ(tokenize_to_strings("end.<br /><br />Next"), (V{"end", "next"}));
  EXPECT_EQ(tokenize_to_strings("a<br/>b<BR>c<Br  />d"), (V{"a", "b", "c", "d"}));
  // Only line breaks are markup: other tags and a bare "br" are ordinary text.
  EXPECT_EQ(tokenize_to_strings("<b>bold</b> br"), (V{"b", "bold", "b", "br"}));
  EXPECT_EQ(tokenize_to_strings("x<br"), (V{"x", "br"}));
}

TEST(Tokenizer, ApostrophesOnlyInsideWords) {
  EXPECT_EQ(tokenize_to_strings("I didn't like Tom's rock'n'roll"),
            (V{"i", "didn't", "like", "tom's", "rock'n'roll"}));
  EXPECT_EQ(tokenize_to_strings("'quoted' words' 'x"), (V{"quoted", "words", "x"}));
  EXPECT_EQ(tokenize_to_strings("tom''s"), (V{"tom", "s"}));  // two in a row: a quote
  // Typographic and cp1252 apostrophes are all written as '.
  EXPECT_EQ(tokenize_to_strings("doesn\u2019t it\u2018s don`t can\u00B4t won\u0092t"),
            (V{"doesn't", "it's", "don't", "can't", "won't"}));
}

TEST(Tokenizer, Utf8LettersAreLowercasedAndPunctuationSeparates) {
  EXPECT_EQ(tokenize_to_strings("CAPITÃES Padmé ĞÜZEL ΑΘΗΝΑ МОСКВА 東京"),
            (V{"capitães", "padmé", "ğüzel", "αθηνα", "москва", "東京"}));
  // General punctuation (em dash, ellipsis, curly quotes), nbsp and cp1252 leftovers separate words.
  EXPECT_EQ(tokenize_to_strings("fun\u2014yet\u2026more \u201Cquoted\u201D a\u00A0b most\u0085and x\u00D7y"),
            (V{"fun", "yet", "more", "quoted", "a", "b", "most", "and", "x", "y"}));
}

TEST(Tokenizer, InvalidUtf8BytesAreSeparatorsDeterministically) {
  // stray continuation byte, truncated 2-byte and 3-byte sequences, overlong '/', surrogate, 0xFF
  const std::string bad = std::string("ab\x80") + "cd\xC3" + " ef\xE2\x82" + "gh\xC0\xAF" + "ij\xED\xA0\x80" +
                          "kl\xFF" + "mn";
  const V expected{"ab", "cd", "ef", "gh", "ij", "kl", "mn"};
  EXPECT_EQ(tokenize_to_strings(bad), expected);
  EXPECT_EQ(tokenize_to_strings(bad), expected);
  // A truncated sequence at the very end is dropped, never read past the end.
  EXPECT_EQ(tokenize_to_strings(std::string("end\xE2\x82")), (V{"end"}));
  // Every output token is valid UTF-8 even for random bytes.
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise += static_cast<char>((i * 2654435761u) >> 13);
  TokenList t;
  tokenize(noise, &t);
  for (size_t i = 0; i < t.size(); ++i) {
    const std::string s(t[i]);
    EXPECT_EQ(tokenize_to_strings(s), (V{s})) << "token " << i << " does not re-tokenize to itself";
  }
}

TEST(Tokenizer, ReusesBuffersAndHandlesHugeInput) {
  std::string huge;
  huge.reserve(10 << 20);
  while (huge.size() < (10u << 20)) huge += "Word, ANOTHER-word<br />";
  TokenList t;
  tokenize(huge, &t);
  ASSERT_EQ(t.size(), huge.size() / 24 * 3);
  EXPECT_EQ(t[0], "word");
  EXPECT_EQ(t[1], "another");
  EXPECT_EQ(t[t.size() - 1], "word");
  tokenize("x y", &t);  // reuse: previous contents fully replaced
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1], "y");
}

TEST(Encoder, MapsWordsToVocabularyIdsAndOov) {
  data::Vocabulary v;
  v.num_words = 6;  // ids 3, 4, 5 are words
  v.words = {"the", "film", "good", "never-kept"};
  v.source = "train-split";
  Encoder enc(v);
  std::vector<int32_t> ids;
  enc.encode("The FILM was good, the end<br />", &ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{3, 4, 2, 5, 3, 2}));
  enc.encode("", &ids);
  EXPECT_TRUE(ids.empty());
  // Keras word-index vocabularies leave words[0] (id 3) empty: never produced.
  data::Vocabulary keras;
  keras.num_words = 10;
  keras.words = {"", "the", "and"};
  Encoder kenc(keras);
  kenc.encode("and the", &ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{5, 4}));
}

TEST(Hashes, KnownVectors) {
  // XXH64 reference values (seed 0) from the xxHash project.
  EXPECT_EQ(data::xxh64("", 0), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(data::xxh64("a", 1), 0xD24EC4F1A98C6E5Bull);
  EXPECT_EQ(data::xxh64("abc", 3), 0x44BC2CF5AD770999ull);
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(data::xxh64(fox.data(), fox.size()), 0x0B242D361FDA71BCull);
  // SHA-256 (FIPS 180-2 examples).
  data::Sha256 a;
  a.update("abc", 3);
  EXPECT_EQ(a.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  data::Sha256 b;
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  b.update(two_blocks.data(), 10);
  b.update(two_blocks.data() + 10, two_blocks.size() - 10);
  EXPECT_EQ(b.hex_digest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace senti::text
