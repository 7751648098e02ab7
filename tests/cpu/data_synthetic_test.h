#pragma once
// Small synthetic aclImdb datasets for the data-pipeline tests, written at test time into scratch
// folders, as a directory tree or as a .tar.gz (written with libarchive, like the real one).
#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace senti::test {

// relative path -> file bytes
using FileMap = std::map<std::string, std::string>;

// Three reviews per split/class, ids 0..2 (plus distractors the reader must ignore).
inline FileMap small_aclimdb(const std::string& prefix = "aclImdb/") {
  FileMap f;
  f[prefix + "README"] = "not a review";
  f[prefix + "imdb.vocab"] = "the\nand\n";
  f[prefix + "train/unsup/0_0.txt"] = "unlabeled, ignored";
  f[prefix + "train/labeledBow.feat"] = "1 0:9";
  f[prefix + "train/pos/0_9.txt"] = "A great, great film.<br /><br />Loved it!";
  f[prefix + "train/pos/1_7.txt"] = "Great acting; great story.";
  f[prefix + "train/pos/2_10.txt"] = "The best film I've seen.";
  f[prefix + "train/neg/0_1.txt"] = "A bad film. Bad, bad, BAD.";
  f[prefix + "train/neg/1_3.txt"] = "Boring film, awful story.";
  f[prefix + "train/neg/2_2.txt"] = "I didn't like the acting.";
  f[prefix + "test/pos/0_8.txt"] = "Great film with great acting.";
  f[prefix + "test/pos/1_9.txt"] = "Wonderful!";
  f[prefix + "test/pos/2_10.txt"] = "Unseenword great.";
  f[prefix + "test/neg/0_4.txt"] = "Bad story.";
  f[prefix + "test/neg/1_2.txt"] = "Awful, awful film.";
  f[prefix + "test/neg/2_1.txt"] = "Boring.";
  return f;
}

inline void write_tree(const std::string& root, const FileMap& files) {
  for (const auto& [rel, bytes] : files) {
    const std::filesystem::path p = std::filesystem::path(root) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
  }
}

inline void write_targz(const std::string& path, const FileMap& files) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK)
    throw std::runtime_error("cannot write " + path);
  for (const auto& [rel, bytes] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, rel.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, bytes.data(), bytes.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline size_t count_files(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator(); ++it) ++n;
  return n;
}

}  // namespace senti::test
