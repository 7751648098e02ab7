#pragma once
// WordTable: an open-addressing hash table from word bytes to a dense index 0, 1, 2, ... in order
// of first insertion. Words live in one arena string, so interning a word that is already known
// allocates nothing (the tokenizer's hot loop calls this once per token).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace senti::text {

class WordTable {
 public:
  WordTable();
  // The index of `word`, inserting it (as the next index) when it is new.
  int32_t intern(std::string_view word);
  // The index of `word`, or -1 when absent.
  int32_t find(std::string_view word) const;
  size_t size() const { return offsets_.size() - 1; }
  std::string_view word(int32_t index) const {
    return std::string_view(arena_.data() + offsets_[index], offsets_[index + 1] - offsets_[index]);
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    int32_t index = -1;  // -1: empty
  };
  static uint64_t hash_of(std::string_view word);
  size_t probe(std::string_view word, uint64_t h) const;  // slot holding word, or the empty slot
  void grow();

  std::vector<Slot> slots_;  // power-of-two size, at most half full
  std::string arena_;
  std::vector<uint64_t> offsets_;  // size()+1 entries
};

}  // namespace senti::text
