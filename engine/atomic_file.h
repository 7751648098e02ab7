#pragma once
// Writing files so that a crash or a full disk never leaves a half-written file under the final name:
// write to "<path>.tmp-<pid>", flush + fsync, then rename over <path>.
#include <string>
#include <string_view>

namespace senti {

// Throws senti::UsageError naming `path` (and the OS error) if it cannot be written.
void write_file_atomically(const std::string& path, std::string_view bytes);

// Appends one line (a '\n' is added) to `path` and flushes; for JSON-lines metrics logs.
void append_line(const std::string& path, std::string_view line);

}  // namespace senti
