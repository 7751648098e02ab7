// Temporary files left by killed writers are cleared (only those of processes that are gone), and a
// folder that cannot take files is noticed before any work is done.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/atomic_file.h"
#include "kernels/common/error.h"
#include "test_env.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

// The pid of a process that has exited (and been reaped), so no process has it for now.
long dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

TEST(AtomicFile, StaleTemporariesOfDeadProcessesAreRemovedOthersKept) {
  const std::string dir = test::scratch_dir("stale-tmp");
  const std::string dead = std::to_string(dead_pid()), live = std::to_string(::getppid());
  const char* removed[] = {"latest.safetensors.tmp-", "tokens-00ff.bin.tmp-"};
  for (const char* name : removed) std::ofstream(dir + "/" + name + dead) << "half";
  std::ofstream(dir + "/best.safetensors.tmp-" + dead + "-3") << "half";
  const std::string kept[] = {"latest.safetensors.tmp-" + live, "latest.safetensors",
                              "notes.tmp-abc", "x.tmp-" + dead + "-z", "metrics.jsonl"};
  for (const std::string& name : kept) std::ofstream(dir + "/" + name) << "keep";
  EXPECT_EQ(remove_stale_temp_files(dir), 3);
  for (const std::string& name : kept) EXPECT_TRUE(fs::exists(dir + "/" + name)) << name;
  size_t left = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++left;
  EXPECT_EQ(left, std::size(kept));
  EXPECT_EQ(remove_stale_temp_files(dir + "/no-such-folder"), 0);
}

TEST(AtomicFile, WritesLeaveNoTemporaryAndNameTheirOwnProcess) {
  const std::string dir = test::scratch_dir("atomic");
  write_file_atomically(dir + "/a.bin", "payload");
  EXPECT_EQ(remove_stale_temp_files(dir), 0);
  const std::string tmp = temp_path_for(dir + "/a.bin");
  EXPECT_EQ(tmp.rfind(dir + "/a.bin.tmp-" + std::to_string(::getpid()) + "-", 0), 0u) << tmp;
  EXPECT_NE(temp_path_for(dir + "/a.bin"), tmp);  // never two writers on one temporary
}

TEST(AtomicFile, FolderThatCannotTakeFilesIsAClearError) {
  const std::string dir = test::scratch_dir("probe");
  EXPECT_NO_THROW(check_can_create_files(dir, "--out"));
  EXPECT_NO_THROW(check_can_create_files(dir + "/not/yet/there", "--out"));  // would be created
  std::ofstream(dir + "/file") << "x";
  try {
    check_can_create_files(dir + "/file/run", "--out");
    FAIL() << "a path below a regular file was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--out"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_can_create_files("/proc/senti-no-such-run", "--out"), UsageError);
  size_t left = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++left;
  EXPECT_EQ(left, 1u);  // the probe files are gone
}

}  // namespace
}  // namespace senti
