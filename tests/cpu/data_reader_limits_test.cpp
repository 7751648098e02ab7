// The aclImdb reader against hostile or broken input: files that are not files (a FIFO must not
// hang the reader, a symlink to /dev/zero must not read as an empty review), reviews and archive
// headers larger than the limits (refused before allocating), and folders that exist but cannot
// be searched (not "missing").
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "data_synthetic_test.h"
#include "kernels/common/error.h"
#include "host/data/aclimdb_reader.h"
#include "test_env.h"

namespace senti::data {
namespace {

namespace fs = std::filesystem;

// The UsageError message of reading `path` ("" when the read succeeds). Runs on a thread with a
// deadline so that a reader that blocks fails the test instead of hanging it.
std::string read_error(const std::string& path, const ReadLimits& limits = {}) {
  auto done = std::async(std::launch::async, [=] {
    try {
      read_aclimdb(path, [](const ReviewFile&, std::string_view) {}, limits);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  });
  if (done.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    ADD_FAILURE() << "reading " << path << " blocked";
    std::quick_exit(1);  // the blocked thread cannot be joined
  }
  return done.get();
}

std::string small_tree(const std::string& tag) {
  const std::string d = test::scratch_dir(tag);
  test::write_tree(d, test::small_aclimdb(""));
  return d;
}

TEST(ReaderLimits, FifoNamedLikeAReviewIsRefusedWithoutBlocking) {
  const std::string d = small_tree("fifo");
  const std::string fifo = d + "/train/pos/7_8.txt";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const std::string err = read_error(d);
  EXPECT_NE(err.find("7_8.txt"), std::string::npos) << err;
  EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
}

TEST(ReaderLimits, ReviewSymlinkedToADeviceIsRefused) {
  const std::string d = small_tree("devzero");
  fs::create_symlink("/dev/zero", d + "/test/neg/7_2.txt");
  const std::string err = read_error(d);
  EXPECT_NE(err.find("7_2.txt"), std::string::npos) << err;
  EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
  // A symlink to a regular file is still a review.
  fs::remove(d + "/test/neg/7_2.txt");
  fs::create_symlink(d + "/test/neg/0_4.txt", d + "/test/neg/7_2.txt");
  EXPECT_EQ(read_error(d), "");
}

TEST(ReaderLimits, AReviewAboveTheLimitIsRefusedNamingIt) {
  ReadLimits small;
  small.review_bytes = 100;
  test::FileMap files = test::small_aclimdb("aclImdb/");
  files["aclImdb/train/neg/9_1.txt"] = std::string(101, 'a');
  const std::string d = test::scratch_dir("bigreview");
  test::write_tree(d, files);
  const std::string tgz = test::scratch_dir("bigreviewtgz") + "/d.tar.gz";
  test::write_targz(tgz, files);
  for (const std::string& path : {d, tgz}) {
    const std::string err = read_error(path, small);
    EXPECT_NE(err.find("9_1.txt"), std::string::npos) << path << ": " << err;
    EXPECT_NE(err.find("101 bytes"), std::string::npos) << path << ": " << err;
  }
  files["aclImdb/train/neg/9_1.txt"] = std::string(100, 'a');  // at the limit: fine
  test::write_tree(d, files);
  EXPECT_EQ(read_error(d, small), "");
  // The default limit, on a sparse 1 GB review: refused from its size, never read into memory.
  fs::resize_file(d + "/aclImdb/train/pos/0_9.txt", uint64_t{1} << 30);
  const std::string err = read_error(d);
  EXPECT_NE(err.find("0_9.txt"), std::string::npos) << err;
  EXPECT_NE(err.find("1073741824 bytes"), std::string::npos) << err;
}

TEST(ReaderLimits, TheTotalAboveTheLimitIsRefusedNamingTheReview) {
  ReadLimits small;
  small.total_bytes = 200;  // the small dataset has ~250 bytes of reviews
  for (const bool archive : {false, true}) {
    std::string path = test::scratch_dir("total");
    if (archive) {
      path += "/d.tar.gz";
      test::write_targz(path, test::small_aclimdb());
    } else {
      test::write_tree(path, test::small_aclimdb());
    }
    const std::string err = read_error(path, small);
    EXPECT_NE(err.find("add up to more than 200 bytes"), std::string::npos) << err;
    EXPECT_NE(err.find(".txt"), std::string::npos) << err;
  }
}

// One ustar header; sizes past the octal field's 8 GiB use the base-256 form libarchive reads.
std::string ustar_header(const std::string& name, uint64_t size) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  h.replace(100, 7, "0000644");
  h.replace(108, 7, "0000000");
  h.replace(116, 7, "0000000");
  h[124] = static_cast<char>(0x80);  // base-256 size: big-endian in bytes 125..135
  for (int i = 0; i < 8; ++i) h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
  h.replace(136, 11, "00000000000");
  h[156] = '0';  // a regular file
  h.replace(257, 6, std::string("ustar\0", 6));
  h.replace(263, 2, "00");
  h.replace(148, 8, "        ");
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", sum);
  h.replace(148, 7, std::string(chk, 6) + '\0');
  return h;
}

// A tar header may claim any size; the reader must not reserve it (std::bad_alloc before).
TEST(ReaderLimits, ArchiveHeaderClaiming100GBIsAClearError) {
  std::string tar;
  for (const auto& [rel, bytes] : test::small_aclimdb()) {
    tar += ustar_header(rel, bytes.size()) + bytes;
    tar.append((512 - bytes.size() % 512) % 512, '\0');
  }
  tar += ustar_header("aclImdb/train/pos/9_9.txt", uint64_t{100} * 1000 * 1000 * 1000);
  tar += std::string(4096, 'x');  // then the archive ends: a lying header
  const std::string path = test::scratch_dir("hugeheader") + "/d.tar";
  std::ofstream(path, std::ios::binary) << tar;
  const std::string err = read_error(path);
  EXPECT_NE(err.find("9_9.txt"), std::string::npos) << err;
  EXPECT_NE(err.find("100000000000 bytes"), std::string::npos) << err;
}

TEST(ReaderLimits, MissingAndUnsearchableFoldersAreTellApart) {
  const std::string missing = small_tree("nopos");
  fs::remove_all(missing + "/train/pos");
  std::string err = read_error(missing);
  EXPECT_NE(err.find("missing folder"), std::string::npos) << err;

  // Permissions do not stop root: the unsearchable case runs through the binary as another user.
  const std::string d = small_tree("noexec");
  fs::permissions(d + "/train", fs::perms::owner_all, fs::perm_options::replace);  // 0700
  std::string why;
  const std::string cmd = test::unprivileged(test::senti_bin() + " prepare --data " + d + " --out " +
                                                 test::scratch_dir("noexec-cache") + "/c", &why);
  if (cmd.empty()) GTEST_SKIP() << why;
  std::string log;
  EXPECT_NE(test::run_command(cmd, &log), 0) << log;
  EXPECT_EQ(log.find("missing folder"), std::string::npos) << log;
  EXPECT_NE(log.find("Permission denied"), std::string::npos) << log;
  EXPECT_NE(log.find(d + "/train"), std::string::npos) << log;
}

}  // namespace
}  // namespace senti::data
