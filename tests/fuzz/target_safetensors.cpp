// libFuzzer: the safetensors reader (engine/safetensors) on arbitrary files. A bad file must be a
// UsageError; a file it accepts has every tensor's data matching its shape (whose element count
// must not wrap around 2^64).
#include <cstddef>
#include <cstdint>

#include "engine/safetensors.h"
#include "fuzz_util.h"
#include "targets.h"
#include "kernels/common/error.h"

namespace senti::fuzz {

int safetensors(const uint8_t* data, size_t size) {
  const senti::fuzz::MemFile file(data, size);
  try {
    const auto f = senti::safetensors::read_file(file.path());
    for (const auto& [name, t] : f.tensors) {
      uint64_t count = 1;
      bool wrapped = false;
      for (const int64_t d : t.shape) {
        senti::fuzz::require(d >= 0);
        wrapped |= __builtin_mul_overflow(count, static_cast<uint64_t>(d), &count);
      }
      senti::fuzz::require(!wrapped && count == t.data.size());
    }
  } catch (const senti::UsageError&) {
  }
  return 0;
}

}  // namespace senti::fuzz
