// read_labeled_file (host/data/labeled_files.h): every format as pandas, Hugging Face datasets,
// GLUE and fastText users write it (quoting, CRLF, a BOM, several text columns, integer and array
// labels, labels anywhere on a fastText line, gzip), one malformed file per class of error (the
// message must name path:line, and the column where one applies), the limits, and the five real
// sentence-classification sets of ../shared/data/textclf.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "host/data/labeled_files.h"
#include "kernels/common/error.h"
#include "test_env.h"

namespace senti::data {
namespace {

const std::string& dir() {
  static const std::string d = test::scratch_dir("labeled");
  return d;
}

std::string write_file(const std::string& name, const std::string& bytes) {
  const std::string path = dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// The same bytes gzip-compressed, under a name that does not say so (the magic bytes do).
std::string write_gz(const std::string& name, const std::string& bytes) {
  const std::string path = dir() + "/" + name;
  gzFile gz = gzopen(path.c_str(), "wb");
  EXPECT_NE(gz, nullptr);
  EXPECT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(gz);
  return path;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct Got {
  std::vector<std::string> texts;
  std::vector<std::vector<std::string>> labels;
  std::vector<int64_t> lines;
  std::vector<double> fractions;
};

Got read_all(const std::string& path, FileFormat format, const ColumnOptions& cols = {},
             const ReadLimits& limits = {}) {
  Got g;
  read_labeled_file(path, format, cols, "--data", [&](const LabeledRecord& r) {
    g.texts.emplace_back(r.text);
    g.labels.push_back(*r.labels);
    g.lines.push_back(r.line);
    g.fractions.push_back(r.input_fraction);
  }, limits);
  return g;
}

// The UsageError message of reading `path`; a failure of the test when the read succeeds.
std::string error_of(const std::string& path, FileFormat format, const ColumnOptions& cols = {},
                     const ReadLimits& limits = {}, int* records = nullptr) {
  int n = 0;
  try {
    read_labeled_file(path, format, cols, "--data", [&](const LabeledRecord&) { ++n; }, limits);
  } catch (const UsageError& e) {
    if (records) *records = n;
    return e.what();
  }
  ADD_FAILURE() << path << " read without an error";
  return "";
}

// The message starts with "--data <path>:<where>: " and holds `what`.
#define EXPECT_ERROR_AT(msg, path, where, what)                                      \
  do {                                                                               \
    const std::string m_ = (msg);                                                    \
    EXPECT_EQ(m_.rfind("--data " + (path) + ":" + (where) + ": ", 0), 0u) << m_;      \
    EXPECT_NE(m_.find(what), std::string::npos) << m_;                               \
  } while (0)

using Labels = std::vector<std::vector<std::string>>;

TEST(LabeledFiles, FormatNames) {
  FileFormat f{};
  for (FileFormat g : {FileFormat::Csv, FileFormat::Tsv, FileFormat::JsonLines, FileFormat::FastText}) {
    ASSERT_TRUE(parse_format_name(format_name(g), &f));
    EXPECT_EQ(f, g);
  }
  EXPECT_STREQ(format_name(FileFormat::JsonLines), "jsonl");
  EXPECT_FALSE(parse_format_name("json", &f));
  EXPECT_FALSE(parse_format_name("CSV", &f));
  const std::map<std::string, FileFormat> known = {
      {"train.csv", FileFormat::Csv},         {"dir.v2/train.tsv", FileFormat::Tsv},
      {"x.TSV.gz", FileFormat::Tsv},          {"subj.jsonl", FileFormat::JsonLines},
      {"a.ndjson.gz", FileFormat::JsonLines}, {"a.json", FileFormat::JsonLines},
      {"cr.txt", FileFormat::FastText},       {"a.ft", FileFormat::FastText},
      {"a.fasttext.gz", FileFormat::FastText}};
  for (const auto& [name, format] : known) {
    ASSERT_TRUE(format_from_file_name(name, &f)) << name;
    EXPECT_EQ(f, format) << name;
  }
  for (const char* name : {"data.gz", "README", "x.csv/", "a.parquet", ".csv", "csv"})
    EXPECT_FALSE(format_from_file_name(name, &f)) << name;
}

TEST(LabeledFiles, CsvQuotingCrlfBomAndSpaces) {
  const std::string p = write_file("quoting.csv",
                                   "\xEF\xBB\xBFlabel,text\r\n"
                                   "pos,\"a, b\"\r\n"
                                   "neg,\"say \"\"hi\"\"\"\r\n"
                                   "pos,\"two\r\nlines\"\r\n"
                                   "\r\n"
                                   "neg,  spaced  \r\n"
                                   "pos,\"\"\r\n"
                                   "neg,caf\xC3\xA9 last");  // no line end after the last row
  const Got g = read_all(p, FileFormat::Csv);
  EXPECT_EQ(g.texts, (std::vector<std::string>{"a, b", "say \"hi\"", "two\r\nlines", "  spaced  ", "",
                                               "caf\xC3\xA9 last"}));
  EXPECT_EQ(g.labels, (Labels{{"pos"}, {"neg"}, {"pos"}, {"neg"}, {"pos"}, {"neg"}}));
  EXPECT_EQ(g.lines, (std::vector<int64_t>{2, 3, 4, 7, 8, 9}));
  EXPECT_DOUBLE_EQ(g.fractions.back(), 1.0);
}

TEST(LabeledFiles, CsvColumnsByName) {
  const std::string p = write_file("news.csv",
                                   "id,title,description,label\n"
                                   "1,Stocks rise,\"Markets, up\",business\n"
                                   "2,Cup final,Late goal,sports\n");
  ColumnOptions cols;
  cols.text_columns = {"title", "description"};  // --text-column title,description
  const Got g = read_all(p, FileFormat::Csv, cols);
  EXPECT_EQ(g.texts, (std::vector<std::string>{"Stocks rise\nMarkets, up", "Cup final\nLate goal"}));
  EXPECT_EQ(g.labels, (Labels{{"business"}, {"sports"}}));

  // "sentence" when there is no "text"; any label column by name; unlabeled text without one.
  const std::string s = write_file("glue.csv", "idx,sentence,y\n0,fine,1\n1,bad,0\n");
  ColumnOptions by_name;
  by_name.label_column = "y";
  EXPECT_EQ(read_all(s, FileFormat::Csv, by_name).labels, (Labels{{"1"}, {"0"}}));
  ColumnOptions unlabeled;
  unlabeled.labels_required = false;
  const Got u = read_all(s, FileFormat::Csv, unlabeled);
  EXPECT_EQ(u.texts, (std::vector<std::string>{"fine", "bad"}));
  EXPECT_EQ(u.labels, (Labels{{}, {}}));
}

TEST(LabeledFiles, TsvGlueStyleAndQuoted) {
  const std::string p = write_file("train.tsv",
                                   "sentence\tlabel\n"
                                   "it 's a charming , often funny film .\t4\n"
                                   "\"quoted\ttab\"\t0\n"
                                   "a comma , here\t2\n"
                                   "the \"best\" film\t3\n");
  const Got g = read_all(p, FileFormat::Tsv);
  EXPECT_EQ(g.texts, (std::vector<std::string>{"it 's a charming , often funny film .", "quoted\ttab",
                                               "a comma , here", "the \"best\" film"}));
  EXPECT_EQ(g.labels, (Labels{{"4"}, {"0"}, {"2"}, {"3"}}));
}

TEST(LabeledFiles, JsonLinesLabelsAndKeys) {
  const std::string p = write_file("mixed.jsonl",
                                   "{\"text\": \"caf\\u00e9 ok\", \"label\": \"pos\"}\n"
                                   "\n"
                                   "  {\"label\": 3, \"text\": \"int label\", \"extra\": [1]}\r\n"
                                   "{\"text\": \"multi\", \"label\": [\"a\", 2, \"b\"]}\n"
                                   "{\"text\": \"none\", \"label\": []}");
  ColumnOptions unlabeled;
  unlabeled.labels_required = false;
  const Got g = read_all(p, FileFormat::JsonLines, unlabeled);
  EXPECT_EQ(g.texts, (std::vector<std::string>{"caf\xC3\xA9 ok", "int label", "multi", "none"}));
  EXPECT_EQ(g.labels, (Labels{{"pos"}, {"3"}, {"a", "2", "b"}, {}}));
  EXPECT_EQ(g.lines, (std::vector<int64_t>{1, 3, 4, 5}));

  const std::string t = write_file("titles.jsonl",
                                   "{\"title\": \"T1\", \"body\": \"B1\", \"topic\": -7}\n"
                                   "{\"title\": \"T2\", \"body\": \"B2\", \"topic\": \"x\"}\n");
  ColumnOptions cols;
  cols.text_columns = {"title", "body"};
  cols.label_column = "topic";
  const Got h = read_all(t, FileFormat::JsonLines, cols);
  EXPECT_EQ(h.texts, (std::vector<std::string>{"T1\nB1", "T2\nB2"}));
  EXPECT_EQ(h.labels, (Labels{{"-7"}, {"x"}}));

  const std::string s = write_file("sentence.jsonl", "{\"sentence\": \"s\", \"label\": 1}\n");
  EXPECT_EQ(read_all(s, FileFormat::JsonLines).texts, std::vector<std::string>{"s"});
}

TEST(LabeledFiles, FastTextLabelsAnywhere) {
  const std::string p = write_file("ft.txt",
                                   "__label__pos __label__fun a  fine\tfilm\r\n"
                                   "\n"
                                   "   \n"
                                   "boring __label__neg\n"
                                   "so __label__neg very __label__meh dull\n"
                                   "__label__x");
  const Got g = read_all(p, FileFormat::FastText);
  EXPECT_EQ(g.texts, (std::vector<std::string>{"a  fine\tfilm", "boring", "so very dull", ""}));
  EXPECT_EQ(g.labels, (Labels{{"pos", "fun"}, {"neg"}, {"neg", "meh"}, {"x"}}));
  EXPECT_EQ(g.lines, (std::vector<int64_t>{1, 4, 5, 6}));
}

TEST(LabeledFiles, GzipByContentNotName) {
  const std::string csv = "text,label\n\"a\nb\",1\nc,0\n";
  const Got g = read_all(write_gz("csv_gz.csv", csv), FileFormat::Csv);
  EXPECT_EQ(g.texts, (std::vector<std::string>{"a\nb", "c"}));
  EXPECT_EQ(g.lines, (std::vector<int64_t>{2, 4}));
  // Big enough for many reads: every line, its number and the progress come through.
  std::string ft;
  for (int i = 0; i < 20000; ++i)
    ft += "__label__" + std::to_string(i % 3) + " text number " + std::to_string(i) + "\n";
  const Got h = read_all(write_gz("many.gz", ft), FileFormat::FastText);
  ASSERT_EQ(h.texts.size(), 20000u);
  EXPECT_EQ(h.texts[12345], "text number 12345");
  EXPECT_EQ(h.lines[12345], 12346);
  EXPECT_TRUE(std::is_sorted(h.fractions.begin(), h.fractions.end()));
  EXPECT_GT(h.fractions.back(), 0.9);
  EXPECT_LE(h.fractions.back(), 1.0);
  const Got j =
      read_all(write_gz("j.jsonl.gz", "{\"text\": \"t\", \"label\": [1]}\n"), FileFormat::JsonLines);
  EXPECT_EQ(j.labels, (Labels{{"1"}}));
}

// Reads go 64 KiB at a time: a CRLF, a quoted field and a UTF-8 character cut by a read boundary
// must come out whole, on the right lines.
TEST(LabeledFiles, ReadBoundaries) {
  for (size_t shift = 0; shift < 4; ++shift) {
    const std::string head = "text,label\r\n";  // 12 bytes
    // The two bytes of "\xC3\xA9" at 65532 + shift: the CRLF after it, the CR alone, the
    // character itself straddle byte 65536.
    std::string body(65532 + shift - head.size() - 1, 'x');
    std::string f = head + "\"" + body + "\xC3\xA9\r\n" + "y\",1\r\nz,2\r\n";
    const Got g = read_all(write_file("boundary" + std::to_string(shift) + ".csv", f), FileFormat::Csv);
    ASSERT_EQ(g.texts.size(), 2u) << shift;
    EXPECT_EQ(g.texts[0], body + "\xC3\xA9\r\ny") << shift;
    EXPECT_EQ(g.lines, (std::vector<int64_t>{2, 4})) << shift;
  }
}

TEST(LabeledFiles, CsvErrors) {
  std::string p = write_file("quote_inside.csv", "text,label\nfine,1\nab\"c,1\n");
  int records = 0;
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv, {}, {}, &records), p, "3:3", "a '\"' inside a field");
  EXPECT_EQ(records, 1);  // what came before the error was passed on
  p = write_file("after_quote.csv", "text,label\n\"ab\"c,1\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "2:5", "'c' after the closing '\"'");
  p = write_file("after_quote_crlf.csv", "sentence,label\r\n\"multi\r\nline\" x,1\r\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "3:6", "' ' after the closing");
  p = write_file("open_quote.csv", "text,label\na,1\n\"never closed,1\nb,2\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "3", "no closing '\"' by the end of the file");
  p = write_file("ragged.csv", "text,label\na,1\nb,1,extra\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "3", "3 fields, but the header (line 1) has 2 columns");
  p = write_file("short.tsv", "sentence\tlabel\nno tab here\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Tsv), p, "2", "1 field, but the header (line 1) has 2 columns");
  p = write_file("no_text.csv", "body,label\na,1\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "1",
                  "no \"text\" or \"sentence\" column (its columns: \"body\", \"label\")");
  p = write_file("no_label.csv", "\n\ntext,class\na,1\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "3", "no label column \"label\"");
  ColumnOptions named;
  named.text_columns = {"title", "nope"};
  p = write_file("no_named.csv", "title,label\na,1\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv, named), p, "1", "no text column \"nope\"");
  p = write_file("twice.csv", "text,label,text\na,1,b\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "1", "\"text\" appears twice");
  p = write_file("empty.csv", "");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "1", "an empty file");
  p = write_file("blank.csv", "\xEF\xBB\xBF\r\n\r\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "1", "an empty file");
  p = write_file("header_only.csv", "text,label\r\n\r\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "1", "a header and no rows");
  p = write_file("empty_label.csv", "text,label\na,1\nb,\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "3", "an empty label");
}

TEST(LabeledFiles, EncodingErrors) {
  std::string p = write_file("latin1.csv", "text,label\nok,1\nfa\xE7" "ade,1\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "3:3", "not UTF-8 text (byte 0xE7");
  p = write_file("overlong.txt", "__label__a ok\n__label__b \xC0\xAF\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::FastText), p, "2:12", "byte 0xC0 cannot start");
  p = write_file("surrogate.jsonl", "{\"text\": \"\xED\xA0\x80\", \"label\": 1}\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "1:11", "byte 0xED starts a sequence");
  p = write_file("cut_short.txt", "__label__a ok\n__label__b \xE2\x82");
  EXPECT_ERROR_AT(error_of(p, FileFormat::FastText), p, "2:12", "the end of the file cuts short");
  p = write_file("nul.csv", std::string("text,label\nab\0c,1\n", 18) + std::string(100, 'x'));
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "2:3", "a NUL byte");
  std::string utf16 = "\xFF\xFE";
  for (char c : std::string("text,label\na,1\n")) utf16 += std::string(1, c) + '\0';
  p = write_file("utf16.csv", utf16);
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv), p, "1", "the file is UTF-16LE text (byte-order mark FF FE)");
}

TEST(LabeledFiles, JsonLinesErrors) {
  std::string p =
      write_file("bad.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": }\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "2:24",
                  "invalid JSON (each line must be one JSON object): syntax error");
  p = write_file("array.jsonl", "[\"a\", 1]\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "1", "a JSON array, not an object");
  p = write_file("int_text.jsonl", "{\"text\": 5, \"label\": 1}\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "1", "the text (key \"text\") is the JSON number 5");
  p = write_file("bool_label.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"a\", \"label\": true}\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "2",
                  "the label (key \"label\") is the JSON boolean true");
  p = write_file("float_label.jsonl", "{\"text\": \"a\", \"label\": 1.5}\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "1", "the number 1.5 (not an integer)");
  p = write_file("null_label.jsonl", "{\"text\": \"a\", \"label\": [\"x\", null]}\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "1", "an element of the label array");
  p = write_file("no_label.jsonl", "{\"text\": \"a\", \"lbl\": 1}\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "1", "no label key \"label\" (the object's keys: ");
  p = write_file("no_text.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"sentence\": \"a\", \"label\": 1}\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "2", "no text key \"text\"");
  p = write_file("nul_escape.jsonl", "{\"text\": \"a\\u0000b\", \"label\": 1}\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "1", "holds a NUL character");
  p = write_file("deep.jsonl", "{\"text\": \"[[[\", \"label\": " + std::string(100000, '[') + "\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "1:57", "JSON nested more than 32 levels");
  p = write_file("empty.jsonl", "\n \n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines), p, "1", "no records");
}

TEST(LabeledFiles, FastTextErrors) {
  std::string p = write_file("nolabel.txt", "__label__a fine\nno label here\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::FastText), p, "2", "no __label__ token");
  p = write_file("noname.txt", "__label__a fine\r\nok __label__ x\r\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::FastText), p, "2:4", "a \"__label__\" token without a name");
  ColumnOptions unlabeled;
  unlabeled.labels_required = false;
  EXPECT_EQ(read_all(write_file("unlabeled.txt", "just text\n"), FileFormat::FastText, unlabeled).labels,
            (Labels{{}}));
}

TEST(LabeledFiles, GzipErrors) {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "__label__a line " + std::to_string(i * 7919) + "\n";
  const std::string whole = slurp(write_gz("whole.txt", text));
  std::string p = write_file("truncated.txt.gz", whole.substr(0, whole.size() / 2));
  int records = 0;
  std::string err = error_of(p, FileFormat::FastText, {}, {}, &records);
  EXPECT_EQ(err.rfind("--data " + p + ": corrupt or truncated gzip data", 0), 0u) << err;
  p = write_file("no_trailer.txt.gz", whole.substr(0, whole.size() - 4));
  err = error_of(p, FileFormat::FastText);
  EXPECT_EQ(err.rfind("--data " + p + ": corrupt or truncated gzip data", 0), 0u) << err;
  std::string bad = whole;
  for (size_t i = 40; i < 60; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
  p = write_file("corrupt.txt.gz", bad);
  err = error_of(p, FileFormat::FastText);
  EXPECT_EQ(err.rfind("--data " + p + ": corrupt or truncated gzip data", 0), 0u) << err;
}

TEST(LabeledFiles, Limits) {
  ReadLimits small;
  small.review_bytes = 100;
  std::string p = write_file("long_row.csv", "text,label\nok,1\n\"" + std::string(60, 'a') + "\n" +
                                                 std::string(60, 'b') + "\",1\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::Csv, {}, small), p, "3", "more than 100 bytes");
  // Exactly at the cap (a CRLF not counted) is fine.
  p = write_file("at_cap.csv", "text,label\r\n" + std::string(98, 'a') + ",1\r\n");
  EXPECT_EQ(read_all(p, FileFormat::Csv, {}, small).texts[0].size(), 98u);
  p = write_file("long_line.txt", "__label__a ok\n__label__a " + std::string(200, 'z') + "\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::FastText, {}, small), p, "2", "the line has more than 100 bytes");
  p = write_file("long.jsonl", "{\"text\": \"" + std::string(200, 'z') + "\", \"label\": 1}\n");
  EXPECT_ERROR_AT(error_of(p, FileFormat::JsonLines, {}, small), p, "1", "more than 100 bytes");

  ReadLimits total;
  total.total_bytes = 1000;
  std::string many;
  for (int i = 0; i < 200; ++i) many += "__label__a abc\n";
  std::string err = error_of(write_gz("bomb.txt", many), FileFormat::FastText, {}, total);
  EXPECT_NE(err.find("more than 1000 bytes of text (decompressed)"), std::string::npos) << err;
}

TEST(LabeledFiles, FileErrors) {
  const std::string missing = dir() + "/missing.csv";
  std::string err;
  try {
    read_labeled_file(missing, FileFormat::Csv, {}, "--test-data", [](const LabeledRecord&) {});
  } catch (const UsageError& e) {
    err = e.what();
  }
  EXPECT_EQ(err.rfind("--test-data " + missing + ": cannot open", 0), 0u) << err;
  err = error_of(dir(), FileFormat::Csv);
  EXPECT_EQ(err.rfind("--data " + dir() + ": a directory", 0), 0u) << err;
  const std::string fifo = dir() + "/fifo.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  err = error_of(fifo, FileFormat::Csv);  // refused, never opened for a writer to come
  EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
}

// The real sets (../shared/data/textclf/README.md): row counts and label sets of every file.
TEST(LabeledFiles, RealSentenceSets) {
  const std::string root = test::data_dir() + "/../textclf/";
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) GTEST_SKIP() << root << " is absent";
  struct Want {
    const char* file;
    size_t rows;
    std::map<std::string, size_t> classes;  // label -> count; counts of 0 are not checked
    size_t empty_texts = 0;  // lines of nothing but a label (so in the source files)
  };
  const std::map<std::string, size_t> sst{{"0", 0}, {"1", 0}, {"2", 0}, {"3", 0}, {"4", 0}};
  const std::map<std::string, size_t> trec{{"ABBR", 0}, {"DESC", 0}, {"ENTY", 0},
                                           {"HUM", 0},  {"LOC", 0},  {"NUM", 0}};
  const std::vector<Want> wants = {
      {"sst5/train.tsv", 8544, sst},
      {"sst5/dev.tsv", 1101, sst},
      {"sst5/test.tsv", 2210, sst},
      {"trec/train.csv", 5452,
       {{"ABBR", 86}, {"DESC", 1162}, {"ENTY", 1250}, {"HUM", 1223}, {"LOC", 835}, {"NUM", 896}}},
      {"trec/test.csv", 500, trec},
      {"subj/subj.jsonl", 10000, {{"subjective", 5000}, {"objective", 5000}}},
      {"cr/cr.txt", 3775, {{"positive", 2407}, {"negative", 1368}}, 4},
      {"mpqa/mpqa.txt", 10606, {{"positive", 3312}, {"negative", 7294}}, 3},
  };
  for (const Want& w : wants) {
    const std::string path = root + w.file;
    FileFormat format{};
    ASSERT_TRUE(format_from_file_name(path, &format)) << path;
    std::map<std::string, size_t> counts;
    size_t rows = 0, empty = 0;
    int64_t last_line = 0;
    double fraction = 0;
    read_labeled_file(path, format, {}, "--data", [&](const LabeledRecord& r) {
      ++rows;
      ASSERT_EQ(r.labels->size(), 1u) << path << ":" << r.line;
      ++counts[r.labels->front()];
      empty += r.text.empty();
      EXPECT_GT(r.line, last_line);
      last_line = r.line;
      fraction = r.input_fraction;
    });
    EXPECT_EQ(rows, w.rows) << path;
    EXPECT_EQ(empty, w.empty_texts) << path;
    EXPECT_DOUBLE_EQ(fraction, 1.0) << path;
    std::set<std::string> got_names, want_names;
    for (const auto& [name, n] : counts) got_names.insert(name);
    for (const auto& [name, n] : w.classes) {
      want_names.insert(name);
      if (n > 0) {
        EXPECT_EQ(counts[name], n) << path << " " << name;
      }
    }
    EXPECT_EQ(got_names, want_names) << path;
  }
}

}  // namespace
}  // namespace senti::data
