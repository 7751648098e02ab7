#include "engine/atomic_file.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <unistd.h>

#include "kernels/common/error.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

// Makes a rename durable: without this a power loss can forget the new directory entry.
void fsync_parent_dir(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  const int fd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // best effort: some file systems refuse fsync on a directory
  ::close(fd);
}

// The <pid> of "<name>.tmp-<pid>" or "<name>.tmp-<pid>-<n>", or 0 when the name is not a temporary.
long temp_file_pid(const std::string& name) {
  const size_t at = name.rfind(".tmp-");
  if (at == std::string::npos || at == 0) return 0;
  const std::string rest = name.substr(at + 5);
  const size_t dash = rest.find('-');
  const std::string pid = rest.substr(0, dash);
  const std::string n = dash == std::string::npos ? "1" : rest.substr(dash + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!digits(pid) || !digits(n)) return 0;
  return std::stol(pid);
}

bool process_alive(long pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;  // EPERM: alive, not ours
}

}  // namespace

std::string temp_path_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = temp_path_for(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) SENTI_FAIL("cannot write '", path, "': ", std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      SENTI_FAIL("cannot write '", path, "': ", std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    SENTI_FAIL("cannot write '", path, "': ", std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    SENTI_FAIL("cannot write '", path, "': ", std::strerror(err));
  }
  fsync_parent_dir(path);
}

void append_line(const std::string& path, std::string_view line) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) SENTI_FAIL("cannot append to '", path, "': ", std::strerror(errno));
  const bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size() &&
                  std::fputc('\n', f) != EOF && std::fflush(f) == 0;
  const int err = errno;
  std::fclose(f);
  if (!ok) SENTI_FAIL("cannot append to '", path, "': ", std::strerror(err));
}

int remove_stale_temp_files(const std::string& dir) {
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const long pid = temp_file_pid(it->path().filename().string());
    if (pid <= 0 || pid == ::getpid() || process_alive(pid)) continue;
    std::error_code rm;
    if (it->is_regular_file(rm) && fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

void check_can_create_files(const std::string& dir, const std::string& what) {
  fs::path at(dir);
  std::error_code ec;
  // The closest existing ancestor: the folder itself, or where create_directories would start.
  while (!at.empty() && !fs::exists(at, ec)) at = at.parent_path();
  if (at.empty()) at = ".";
  if (fs::exists(at, ec) && !fs::is_directory(at, ec))
    SENTI_FAIL(what, " ", dir, ": ", at.string(), " exists and is not a folder");
  const fs::path probe = at / (".senti-write-test-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    SENTI_FAIL(what, " ", dir, ": cannot create files in ", at.string(), " (", std::strerror(errno),
               "); expected a writable folder");
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace senti
