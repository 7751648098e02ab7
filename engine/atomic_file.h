#pragma once
// Writing files so that a crash or a full disk never leaves a half-written file under the final name:
// write to "<path>.tmp-<pid>-<n>", flush + fsync, then rename over <path> (and fsync the folder).
// A writer killed mid-write leaves its temporary behind; remove_stale_temp_files clears those.
#include <string>
#include <string_view>

namespace senti {

// Throws senti::UsageError naming `path` (and the OS error) if it cannot be written.
void write_file_atomically(const std::string& path, std::string_view bytes);

// Appends one line (a '\n' is added) to `path` and flushes; for JSON-lines metrics logs.
void append_line(const std::string& path, std::string_view line);

// The temporary name for writing `path`: "<path>.tmp-<pid>-<n>", n counting within this process.
std::string temp_path_for(const std::string& path);

// Removes the temporaries ("<name>.tmp-<pid>" or "<name>.tmp-<pid>-<n>") in `dir` whose process is
// no longer running (killed mid-write); those of live processes are kept. Returns how many were
// removed; never throws (a folder that cannot be listed is left alone).
int remove_stale_temp_files(const std::string& dir);

// Throws UsageError naming `what` (a flag) unless files can be created in `dir` or, when it does not
// exist yet, in the closest existing folder above it (where it would be created). Probes with a real
// file (permissions say nothing about read-only mounts); leaves nothing behind.
void check_can_create_files(const std::string& dir, const std::string& what);

}  // namespace senti
