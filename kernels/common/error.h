#pragma once
// One error type for the whole project: senti::Error carries "file:line: message" so a test or the
// CLI can report where a check failed. The CLI prints e.what() and exits non-zero; nothing throws past main.
#include <sstream>
#include <stdexcept>
#include <string>

namespace senti {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// A user-facing error (bad flag, bad file): the message names the file or flag and what was
// expected; the CLI prints it without file:line.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what) {}
};

// A user error about one named setting ("lr", "batch_size", "maxlen"): the library function that
// owns the rule throws it with the setting's name and the problem ("must be > 0, got -1"), and the
// caller says where the value came from: the CLI maps the name to its flag (--lr), a checkpoint
// loader names the file. So each rule is written once.
class InvalidSetting : public UsageError {
 public:
  InvalidSetting(const std::string& setting, const std::string& problem)
      : UsageError(setting + " " + problem), setting_(setting), problem_(problem) {}
  const std::string& setting() const { return setting_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string setting_, problem_;
};

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace senti

// Internal invariant: throws senti::Error("file:line: check `cond` failed: <message>").
// The message (one or more streamable values) is required.
#define SENTI_CHECK(cond, ...)                                                                   \
  do {                                                                                           \
    if (!(cond))                                                                                 \
      throw ::senti::Error(::senti::detail::concat(__FILE__, ":", __LINE__, ": check `", #cond, \
                                                   "` failed: ", __VA_ARGS__));                  \
  } while (0)

// User-facing failure: throws senti::UsageError(message).
#define SENTI_FAIL(...) throw ::senti::UsageError(::senti::detail::concat(__VA_ARGS__))

// User-facing failure about one setting: throws senti::InvalidSetting(setting, problem).
#define SENTI_FAIL_SETTING(setting, ...) \
  throw ::senti::InvalidSetting(setting, ::senti::detail::concat(__VA_ARGS__))
