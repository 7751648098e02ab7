// Issue 20: text is what it claims. UTF-16/UTF-32 review files (with a byte-order mark, or told by
// the NUL bytes of their ASCII letters) are refused with the file (and line) named, in training
// data and in `senti predict --file` / standard input, never read as bytes; a UTF-8 byte-order
// mark is dropped. `predict` caps a line at a training review's 16 MiB, in bounded memory.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data_synthetic_test.h"
#include "host/data/aclimdb_reader.h"
#include "host/data/review_lines.h"
#include "host/run/checkpoint.h"
#include "host/text/text_encoding.h"
#include "kernels/common/error.h"
#include "test_env.h"
#include "tiny_checkpoint.h"

namespace senti {
namespace {

using namespace std::string_literals;

// "Great film." in each encoding senti must not read as bytes.
std::string utf16(const std::string& ascii, bool le) {
  std::string out;
  for (char c : ascii) out += le ? std::string{c, '\0'} : std::string{'\0', c};
  return out;
}
std::string utf32(const std::string& ascii, bool le) {
  std::string out;
  for (char c : ascii) out += le ? std::string{c, '\0', '\0', '\0'} : std::string{'\0', '\0', '\0', c};
  return out;
}

struct Case {
  std::string name, bytes, says;  // says: what the error calls it
};
std::vector<Case> foreign_texts(const std::string& text) {
  return {{"utf16le_bom", "\xFF\xFE"s + utf16(text, true), "UTF-16LE text (byte-order mark"},
          {"utf16be_bom", "\xFE\xFF"s + utf16(text, false), "UTF-16BE text (byte-order mark"},
          {"utf32le_bom", "\xFF\xFE\0\0"s + utf32(text, true), "UTF-32LE text (byte-order mark"},
          {"utf32be_bom", "\0\0\xFE\xFF"s + utf32(text, false), "UTF-32BE text (byte-order mark"},
          {"utf16le", utf16(text, true), "UTF-16LE text (no byte-order mark"},
          {"utf16be", utf16(text, false), "UTF-16BE text (no byte-order mark"},
          {"utf32le", utf32(text, true), "UTF-32LE text (no byte-order mark"},
          {"binary", text.substr(0, 3) + "\0\x01\x02"s + text, "binary data (a NUL byte at byte 3)"}};
}

TEST(ReliabilityText, EncodingRuleNamesWhatTheTextIs) {
  for (const Case& c : foreign_texts("Great film, great acting."))
    EXPECT_NE(text::non_utf8_reason(c.bytes).find(c.says), std::string::npos)
        << c.name << ": " << text::non_utf8_reason(c.bytes);
  EXPECT_EQ(text::non_utf8_reason("Great film."), "");
  EXPECT_EQ(text::non_utf8_reason("Caf\xC3\xA9 \xE2\x80\x94 great."), "");
  EXPECT_EQ(text::non_utf8_reason("\xEF\xBB\xBFGreat."), "");
  EXPECT_EQ(text::non_utf8_reason(""), "");
  EXPECT_EQ(text::strip_utf8_bom("\xEF\xBB\xBFGreat."), "Great.");
  EXPECT_EQ(text::strip_utf8_bom("Great."), "Great.");
}

std::string read_error(const std::string& data) {
  try {
    data::read_aclimdb(data, [](const data::ReviewFile&, std::string_view) {});
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(ReliabilityText, TrainingDataInUtf16Or32IsRefusedNamingTheReview) {
  for (const Case& c : foreign_texts("A great film.<br />Loved it!")) {
    test::FileMap files = test::small_aclimdb();
    files["aclImdb/train/pos/1_7.txt"] = c.bytes;
    const std::string dir = test::scratch_dir("text-" + c.name);
    test::write_tree(dir, files);
    const std::string archive = dir + "/data.tar.gz";
    test::write_targz(archive, files);
    for (const std::string& data : {dir, archive}) {
      const std::string err = read_error(data);
      EXPECT_NE(err.find("1_7.txt"), std::string::npos) << c.name << ": " << err;
      EXPECT_NE(err.find(c.says), std::string::npos) << c.name << ": " << err;
      EXPECT_NE(err.find("expected UTF-8 text"), std::string::npos) << c.name << ": " << err;
    }
  }
}

TEST(ReliabilityText, Utf8ByteOrderMarkIsDroppedFromAReview) {
  test::FileMap files = test::small_aclimdb();
  files["aclImdb/train/pos/1_7.txt"] = "\xEF\xBB\xBFGreat acting; great story.";
  const std::string dir = test::scratch_dir("text-bom");
  test::write_targz(dir + "/data.tar.gz", files);
  std::string got;
  data::read_aclimdb(dir + "/data.tar.gz", [&](const data::ReviewFile& rf, std::string_view text) {
    if (rf.split == data::SplitName::Train && rf.label == 1 && rf.id == 1) got = text;
  });
  EXPECT_EQ(got, "Great acting; great story.");
}

// Through the binary: `senti train` stops before training, naming the review; no run folder.
TEST(ReliabilityText, TrainRefusesAUtf16Review) {
  test::FileMap files = test::small_aclimdb();
  files["aclImdb/test/neg/1_2.txt"] = "\xFF\xFE"s + utf16("Awful, awful film.", true);
  const std::string dir = test::scratch_dir("text-train");
  test::write_tree(dir + "/data", files);
  std::string log;
  const int rc = test::run_command(test::senti_bin() + " train --device cpu --data " + dir +
                                       "/data --cache-dir " + dir + "/cache --out " + dir + "/run",
                                   &log);
  EXPECT_NE(rc, 0) << log;
  EXPECT_NE(log.find("1_2.txt"), std::string::npos) << log;
  EXPECT_NE(log.find("UTF-16LE"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(dir + "/run")) << log;
}

struct PredictFixture {
  std::string dir = test::scratch_dir("text-predict");
  std::string ckpt = dir + "/model.safetensors";
  PredictFixture() { save_checkpoint(ckpt, test::tiny_checkpoint(3)); }
  int predict(const std::string& args, std::string* out) const {
    return test::run_command(test::senti_bin() + " predict -q --device cpu --checkpoint " + ckpt + " " + args,
                             out);
  }
};

TEST(ReliabilityText, PredictRefusesUtf16Or32FilesAndStandardInput) {
  PredictFixture fx;
  for (const Case& c : foreign_texts("the good movie\nthe bad movie\n")) {
    const std::string file = fx.dir + "/" + c.name + ".txt";
    std::ofstream(file, std::ios::binary) << c.bytes;
    for (const std::string& how : {"--file " + file, "< " + file}) {
      std::string out;
      EXPECT_NE(fx.predict(how, &out), 0) << c.name << " " << how << ": " << out;
      EXPECT_NE(out.find("line 1 is " + c.says), std::string::npos) << c.name << " " << how << ": " << out;
      EXPECT_NE(out.find(how[0] == '<' ? "standard input" : file), std::string::npos) << out;
      EXPECT_EQ(out.find("positive\t"), std::string::npos) << "scored garbage: " << out;
      EXPECT_EQ(out.find("negative\t"), std::string::npos) << "scored garbage: " << out;
    }
  }
  // A UTF-8 byte-order mark is dropped: the first review is the same with or without it.
  const std::string plain = fx.dir + "/plain.txt", bom = fx.dir + "/bom.txt";
  std::ofstream(plain, std::ios::binary) << "the good movie\nthe bad movie\n";
  std::ofstream(bom, std::ios::binary) << "\xEF\xBB\xBFthe good movie\nthe bad movie\n";
  std::string a, b;
  ASSERT_EQ(fx.predict("--json --ids --file " + plain, &a), 0) << a;
  ASSERT_EQ(fx.predict("--json --ids --file " + bom, &b), 0) << b;
  EXPECT_EQ(a, b);
}

TEST(ReliabilityText, ReviewLinesStopAtTheCapWithoutReadingTheWholeLine) {
  const std::string file = test::scratch_dir("text-lines") + "/lines.txt";
  std::ofstream(file, std::ios::binary) << "ok\r\n" << std::string(10, 'x') << "\n\n"
                                        << std::string(11, 'y') << "\nnever read\n";
  const int fd = ::open(file.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  data::ReviewLineReader lines(fd, "--file 'lines.txt'", 10);
  std::string line;
  ASSERT_TRUE(lines.next(&line));
  EXPECT_EQ(line, "ok");
  ASSERT_TRUE(lines.next(&line));
  EXPECT_EQ(line, std::string(10, 'x'));  // exactly the cap
  ASSERT_TRUE(lines.next(&line));
  EXPECT_EQ(line, "");  // an empty line is an (empty) review
  try {
    lines.next(&line);
    ADD_FAILURE() << "a line over the cap was read";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--file 'lines.txt': line 4 has more than 10 bytes"),
              std::string::npos) << e.what();
  }
  ::close(fd);
}

// The audit's 64 MB line: refused after the cap's bytes, naming the file and the line, exit != 0.
TEST(ReliabilityText, PredictRefusesALineOverTheTrainingCap) {
  PredictFixture fx;
  const std::string file = fx.dir + "/long.txt";
  {
    std::ofstream out(file, std::ios::binary);
    out << "the good movie\n";
    const std::string chunk = std::string(1023, 'a') + " ";
    for (uint64_t n = 0; n <= data::kMaxReviewBytes; n += chunk.size()) out << chunk;
    out << "\nthe bad movie\n";
  }
  for (const std::string& how : {"--file " + file, "< " + file}) {
    std::string out;
    EXPECT_NE(fx.predict(how, &out), 0) << how << ": " << out.substr(0, 400);
    EXPECT_NE(out.find("line 2 has more than " + std::to_string(data::kMaxReviewBytes) + " bytes"),
              std::string::npos) << how << ": " << out.substr(0, 400);
    EXPECT_LT(out.size(), 2000u) << "the long line was printed";
  }
}

}  // namespace
}  // namespace senti
