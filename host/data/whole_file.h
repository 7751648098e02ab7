#pragma once
// Reads one small file whole (a review, a document of a class folder) without ever blocking on
// it: O_NONBLOCK so a FIFO is refused rather than waited on, and anything but a regular file (a
// FIFO, device or socket, or a symlink to one) is an error naming it. `check_size` sees the
// file's size before anything is allocated for it and may throw (the readers' byte limits).
#include <cstdint>
#include <functional>
#include <string>

namespace senti::data {

// `what` names the file's role in messages ("review", "document").
void read_whole_file(const std::string& file, const char* what, std::string* buf,
                     const std::function<void(uint64_t bytes)>& check_size);

}  // namespace senti::data
