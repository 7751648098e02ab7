#pragma once
// The one rule for what text senti reads (review files of --data, `predict --file` and standard
// input): UTF-8. A UTF-8 byte-order mark is skipped; UTF-16 and UTF-32 (told by their byte-order
// marks or by the NUL bytes their ASCII letters carry) and any other text with NUL bytes are
// refused by the callers with the file named, never read as bytes (letters split by NULs would
// become one-letter words).
#include <string>
#include <string_view>

namespace senti::text {

// What every refusal ends with.
constexpr const char* kExpectedUtf8 =
    "expected UTF-8 text (convert it, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8)";

// "" when `text` can be read as UTF-8 text (the start of a file or one line of it); otherwise
// what it is instead: "UTF-16LE text (byte-order mark FF FE)", "UTF-16BE text (NUL bytes at every
// other position)", "binary data (a NUL byte at byte 17)". Looks at the first bytes for a
// byte-order mark or a NUL pattern and searches the whole text for a NUL byte.
std::string non_utf8_reason(std::string_view text);

// `text` without a leading UTF-8 byte-order mark (EF BB BF).
std::string_view strip_utf8_bom(std::string_view text);

}  // namespace senti::text
