// libFuzzer: the aclImdb directory reader (host/data/aclimdb_reader). The input describes a small
// folder tree, one entry a line: "path<TAB>content" makes a file, "path/" a folder (so seeds stay
// readable and mutations move files around the aclImdb layout). The tree is created under a fresh
// temporary folder, fingerprinted, read and removed. A bad tree must be a UsageError.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "targets.h"
#include "host/data/aclimdb_reader.h"
#include "kernels/common/error.h"

namespace fs = std::filesystem;

namespace {

constexpr int kMaxEntries = 40, kMaxDepth = 6;

fs::path scratch_root() {
  static const fs::path root = [] {
    const char* tmp = std::getenv("TMPDIR");
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::path(tmp ? tmp : "/tmp");
    return base / ("senti-fuzz-dir-" + std::to_string(::getpid()));
  }();
  return root;
}

// root/<path> with empty, "." and ".." components dropped (the tree stays under root); empty
// when nothing is left.
fs::path under(const fs::path& root, std::string_view path) {
  fs::path p;
  int depth = 0;
  for (size_t start = 0; start <= path.size() && depth < kMaxDepth;) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string part(path.substr(start, slash - start));
    for (char& c : part)
      if (c == '\0') c = '_';
    if (!part.empty() && part != "." && part != "..") {
      p /= part;
      ++depth;
    }
    start = slash + 1;
  }
  return p.empty() ? p : root / p;
}

void make_tree(const fs::path& root, std::string_view spec) {
  int entries = 0;
  for (size_t start = 0; start < spec.size() && entries < kMaxEntries; ++entries) {
    size_t end = spec.find('\n', start);
    if (end == std::string_view::npos) end = spec.size();
    const std::string_view line = spec.substr(start, end - start);
    start = end + 1;
    const size_t tab = line.find('\t');
    const std::string_view path = line.substr(0, tab);
    const fs::path p = under(root, path);
    if (p.empty()) continue;
    std::error_code ec;
    if (tab == std::string_view::npos && !path.empty() && path.back() == '/') {
      fs::create_directories(p, ec);
      continue;
    }
    fs::create_directories(p.parent_path(), ec);
    if (fs::is_directory(p, ec)) continue;
    std::ofstream out(p, std::ios::binary);
    if (tab != std::string_view::npos) out << line.substr(tab + 1);
  }
}

}  // namespace

namespace senti::fuzz {

int aclimdb_directory(const uint8_t* data, size_t size) {
  const fs::path root = scratch_root();
  fs::remove_all(root);
  fs::create_directories(root);
  make_tree(root, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    (void)senti::data::data_fingerprint(root.string());
    senti::data::read_aclimdb(root.string(), [](const senti::data::ReviewFile& r, std::string_view) {
      senti::fuzz::require(r.label <= 1 && r.rating >= 1 && r.rating <= 10 && r.id >= 0);
    });
  } catch (const senti::UsageError&) {
  }
  fs::remove_all(root);
  return 0;
}

}  // namespace senti::fuzz
