#pragma once
// One writer per run folder: `senti train` (and `--resume`) holds an OS lock on <folder>/.senti-lock
// for the whole run, so two runs started into the same folder cannot both find it empty and
// overwrite each other's checkpoints, metrics and TensorBoard events. The lock is flock(2): it
// dies with its process, so the lock file a killed run leaves behind does not block the next run.
#include <string>
#include <vector>

namespace senti {

constexpr const char* kRunLockFile = ".senti-lock";

class RunFolderLock {
 public:
  // Creates `dir` (and the folders above it) if missing and takes its lock at once, writing this
  // process's PID into the lock file. Throws UsageError naming `what` (the flag), the folder and
  // the holder's PID when another process holds it; nothing is written then.
  RunFolderLock(const std::string& dir, const std::string& what);
  // Releases the lock and removes the lock file; also the folders the constructor created, unless
  // keep() was called (a run that failed before it wrote anything leaves no folder behind).
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

  // The run starts writing into the folder: it stays.
  void keep() { keep_ = true; }
  const std::string& lock_path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> created_;  // deepest first
  int fd_ = -1;
  bool keep_ = false;
};

}  // namespace senti
