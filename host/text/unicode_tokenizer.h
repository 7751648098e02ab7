#pragma once
// A second review tokenizer, on ICU: Unicode word boundaries (UAX #29, with ICU's dictionaries for
// scripts written without spaces) and NFKC_Casefold. The v1 tokenizer (tokenizer.h) lowercases only
// Latin, Greek and Cyrillic and leaves a Chinese, Japanese or Thai sentence as one "word"; this one
// segments and folds every script. Same contract as text::tokenize: fills a TokenList (cleared
// first), honours keep_spans, deterministic, no exception on any byte sequence, thread-safe.
//
// Rules (any change bumps kUnicodeTokenizerVersion):
//  1. Input is UTF-8. A byte that does not start a valid, shortest-form UTF-8 sequence (stray
//     continuation byte, truncated or overlong sequence, surrogate, > U+10FFFF) is one separator
//     byte, exactly as in v1. (It is handed to ICU as a space, so ICU's own repair of bad UTF-8,
//     which maps a whole ill-formed subsequence to one U+FFFD, never shows.)
//  2. HTML line breaks `<br />`, `<br/>`, `<br>` (any case, spaces before the slash) are separators,
//     as in v1, so the IMDB markup never becomes a word "br" (nor glues "end.<br />Next").
//  3. Segmentation comes first, on the raw text: the text is cut at the UAX #29 word boundaries of
//     icu::BreakIterator::createWordInstance(Locale::getRoot()) (root locale, so the process locale
//     never matters). Thai, Lao, Khmer, Burmese, Chinese and Japanese runs are cut by ICU's
//     dictionaries ("我喜欢这部电影" -> 我 喜欢 这 部 电影). A segment is a token when its rule
//     status is not UBRK_WORD_NONE, i.e. it holds letters, digits, kana or ideographs; spaces,
//     punctuation, symbols and emoji are dropped (emoji, even 👍, are never tokens). UAX #29 keeps
//     together: contractions and elisions with ' or U+2019 ("don't", "l'homme" is ONE token, not
//     l + homme), numbers with inner . , ("10.5", "1,000"), letters joined by . or · ("u.s.a",
//     and also a missing space after a full stop: "end.Next" -> "end.next"), "_" ("a_b"), Hebrew
//     abbreviations with " or ״ ("צה"ל"), combining marks and ZWJ/format characters with their base
//     (Devanagari matras and viramas, Arabic harakat stay inside the word). It splits at hyphens,
//     slashes, colons and other punctuation ("well-made" -> well made, "10/10" -> 10 10, "10:30"
//     -> 10 30). Leading and trailing quotes are dropped ("'girl'" -> girl, "teachers'" ->
//     teachers); two apostrophes in a row split ("tom''s" -> tom s). ICU 72 also keeps an e-mail
//     address as one token ("user@example.com").
//  4. Each token is then normalized on its own with NFKC_Casefold (Normalizer2::
//     getNFKCCasefoldInstance): compatibility forms are unified and case is fully folded, and
//     default-ignorable characters (soft hyphen, ZWJ/ZWNJ, variation selectors) are removed.
//     "Straße" and "STRASSE" -> strasse, "ＡＢＣ" -> abc, "ﬁne" -> fine, "ΟΔΟΣ" and "οδος" -> οδοσ
//     (final sigma folds to σ; accents stay: "κόσμος" -> κόσμοσ), "Ⅻ" -> xii, "ﻻ" -> لا. Full case
//     folding is language-neutral, not Turkish: "I" -> i (not ı), "İ" -> i + U+0307 (combining dot
//     above), "ı" stays ı. Full-width text segments like its ASCII form ("ＡＢＣ．ＤＥＦ" is one
//     token, abc.def, as "ABC.DEF" is) because UAX #29 gives full-width letters, digits and
//     punctuation the word-break classes of their ASCII forms.
//  5. Apostrophes U+2019 and U+2018 inside a token are written as ' (as in v1), so "don’t" and
//     "don't" are the same token (NFKC already maps the full-width U+FF07 to ').
//  6. A token that normalizes to the empty string (a Hangul filler U+3164 alone) is dropped. A token
//     whose normalization contains a space (only U+FDFA, U+FDFB, U+037A, U+309B/U+309C and the
//     isolated Arabic harakat forms have one) is split at the spaces; the pieces share its span.
// Tokens and spans depend on ICU's Unicode data and dictionaries as well as on these rules: store
// unicode_tokenizer_icu_version() next to kUnicodeTokenizerVersion in anything keyed by tokens.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/text/tokenizer.h"  // TokenList

namespace senti::text {

constexpr uint32_t kUnicodeTokenizerVersion = 1;

// Tokenizes `raw` into *out (cleared first). With out->keep_spans, spans[i] is the byte range in
// `raw` of the UAX #29 segment that token i came from (its first to its last byte, combining marks
// included). Deterministic (for one ICU version) and thread-safe: every thread uses its own clone of
// one BreakIterator. Never throws on any byte sequence; throws senti::Error only when `raw` is 4 GiB
// or more, when the tokens' text would reach 4 GiB (NFKC can lengthen text, at most ~11x), or when
// ICU itself fails (e.g. its data library is missing).
void tokenize_unicode(std::string_view raw, TokenList* out);

// Convenience for tests and tools: the tokens as strings (allocates).
std::vector<std::string> tokenize_unicode_to_strings(std::string_view raw);

// "ICU 72.1, Unicode 15.0": what, beside kUnicodeTokenizerVersion, decides the tokens.
std::string unicode_tokenizer_icu_version();

namespace detail {
// ICU's BreakIterator counts in int32, so tokenize_unicode hands it the text in chunks of at most
// kUnicodeChunkBytes, each ending just before an ASCII space (where UAX #29 always breaks, so the
// tokens are those of the whole text). Only a run of kUnicodeChunkBytes without any space can be
// cut inside a word. Exposed with a chosen chunk size for tests.
constexpr size_t kUnicodeChunkBytes = size_t{1} << 30;
void tokenize_unicode_chunked(std::string_view raw, TokenList* out, size_t chunk_bytes);
}  // namespace detail

}  // namespace senti::text
