#pragma once
// Non-cryptographic hashes used for cache keys and checksums (sha256 for downloads lives in
// download.h). Both are fixed, documented algorithms so cache files are portable across builds.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace senti::data {

// FNV-1a 64-bit: tiny inputs (words, key fields). `h` lets callers chain several pieces.
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
inline uint64_t fnv1a64(const void* data, size_t n, uint64_t h = kFnvOffset) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}
inline uint64_t fnv1a64(std::string_view s, uint64_t h = kFnvOffset) {
  return fnv1a64(s.data(), s.size(), h);
}
template <typename T>
uint64_t fnv1a64_value(T v, uint64_t h) {  // a fixed-width integer, little-endian bytes
  unsigned char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<unsigned char>(static_cast<uint64_t>(v) >> (8 * i));
  return fnv1a64(b, sizeof(T), h);
}

// XXH64 (xxHash from Debian's libxxhash, 64-bit variant, seed 0 by default): the cache payload
// checksum.
// Fast enough (several GB/s) to verify a 30 MB cache on every load.
uint64_t xxh64(const void* data, size_t n, uint64_t seed = 0);

}  // namespace senti::data
