#include "host/data/hash.h"

#include <xxhash.h>  // Debian libxxhash-dev

namespace senti::data {

uint64_t xxh64(const void* data, size_t n, uint64_t seed) {
  return static_cast<uint64_t>(XXH64(data, n, static_cast<XXH64_hash_t>(seed)));
}

}  // namespace senti::data
