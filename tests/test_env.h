#pragma once
// Where tests find the real dataset, the senti binary and scratch space.
#include <string>

namespace senti::test {

// The folder with aclImdb_v1_labeled.tar.gz and imdb_word_index.json: $SENTI_DATA_DIR if set, else
// ../shared/data/imdb beside the source tree.
std::string data_dir();
std::string imdb_archive();     // data_dir() + "/aclImdb_v1_labeled.tar.gz"
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

}  // namespace senti::test
