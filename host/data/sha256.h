#pragma once
// SHA-256 (FIPS 180-4), used to verify the downloaded official archive against its published
// checksum. Self-contained so the data library needs no TLS/crypto dependency.
#include <cstddef>
#include <cstdint>
#include <string>

namespace senti::data {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  std::string hex_digest();  // finalizes; lowercase hex

 private:
  void block(const unsigned char* p);
  uint32_t h_[8];
  unsigned char buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// Lowercase hex SHA-256 of a file's bytes; UsageError naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace senti::data
