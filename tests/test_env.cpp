#include "test_env.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace senti::test {

std::string data_dir() {
  if (const char* d = std::getenv("SENTI_DATA_DIR"); d && *d) return d;
  return SENTI_DEFAULT_DATA_DIR;
}
std::string imdb_archive() { return data_dir() + "/aclImdb_v1_labeled.tar.gz"; }
std::string imdb_unsup_archive() { return data_dir() + "/aclImdb_v1_unsup.tar.gz"; }
std::string keras_word_index() { return data_dir() + "/imdb_word_index.json"; }
std::string senti_bin() {
  // $SENTI_TEST_BIN runs the CLI tests against another build (e.g. one from before a fix, to see
  // that a regression test fails there).
  if (const char* b = std::getenv("SENTI_TEST_BIN"); b && *b) return b;
  return SENTI_BIN;
}
std::string source_dir() { return SENTI_SOURCE_DIR; }

namespace {
std::mutex g_mu;
std::vector<fs::path>& scratch_list() {
  static std::vector<fs::path> dirs;
  static const bool registered = [] {
    std::atexit([] {
      std::error_code ec;
      for (auto& d : scratch_list()) fs::remove_all(d, ec);
    });
    return true;
  }();
  (void)registered;
  return dirs;
}
}  // namespace

std::string scratch_dir(const std::string& tag) {
  std::lock_guard<std::mutex> lock(g_mu);
  std::random_device rd;
  fs::path p = fs::temp_directory_path() /
               ("senti-test-" + tag + "-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(p);
  scratch_list().push_back(p);
  return p.string();
}

std::string unprivileged(const std::string& cmd, std::string* why_not) {
  if (::geteuid() != 0) return cmd;  // permissions already apply
  static const std::string prefix = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  std::string out;
  if (run_command(prefix + senti_bin() + " --version", &out) != 0) {
    if (why_not) *why_not = "running as root and cannot run senti as user 65534 with setpriv: " + out;
    return "";
  }
  return prefix + cmd;
}

int run_command(const std::string& cmd, std::string* output) {
  std::string full = cmd + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buf;
  std::string out;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

ScopedEnv::ScopedEnv(const char* name, const char* value) : name_(name) {
  const char* old = std::getenv(name);
  had_old_ = old != nullptr;
  if (had_old_) old_ = old;
  setenv(name, value, 1);
}

ScopedEnv::~ScopedEnv() {
  if (had_old_)
    setenv(name_.c_str(), old_.c_str(), 1);
  else
    unsetenv(name_.c_str());
}

}  // namespace senti::test
