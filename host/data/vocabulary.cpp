// Vocabulary::hash (declared in dataset.h).
#include "host/data/dataset.h"
#include "host/data/hash.h"

namespace senti::data {

uint64_t Vocabulary::hash() const {
  uint64_t h = fnv1a64_value<uint32_t>(static_cast<uint32_t>(num_words), kFnvOffset);
  const size_t colon = source.find(':');
  h = fnv1a64(std::string_view(source).substr(0, colon), h);  // the kind, not the file's path
  for (const std::string& w : words) {
    h = fnv1a64_value<uint32_t>(static_cast<uint32_t>(w.size()), h);
    h = fnv1a64(w, h);
  }
  return h;
}

}  // namespace senti::data
