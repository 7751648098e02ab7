#pragma once
// Shared by the libFuzzer targets: the readers under test take a path, so an input is handed to
// them as an in-memory file (memfd) reached through /proc/self/fd/N. Nothing touches the disk.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace senti::fuzz {

class MemFile {
 public:
  MemFile(const void* data, size_t size) : fd_(memfd_create("senti-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t n = ::write(fd_, p, size);
      if (n <= 0) std::abort();
      p += n;
      size -= static_cast<size_t>(n);
    }
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

// A property the target checks failed: abort, so libFuzzer records the input as a crash.
inline void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace senti::fuzz
