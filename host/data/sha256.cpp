#include "host/data/sha256.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <openssl/evp.h>
#include <vector>

#include "kernels/common/error.h"

namespace senti::data {

struct Sha256::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  SENTI_CHECK(ctx_->md && EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) == 1,
              "OpenSSL SHA-256 initialisation failed");
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t n) {
  SENTI_CHECK(EVP_DigestUpdate(ctx_->md, data, n) == 1, "OpenSSL SHA-256 update failed");
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  SENTI_CHECK(EVP_DigestFinal_ex(ctx_->md, digest, &len) == 1, "OpenSSL SHA-256 final failed");
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

std::string sha256_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) SENTI_FAIL(path, ": cannot open to verify its sha256 (", std::strerror(errno), ")");
  Sha256 sha;
  std::vector<unsigned char> buf(1 << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) sha.update(buf.data(), n);
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) SENTI_FAIL(path, ": read error while verifying its sha256");
  return sha.hex_digest();
}

}  // namespace senti::data
