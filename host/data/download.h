#pragma once
// Getting the official aclImdb archive when the user gives no --data: download it once into the
// cache folder (with curl, or wget when curl is missing), verify its published sha256, keep it.
#include <string>

namespace senti::data {

constexpr const char* kOfficialArchiveUrl = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz";
// Published checksum of aclImdb_v1.tar.gz (84,125,825 bytes), as listed by TensorFlow Datasets
// (url_checksums/imdb_reviews.txt) and other loaders.
constexpr const char* kOfficialArchiveSha256 =
    "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe";
constexpr const char* kOfficialArchiveName = "aclImdb_v1.tar.gz";

// Downloads `url` (any scheme curl/wget accept, file:// included) to `dest` atomically: into a
// temporary file, checked against `sha256_hex`, then renamed. On failure (offline, HTTP error,
// checksum mismatch) nothing is left at `dest` and UsageError explains, telling the user to pass
// --data.
void download_verified(const std::string& url, const std::string& sha256_hex, const std::string& dest);

}  // namespace senti::data
