// libFuzzer: the safetensors reader (engine/safetensors) on arbitrary files. A bad file must be a
// UsageError; a file it accepts has every tensor's data matching its shape.
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
      for (const int64_t d : t.shape) {
        senti::fuzz::require(d >= 0);
        count *= static_cast<uint64_t>(d);
      }
      senti::fuzz::require(count == t.data.size());
    }
  } catch (const senti::UsageError&) {
  }
  return 0;
}

}  // namespace senti::fuzz
