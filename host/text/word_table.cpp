#include "host/text/word_table.h"

#include <cstring>

#include "kernels/common/error.h"

namespace senti::text {

WordTable::WordTable() : slots_(1024), offsets_{0} {}

uint64_t WordTable::hash_of(std::string_view word) {
  // FNV-1a with a final avalanche so the low bits (used for the slot) are well mixed.
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : word) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  h ^= h >> 32;
  return h;
}

size_t WordTable::probe(std::string_view word, uint64_t h) const {
  const size_t mask = slots_.size() - 1;
  size_t s = h & mask;
  while (true) {
    const Slot& slot = slots_[s];
    if (slot.index < 0) return s;
    if (slot.hash == h) {
      const std::string_view known = this->word(slot.index);
      if (known.size() == word.size() && std::memcmp(known.data(), word.data(), word.size()) == 0)
        return s;
    }
    s = (s + 1) & mask;
  }
}

int32_t WordTable::intern(std::string_view word) {
  const uint64_t h = hash_of(word);
  size_t s = probe(word, h);
  if (slots_[s].index >= 0) return slots_[s].index;
  SENTI_CHECK(size() < static_cast<size_t>(INT32_MAX), "WordTable: more than 2^31 distinct words");
  const auto index = static_cast<int32_t>(size());
  arena_.append(word.data(), word.size());
  offsets_.push_back(arena_.size());
  slots_[s] = Slot{h, index};
  if (2 * size() > slots_.size()) grow();
  return index;
}

int32_t WordTable::find(std::string_view word) const {
  const size_t s = probe(word, hash_of(word));
  return slots_[s].index;
}

void WordTable::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.index < 0) continue;
    size_t s = slot.hash & mask;
    while (slots_[s].index >= 0) s = (s + 1) & mask;
    slots_[s] = slot;
  }
}

}  // namespace senti::text
