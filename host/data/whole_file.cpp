#include "host/data/whole_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kernels/common/error.h"

namespace senti::data {

void read_whole_file(const std::string& file, const char* what, std::string* buf,
                     const std::function<void(uint64_t bytes)>& check_size) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) SENTI_FAIL(file, ": cannot open ", what, ": ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    SENTI_FAIL(file, ": not a regular file (a FIFO, device or socket, or a symlink to one); expected a ", what,
               " text file");
  }
  try {
    check_size(static_cast<uint64_t>(st.st_size));
  } catch (...) {
    ::close(fd);
    throw;
  }
  buf->resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < buf->size()) {
    const ssize_t r = ::read(fd, buf->data() + got, buf->size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const int err = errno;
      ::close(fd);
      SENTI_FAIL(file, ": cannot read ", what, ": ", r == 0 ? "file shrank" : std::strerror(err));
    }
    got += static_cast<size_t>(r);
  }
  ::close(fd);
}

}  // namespace senti::data
