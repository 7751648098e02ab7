// Issue 20: one writer per run folder. Two `senti train` runs started at once into the same --out
// (or two --resume runs) used to both exit 0, the last writer winning; now the folder's lock
// (host/run/run_lock.h) lets one run and refuses the other at once, naming the holder's PID, and
// the lock file a dead process left behind does not block. Trains 200 reviews of maxlen 30.
#include <gtest/gtest.h>

#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "data_synthetic_test.h"
#include "host/run/run_lock.h"
#include "kernels/common/error.h"
#include "test_env.h"
#include "train_cli_util.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

std::string train(const std::string& out, const std::string& extra) {
  return test::train_cmd(out, "--limit 200 --maxlen 30 --batch 16 --test-limit 0 " + extra);
}

std::string lock_file(const std::string& dir) { return dir + "/" + kRunLockFile; }

// Holds `dir`'s lock the way a running senti does (flock + PID), for the object's lifetime.
struct HeldLock {
  int fd;
  explicit HeldLock(const std::string& dir) {
    fs::create_directories(dir);
    fd = ::open(lock_file(dir).c_str(), O_RDWR | O_CREAT, 0644);
    EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    const std::string pid = std::to_string(::getpid()) + "\n";
    EXPECT_EQ(::write(fd, pid.data(), pid.size()), static_cast<ssize_t>(pid.size()));
  }
  ~HeldLock() { ::close(fd); }
};

int64_t epochs_logged(const std::string& dir) {
  int64_t n = 0;
  for (const auto& j : test::read_jsonl(dir + "/metrics.jsonl")) n += j.contains("epoch");
  return n;
}

// The processes that wrote TensorBoard event files under `tb` (events.out.tfevents.<t>.<host>.<pid>.<n>).
std::set<std::string> event_writers(const std::string& tb) {
  std::set<std::string> pids;
  for (const auto& e : fs::recursive_directory_iterator(tb)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("events.out.tfevents.", 0) != 0) continue;
    const size_t last = name.rfind('.'), before = name.rfind('.', last - 1);
    pids.insert(name.substr(before + 1, last - before - 1));
  }
  return pids;
}

TEST(ReliabilityRunLock, OneLockPerFolderNamingTheHolder) {
  const std::string dir = test::scratch_dir("lock-unit") + "/a/run";
  {
    RunFolderLock first(dir, "--out");
    EXPECT_TRUE(fs::exists(lock_file(dir)));
    EXPECT_EQ(test::read_bytes(lock_file(dir)), std::to_string(::getpid()) + "\n");
    try {
      RunFolderLock second(dir, "--out");
      ADD_FAILURE() << "a second lock of the same folder was granted";
    } catch (const UsageError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("--out '" + dir + "' is in use"), std::string::npos) << msg;
      EXPECT_NE(msg.find("PID " + std::to_string(::getpid())), std::string::npos) << msg;
    }
  }
  // Released without keep(): the folders it created are gone again.
  EXPECT_FALSE(fs::exists(fs::path(dir).parent_path())) << "left a folder behind";
  {
    RunFolderLock lock(dir, "--out");
    lock.keep();
  }
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_FALSE(fs::exists(lock_file(dir))) << "the lock file outlived its run";
  // A lock file left by a dead process (its flock died with it) is taken over.
  std::ofstream(lock_file(dir)) << "999999999\n";
  EXPECT_NO_THROW(RunFolderLock(dir, "--out"));
}

TEST(ReliabilityRunLock, TwoRunsStartedAtOnceIntoOneFolder) {
  const std::string d = test::scratch_dir("lock-race"), out = d + "/run";
  auto both = [&](const std::string& extra) {
    const std::string cmd = "(" + train(out, extra) + " > " + d + "/a.log 2>&1; echo $? > " + d +
                            "/a.rc) & (" + train(out, extra) + " > " + d + "/b.log 2>&1; echo $? > " +
                            d + "/b.rc) & wait";
    std::string ignored;
    test::run_command(cmd, &ignored);
    const int a = std::stoi(test::read_bytes(d + "/a.rc")), b = std::stoi(test::read_bytes(d + "/b.rc"));
    const std::string a_log = test::read_bytes(d + "/a.log"), b_log = test::read_bytes(d + "/b.log");
    EXPECT_TRUE((a == 0) != (b == 0)) << "exactly one run may succeed\n" << a_log << "\n---\n" << b_log;
    const std::string& refused = a == 0 ? b_log : a_log;
    EXPECT_NE(refused.find("--out '" + out + "' is in use"), std::string::npos) << refused;
    EXPECT_NE(refused.find("(PID "), std::string::npos) << refused;
    EXPECT_EQ(refused.find("Model:"), std::string::npos) << "refused only after loading: " << refused;
  };
  both("--epochs 1");
  EXPECT_EQ(epochs_logged(out), 1) << "metrics.jsonl mixes two runs";
  EXPECT_EQ(event_writers(out + "/tb").size(), 1u) << "tb/ holds two runs' events";
  both("--epochs 2 --resume");
  EXPECT_EQ(epochs_logged(out), 2) << "two resumed runs duplicated an epoch";
  EXPECT_FALSE(fs::exists(lock_file(out)));
}

TEST(ReliabilityRunLock, HeldLockRefusesTrainAndResumeAndDeadHoldersDoNot) {
  const std::string d = test::scratch_dir("lock-held");
  std::string log;
  {  // a fresh folder another process is about to write
    HeldLock held(d + "/fresh");
    EXPECT_NE(test::run_command(train(d + "/fresh", "--epochs 1"), &log), 0) << log;
    EXPECT_NE(log.find("PID " + std::to_string(::getpid())), std::string::npos) << log;
    EXPECT_EQ(test::count_files(d + "/fresh"), 1u) << "wrote beside the holder";
  }
  const std::string run = d + "/run";
  ASSERT_EQ(test::run_command(train(run, "--epochs 1"), &log), 0) << log;
  const std::string latest = test::read_bytes(run + "/latest.safetensors");
  const std::string metrics = test::read_bytes(run + "/metrics.jsonl");
  {
    HeldLock held(run);
    EXPECT_NE(test::run_command(train(run, "--epochs 2 --resume"), &log), 0) << log;
    EXPECT_NE(log.find("--out '" + run + "' is in use"), std::string::npos) << log;
    EXPECT_NE(log.find("PID " + std::to_string(::getpid())), std::string::npos) << log;
  }
  EXPECT_EQ(test::read_bytes(run + "/latest.safetensors"), latest) << "the refused run wrote";
  EXPECT_EQ(test::read_bytes(run + "/metrics.jsonl"), metrics) << "the refused run wrote";
  // The lock file of a killed run (a PID no longer running, no flock held) is taken over.
  std::string pid;
  ASSERT_EQ(test::run_command("sh -c 'echo $$'", &pid), 0);
  std::ofstream(lock_file(run)) << pid;
  ASSERT_EQ(test::run_command(train(run, "--epochs 2 --resume"), &log), 0) << log;
  EXPECT_EQ(epochs_logged(run), 2);
  // A refused --resume into a folder that did not exist leaves none behind.
  EXPECT_NE(test::run_command(train(d + "/none", "--epochs 2 --resume"), &log), 0) << log;
  EXPECT_FALSE(fs::exists(d + "/none")) << log;
}

}  // namespace
}  // namespace senti
