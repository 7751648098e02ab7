#include "host/data/download.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "kernels/common/error.h"
#include "host/data/sha256.h"

extern char** environ;

namespace senti::data {
namespace {

// Runs argv (no shell, so no quoting issues) and returns its exit status; -1 when it cannot start.
int run_program(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

void download_verified(const std::string& url, const std::string& sha256_hex, const std::string& dest) {
  const std::string tmp = dest + ".download-" + std::to_string(::getpid());
  std::fprintf(stderr, "senti: downloading %s to %s\n", url.c_str(), dest.c_str());
  int rc = run_program({"curl", "--fail", "--location", "--silent", "--show-error", "--retry", "2",
                        "--connect-timeout", "20", "--output", tmp, url});
  if (rc == -1)  // no curl: try wget
    rc = run_program({"wget", "--quiet", "--tries=2", "--timeout=20", "--output-document=" + tmp, url});
  if (rc != 0) {
    std::remove(tmp.c_str());
    SENTI_FAIL("could not download ", url,
               rc == -1 ? std::string(" (neither curl nor wget is installed)")
                        : " (offline? download tool exit status " + std::to_string(rc) + ")",
               "; pass --data with the aclImdb folder or its .tar.gz instead (or set SENTI_DATA)");
  }
  const std::string got = sha256_file(tmp);
  if (got != sha256_hex) {
    std::remove(tmp.c_str());
    SENTI_FAIL("downloaded ", url, " has sha256 ", got, ", expected ", sha256_hex,
               " (corrupt or tampered download; nothing kept); pass --data with a verified copy instead");
  }
  if (std::rename(tmp.c_str(), dest.c_str()) != 0) {
    std::remove(tmp.c_str());
    SENTI_FAIL("cannot move the download into ", dest, "; expected a writable cache folder");
  }
}

}  // namespace senti::data
