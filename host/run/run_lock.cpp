#include "host/run/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "kernels/common/error.h"

namespace fs = std::filesystem;

namespace senti {
namespace {

// The PID the holder wrote, or "unknown" (a holder between its flock and its write: retried briefly).
std::string holder_pid(int fd) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string pid(buf, n > 0 ? static_cast<size_t>(n) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    if (!pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "unknown";
}

bool same_file(int fd, const std::string& path) {
  struct stat a {}, b {};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

}  // namespace

RunFolderLock::RunFolderLock(const std::string& dir, const std::string& what) {
  std::error_code ec;
  for (fs::path at(dir); !at.empty() && !fs::exists(at, ec); at = at.parent_path())
    created_.push_back(at.string());
  path_ = (fs::path(dir) / kRunLockFile).string();
  // A lock file its last holder removed between our open and our flock is locked by nobody else's
  // view of the folder: start over (a few times; each round is a race lost to another run).
  for (int attempt = 0;; ++attempt) {
    fs::create_directories(dir, ec);
    if (ec) SENTI_FAIL(what, ": cannot create directory '", dir, "': ", ec.message());
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == ENOENT && attempt < 10) continue;  // the folder was removed meanwhile
      SENTI_FAIL(what, " '", dir, "': cannot create its lock file ", path_, " (", std::strerror(errno),
                 "); expected a writable folder");
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string pid = err == EWOULDBLOCK ? holder_pid(fd) : "";
      ::close(fd);
      if (err == EWOULDBLOCK)
        SENTI_FAIL(what, " '", dir, "' is in use: another senti process (PID ", pid,
                   ") is writing this run folder (it holds ", path_, "); wait for it to finish "
                   "or choose another ", what, " (nothing was written)");
      SENTI_FAIL(what, " '", dir, "': cannot lock ", path_, " (", std::strerror(err), ")");
    }
    if (same_file(fd, path_)) {
      fd_ = fd;
      break;
    }
    ::close(fd);
    if (attempt >= 10) SENTI_FAIL(what, " '", dir, "': could not take its lock ", path_, " (it keeps changing)");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::unlink(path_.c_str());
    ::close(fd_);
    SENTI_FAIL(what, " '", dir, "': cannot write its lock file ", path_, " (", std::strerror(err), ")");
  }
}

RunFolderLock::~RunFolderLock() {
  // Removed while still held: a process that opened it meanwhile either fails to lock it (and
  // names us) or finds it is no longer the folder's lock file and starts over.
  ::unlink(path_.c_str());
  ::close(fd_);
  if (keep_) return;
  for (const std::string& d : created_)
    if (::rmdir(d.c_str()) != 0) break;  // not empty (another run's, or written): kept
}

}  // namespace senti
