// The ICU tokenizer (host/text/unicode_tokenizer.h): UAX #29 words, NFKC_Casefold, v1's separators,
// on real sentences in many scripts, plus spans, bad bytes, chunking and threads.
#include <gtest/gtest.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "host/data/aclimdb_reader.h"
#include "host/text/tokenizer.h"
#include "host/text/unicode_tokenizer.h"
#include "test_env.h"

namespace senti::text {
namespace {

using V = std::vector<std::string>;

V tok(std::string_view s) { return tokenize_unicode_to_strings(s); }

std::string join(const V& v) {
  std::string s;
  for (const std::string& w : v) s += w;
  return s;
}

bool contains(const V& v, const std::string& w) { return std::find(v.begin(), v.end(), w) != v.end(); }

// Valid, shortest-form UTF-8 without surrogates (ICU's strict conversion reports anything else).
bool valid_utf8(std::string_view s) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = 0;
  u_strFromUTF8(nullptr, 0, &length, s.data(), static_cast<int32_t>(s.size()), &status);
  return status == U_ZERO_ERROR || status == U_BUFFER_OVERFLOW_ERROR || status == U_STRING_NOT_TERMINATED_WARNING;
}

// Checks every token is non-empty valid UTF-8 without ASCII whitespace, and (with spans) that the
// spans lie in `raw`, in order, without overlap.
void expect_well_formed(std::string_view raw, const TokenList& t) {
  for (size_t i = 0; i < t.size(); ++i) {
    const std::string_view w = t[i];
    ASSERT_FALSE(w.empty()) << "token " << i;
    for (const char c : w) ASSERT_TRUE(c != ' ' && c != '\t' && c != '\n' && c != '\r') << "token " << i;
    ASSERT_TRUE(valid_utf8(w)) << "token " << i;
  }
  if (!t.keep_spans) return;
  ASSERT_EQ(t.spans.size(), t.size());
  uint32_t prev_end = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    const auto [b, e] = t.spans[i];
    ASSERT_LT(b, e) << "span " << i;
    ASSERT_LE(e, raw.size()) << "span " << i;
    // Pieces of one split token share a span; otherwise spans are ordered and disjoint.
    if (i > 0 && t.spans[i] != t.spans[i - 1]) {
      ASSERT_GE(b, prev_end) << "span " << i;
    }
    prev_end = e;
  }
}

TEST(UnicodeTokenizer, EnglishPunctuationAndContractions) {
  EXPECT_EQ(tok("I didn't like it... Tom's rock'n'roll, 10.5/10 and 1,000 times!"),
            (V{"i", "didn't", "like", "it", "tom's", "rock'n'roll", "10.5", "10", "and", "1,000", "times"}));
  EXPECT_EQ(tok("well-made 10/10 (really) 10:30 a_b"),
            (V{"well", "made", "10", "10", "really", "10", "30", "a_b"}));
  // Quotes around words go; two apostrophes in a row split; a curly apostrophe is written as '.
  EXPECT_EQ(tok("'quoted' teachers' tom''s doesn\u2019t \u2018tis"),
            (V{"quoted", "teachers", "tom", "s", "doesn't", "tis"}));
  // v1 also takes ` and U+00B4 as apostrophes; UAX #29 does not.
  EXPECT_EQ(tok("don`t"), (V{"don", "t"}));
  // UAX #29 joins letters around a full stop: abbreviations, and also a missing space (IMDB typo).
  EXPECT_EQ(tok("U.S.A. end.Next v2.0"), (V{"u.s.a", "end.next", "v2.0"}));
  EXPECT_TRUE(tok("").empty());
  EXPECT_TRUE(tok(" ,.;:!?-- \t\r\n ").empty());
}

TEST(UnicodeTokenizer, HtmlLineBreaksAreSeparators) {
  EXPECT_EQ(tok("end.<br /><br />Next"), (V{"end", "next"}));  // not "end.next": the break separates
  EXPECT_EQ(tok("a<br/>b<BR>c<Br  />d"), (V{"a", "b", "c", "d"}));
  // Only line breaks are markup: other tags and a bare "br" are text.
  EXPECT_EQ(tok("<b>bold</b> br"), (V{"b", "bold", "b", "br"}));
  EXPECT_EQ(tok("x<br"), (V{"x", "br"}));
}

TEST(UnicodeTokenizer, GermanSharpSAndCapitalsFoldFully) {
  EXPECT_EQ(tok("Die STRASSE und die Straße sind GROẞ, Über Ärger!"),
            (V{"die", "strasse", "und", "die", "strasse", "sind", "gross", "über", "ärger"}));
}

TEST(UnicodeTokenizer, FrenchAccentsAndElisions) {
  // UAX #29 keeps an elision with its word (WB6/WB7: letter ' letter): l'homme is one token.
  EXPECT_EQ(tok("L'homme qu\u2019il a vu était DÉJÀ là."),
            (V{"l'homme", "qu'il", "a", "vu", "était", "déjà", "là"}));
  // Decomposed accents (e + U+0301) compose: the same token as the precomposed form.
  EXPECT_EQ(tok("e\u0301te\u0301"), tok("\u00E9t\u00E9"));
  EXPECT_EQ(tok("e\u0301te\u0301"), (V{"\u00E9t\u00E9"}));
}

TEST(UnicodeTokenizer, TurkishDottedAndDotlessIUseLanguageNeutralFolding) {
  // Full case folding is not Turkish: İ -> i + U+0307, I -> i (not ı); ı stays ı.
  EXPECT_EQ(tok("İSTANBUL'da ılık bir gün, IĞDIR"),
            (V{"i\u0307stanbul'da", "ılık", "bir", "gün", "iğdir"}));
}

TEST(UnicodeTokenizer, GreekFinalSigmaFolds) {
  EXPECT_EQ(tok("Ο ΚΌΣΜΟΣ είναι ωραίος."), (V{"ο", "κόσμοσ", "είναι", "ωραίοσ"}));
  EXPECT_EQ(tok("κόσμος"), tok("ΚΌΣΜΟΣ"));  // ς and Σ both fold to σ; accents stay
  EXPECT_EQ(tok("ΣΊΣΥΦΟΣ"), (V{"σίσυφοσ"}));
}

TEST(UnicodeTokenizer, Russian) {
  EXPECT_EQ(tok("Фильм ОЧЕНЬ хороший, но ЁЛКИ-палки!"),
            (V{"фильм", "очень", "хороший", "но", "ёлки", "палки"}));
}

TEST(UnicodeTokenizer, ArabicKeepsHarakatAndUnifiesPresentationForms) {
  EXPECT_EQ(tok("هذا الفيلم رائع، جدا!"), (V{"هذا", "الفيلم", "رائع", "جدا"}));
  // Harakat (combining marks) stay inside their word.
  EXPECT_EQ(tok("الفِيلْمُ رائع"), (V{"الفِيلْمُ", "رائع"}));
  EXPECT_EQ(tok("\uFEFB"), (V{"\u0644\u0627"}));  // lam-alef ligature form -> lam alef
}

TEST(UnicodeTokenizer, HebrewAbbreviationsStayWhole) {
  EXPECT_EQ(tok("הסרט הזה מצוין!"), (V{"הסרט", "הזה", "מצוין"}));
  // UAX #29 WB7b/c keep a Hebrew abbreviation with gershayim or an ASCII double quote together.
  EXPECT_EQ(tok("צה״ל צה\"ל"), (V{"צה״ל", "צה\"ל"}));
}

TEST(UnicodeTokenizer, HindiCombiningMarksStayInsideWords) {
  EXPECT_EQ(tok("यह फ़िल्म बहुत अच्छी है।"), (V{"यह", "फ़िल्म", "बहुत", "अच्छी", "है"}));
  // NFKC decomposes the precomposed U+095E (a composition exclusion): both spellings give one token.
  const std::string precomposed = "\u095E\u093F\u0932\u094D\u092E";
  const std::string decomposed = "\u092B\u093C\u093F\u0932\u094D\u092E";
  EXPECT_EQ(tok(precomposed), (V{decomposed}));
  EXPECT_EQ(tok(decomposed), (V{decomposed}));
}

TEST(UnicodeTokenizer, ChineseIsSplitIntoWords) {
  const V words = tok("我喜欢这部电影。");
  EXPECT_GE(words.size(), 3u);
  EXPECT_TRUE(contains(words, "喜欢"));
  EXPECT_TRUE(contains(words, "电影"));
  EXPECT_EQ(join(words), "我喜欢这部电影");  // nothing lost but the full stop
  EXPECT_EQ(tok("好，很好"), (V{"好", "很好"}));
}

TEST(UnicodeTokenizer, JapaneseMixingKanjiHiraganaKatakana) {
  const V words = tok("この映画はとても面白かった。アニメも最高！");
  EXPECT_GE(words.size(), 6u);
  EXPECT_TRUE(contains(words, "映画"));
  EXPECT_TRUE(contains(words, "アニメ"));  // a katakana run is one word
  EXPECT_EQ(join(words), "この映画はとても面白かったアニメも最高");
  EXPECT_EQ(tok("ｱﾆﾒ"), (V{"アニメ"}));  // half-width katakana -> full width (NFKC)
}

TEST(UnicodeTokenizer, ThaiIsSplitIntoWords) {
  const std::string thai = "ภาพยนตร์เรื่องนี้ดีมาก";
  const V words = tok(thai);
  EXPECT_GE(words.size(), 3u);
  EXPECT_TRUE(contains(words, "ภาพยนตร์"));
  EXPECT_EQ(join(words), thai);
}

TEST(UnicodeTokenizer, KoreanWithSpaces) {
  EXPECT_EQ(tok("이 영화 정말 좋아요!"), (V{"이", "영화", "정말", "좋아요"}));
}

TEST(UnicodeTokenizer, EmojiAreDropped) {
  EXPECT_EQ(tok("great movie😀👍🏽 🇫🇷 ❤️ 👨‍👩‍👧 10/10"), (V{"great", "movie", "10", "10"}));
  // A keycap is a digit with combining marks: the digit stays, with U+20E3 (U+FE0F is ignorable).
  EXPECT_EQ(tok("1\uFE0F\u20E3"), (V{"1\u20E3"}));
}

TEST(UnicodeTokenizer, FullWidthLatinSegmentsLikeAscii) {
  EXPECT_EQ(tok("ＡＢＣ　ｄｅｆ！ １２３．５"), (V{"abc", "def", "123.5"}));
  EXPECT_EQ(tok("ＡＢＣ．ＤＥＦ"), tok("ABC.DEF"));
  EXPECT_EQ(tok("ＤＯＮ＇Ｔ"), (V{"don't"}));
}

TEST(UnicodeTokenizer, LigaturesAndCompatibilityForms) {
  EXPECT_EQ(tok("ﬁne ﬀ ﬃ ﬅ Ⅻ ǅ"), (V{"fine", "ff", "ffi", "st", "xii", "dž"}));
  EXPECT_EQ(tok("x² ½"), (V{"x"}));  // superscripts and fractions are not word characters in UAX #29
}

TEST(UnicodeTokenizer, IgnorablesEmptyTokensAndSpacesFromNormalization) {
  EXPECT_EQ(tok("ab\u00ADc x\u200Dy"), (V{"abc", "xy"}));  // soft hyphen, ZWJ: dropped by NFKC_Casefold
  EXPECT_TRUE(tok("\u3164 \uFFA0").empty());               // Hangul fillers fold to nothing
  TokenList t;
  t.keep_spans = true;
  tokenize_unicode("x \uFDFA", &t);  // one letter whose NFKC form is four words
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[1], "صلى");
  EXPECT_EQ(t[4], "وسلم");
  for (size_t i = 1; i < 5; ++i) EXPECT_EQ(t.spans[i], (std::pair<uint32_t, uint32_t>(2, 5)));
}

TEST(UnicodeTokenizer, InvalidUtf8BytesAreSeparators) {
  // stray continuation byte, truncated 2- and 3-byte sequences, overlong '/', surrogate, 0xFF
  const std::string bad = std::string("ab\x80") + "cd\xC3" + " ef\xE2\x82" + "gh\xC0\xAF" + "ij\xED\xA0\x80" +
                          "kl\xFF" + "mn";
  const V expected{"ab", "cd", "ef", "gh", "ij", "kl", "mn"};
  EXPECT_EQ(tok(bad), expected);
  EXPECT_EQ(tokenize_to_strings(bad), expected);  // the same as v1
  EXPECT_EQ(tok("abc\xE2\x82"), (V{"abc"}));       // truncated at the very end
  EXPECT_EQ(tok("\xC3\xA9t\xC3\xA9\xC3"), (V{"été"}));
  // Random bytes never throw, and the tokens are well formed.
  std::mt19937 rng(7);
  TokenList t;
  t.keep_spans = true;
  for (int round = 0; round < 3000; ++round) {
    std::string s(rng() % 64, '\0');
    const char* const pieces = "a \xC3\xA9\xE4\xB8\x80<br/>'.\xF0\x9F\x98\x80";  // 18 bytes
    for (char& c : s) c = static_cast<char>(round % 2 ? rng() : pieces[rng() % 18]);
    ASSERT_NO_THROW(tokenize_unicode(s, &t)) << round;
    expect_well_formed(s, t);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(UnicodeTokenizer, EmptyStringAndReuseClearTheList) {
  TokenList t;
  t.keep_spans = true;
  tokenize_unicode("some words", &t);
  ASSERT_EQ(t.size(), 2u);
  tokenize_unicode("", &t);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.text.empty());
  EXPECT_TRUE(t.spans.empty());
}

TEST(UnicodeTokenizer, SpansAreExactByteRangesOfRaw) {
  TokenList t;
  t.keep_spans = true;
  tokenize_unicode("  Hello, wörld!", &t);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.spans[0], (std::pair<uint32_t, uint32_t>(2, 7)));
  EXPECT_EQ(t.spans[1], (std::pair<uint32_t, uint32_t>(9, 15)));  // ö is 2 bytes

  const std::string raw = "Ｈｉ, l\u2019homme!<br />ΟΔΟΣ \xFF" "我喜欢 फ़िल्म ＡＢＣ．ＤＥＦ";
  tokenize_unicode(raw, &t);
  expect_well_formed(raw, t);
  V sources;
  for (size_t i = 0; i < t.size(); ++i) {
    const auto [b, e] = t.spans[i];
    sources.emplace_back(raw.substr(b, e - b));
    // A span holds exactly its token: tokenized alone it gives that one token back.
    EXPECT_EQ(tok(sources.back()), (V{std::string(t[i])})) << "span " << i;
  }
  ASSERT_GE(sources.size(), 6u);
  EXPECT_EQ(sources[0], "Ｈｉ");
  EXPECT_EQ(sources[1], "l\u2019homme");
  EXPECT_EQ(sources[2], "ΟΔΟΣ");
  EXPECT_EQ(sources.back(), "ＡＢＣ．ＤＥＦ");
  EXPECT_EQ(t[0], "hi");
  EXPECT_EQ(t[1], "l'homme");
  // Without keep_spans no spans are kept, the tokens are the same.
  TokenList plain;
  tokenize_unicode(raw, &plain);
  EXPECT_TRUE(plain.spans.empty());
  EXPECT_EQ(plain.text, t.text);
  EXPECT_EQ(plain.ends, t.ends);
}

const char* const kMultiScript =
    "I didn't like it.<br /><br />Die Straße ist GROẞ. L'homme était là. İSTANBUL ılık. "
    "Ο ΚΌΣΜΟΣ. Фильм ОЧЕНЬ хороший. هذا الفيلم رائع. הסרט מצוין. यह फ़िल्म अच्छी है। "
    "我喜欢这部电影。 この映画はとても面白かった。 ภาพยนตร์เรื่องนี้ดีมาก 이 영화 정말 좋아요! "
    "great😀👍 ＡＢＣ．ＤＥＦ ﬁne \xFF\xC3 end";

TEST(UnicodeTokenizer, ChunkedSegmentationMatchesWholeText) {
  // Chunks end before a space, where UAX #29 always breaks: the same tokens and spans as one piece,
  // for any chunk size at least as long as the longest run without a space (ภาพยนตร์... = 66 bytes).
  TokenList whole, chunked;
  whole.keep_spans = chunked.keep_spans = true;
  tokenize_unicode(kMultiScript, &whole);
  for (size_t chunk = 70; chunk < 200; chunk += 7) {
    detail::tokenize_unicode_chunked(kMultiScript, &chunked, chunk);
    EXPECT_EQ(chunked.text, whole.text) << chunk;
    EXPECT_EQ(chunked.ends, whole.ends) << chunk;
    EXPECT_EQ(chunked.spans, whole.spans) << chunk;
  }
  // Tiny chunks cut words but stay on code points and terminate.
  detail::tokenize_unicode_chunked("abc ñé", &chunked, 1);
  EXPECT_EQ(chunked.size(), 5u);
  EXPECT_EQ(chunked[3], "ñ");
}

TEST(UnicodeTokenizer, FourThreadsGiveIdenticalResults) {
  TokenList reference;
  reference.keep_spans = true;
  tokenize_unicode(kMultiScript, &reference);
  ASSERT_GT(reference.size(), 40u);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      TokenList t;
      t.keep_spans = true;
      for (int round = 0; round < 300; ++round) {
        // Interleave other inputs so each thread's iterator really changes text.
        tokenize_unicode(round % 3 == k % 3 ? "x \xFF y" : kMultiScript, &t);
        if (round % 3 == k % 3) continue;
        if (t.text != reference.text || t.ends != reference.ends || t.spans != reference.spans)
          ++mismatches[k];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int k = 0; k < 4; ++k) EXPECT_EQ(mismatches[k], 0) << "thread " << k;
}

TEST(UnicodeTokenizer, EveryCodePointGivesWellFormedTokens) {
  // Each code point alone, doubled and between letters: never throws, no empty token, no space.
  TokenList t;
  t.keep_spans = true;
  std::string s;
  for (uint32_t cp = 0x20; cp <= 0x10FFFF; cp += (cp < 0x30000 ? 1 : 0x101)) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string c;
    icu::UnicodeString(static_cast<UChar32>(cp)).toUTF8String(c);
    s = "a" + c + "b " + c + c;
    tokenize_unicode(s, &t);
    expect_well_formed(s, t);
    if (::testing::Test::HasFatalFailure()) {
      ADD_FAILURE() << "at U+" << std::hex << cp;
      return;
    }
  }
}

TEST(UnicodeTokenizer, VersionNamesIcu) {
  EXPECT_EQ(unicode_tokenizer_icu_version().rfind("ICU ", 0), 0u) << unicode_tokenizer_icu_version();
  std::printf("[ tokenizer ] %s\n", unicode_tokenizer_icu_version().c_str());
}

// Prints (asserts nothing about speed) MB/s of v1 and of the ICU tokenizer on ~5 MB of IMDB reviews,
// or on synthetic English text when the archive is absent, and how often the two disagree.
TEST(UnicodeTokenizer, ThroughputVsV1) {
  std::vector<std::string> reviews;
  size_t bytes = 0;
  const std::string archive = test::imdb_archive();
  std::string source = "synthetic English";
  if (std::filesystem::exists(archive)) {
    data::ReadLimits limits;
    limits.total_bytes = 5u << 20;
    try {
      data::read_aclimdb(archive, [&](const data::ReviewFile&, std::string_view text) {
        reviews.emplace_back(text);
        bytes += text.size();
      }, limits);
    } catch (const std::exception&) {  // the 5 MB limit ends the read
    }
    source = "IMDB reviews";
  }
  if (bytes < (1u << 20)) {
    reviews.clear();
    bytes = 0;
    source = "synthetic English";
    const std::string para =
        "This movie was great, I didn't expect it! The acting (10/10) was superb.<br /><br />Don't miss it. ";
    while (bytes < (5u << 20)) {
      reviews.push_back(para + para + para);
      bytes += reviews.back().size();
    }
  }
  TokenList t;
  size_t v1_tokens = 0, v2_tokens = 0, dotted = 0;
  auto time_it = [&](auto&& fn) {
    const auto start = std::chrono::steady_clock::now();
    for (const std::string& r : reviews) fn(r);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const double v1_s = time_it([&](const std::string& r) { tokenize(r, &t); v1_tokens += t.size(); });
  const double v2_s = time_it([&](const std::string& r) {
    tokenize_unicode(r, &t);
    v2_tokens += t.size();
    for (size_t i = 0; i < t.size(); ++i) {
      const std::string_view w = t[i];
      const size_t dot = w.find('.');
      auto letter = [&](size_t i) { return std::isalpha(static_cast<unsigned char>(w[i])) != 0; };
      if (dot != std::string_view::npos && dot > 0 && dot + 1 < w.size() && letter(dot - 1) && letter(dot + 1))
        ++dotted;
    }
  });
  const double mb = static_cast<double>(bytes) / 1e6;
  std::printf("[ tokenizer ] %.1f MB of %s (%zu texts): v1 tokenize %.1f MB/s (%zu tokens), "
              "tokenize_unicode %.1f MB/s (%zu tokens, %zu with letter.letter)\n",
              mb, source.c_str(), reviews.size(), mb / v1_s, v1_tokens, mb / v2_s, v2_tokens, dotted);
  EXPECT_GT(v2_tokens, 0u);
}

}  // namespace
}  // namespace senti::text
