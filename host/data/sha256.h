#pragma once
// SHA-256 through OpenSSL's EVP interface, used to verify the downloaded official archive against
// its published checksum.
#include <cstddef>
#include <memory>
#include <string>

namespace senti::data {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t n);
  std::string hex_digest();  // finalizes; lowercase hex

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// Lowercase hex SHA-256 of a file's bytes; UsageError naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace senti::data
