// libFuzzer: the checkpoint loader (host/run/checkpoint, over engine/safetensors) on arbitrary
// files. A bad checkpoint must be a UsageError naming it; anything else escaping is a bug.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "targets.h"
#include "host/run/checkpoint.h"
#include "kernels/common/error.h"

namespace senti::fuzz {

int checkpoint(const uint8_t* data, size_t size) {
  const senti::fuzz::MemFile file(data, size);
  try {
    (void)senti::load_checkpoint(file.path());
  } catch (const senti::UsageError&) {
  }
  return 0;
}

}  // namespace senti::fuzz
