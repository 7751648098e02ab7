#pragma once
// Where tests find the real dataset, the senti binary and scratch space.
#include <string>

namespace senti::test {

// The folder with aclImdb_v1_labeled.tar.gz and imdb_word_index.json: $SENTI_DATA_DIR if set, else
// ../shared/data/imdb beside the source tree.
std::string data_dir();
std::string imdb_archive();     // data_dir() + "/aclImdb_v1_labeled.tar.gz"
std::string imdb_unsup_archive();  // data_dir() + "/aclImdb_v1_unsup.tar.gz" (train/unsup + urls files)
std::string keras_word_index(); // data_dir() + "/imdb_word_index.json"
std::string senti_bin();        // the built senti executable ($SENTI_TEST_BIN overrides it)
std::string source_dir();

// A fresh empty directory under the system temp dir, removed when the process exits.
std::string scratch_dir(const std::string& tag);

// Runs a shell command; returns its exit status and captures stdout+stderr into *output.
int run_command(const std::string& cmd, std::string* output);

// `cmd` run so that file permissions apply: as is for a normal user; as root (whom permissions do
// not stop), prefixed to run as user 65534 (nobody) with setpriv. "" with *why_not set when that
// is not possible (no setpriv, or the binary not reachable by that user): the caller skips.
std::string unprivileged(const std::string& cmd, std::string* why_not);

// Sets the environment variable `name` to `value` for the object's lifetime; the old value (or its
// absence) comes back when it goes out of scope, so a failing assertion cannot leak the setting
// into later tests.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_, old_;
  bool had_old_;
};

}  // namespace senti::test
