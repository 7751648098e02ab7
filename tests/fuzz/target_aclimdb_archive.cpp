// libFuzzer: the aclImdb archive reader (host/data/aclimdb_reader) on arbitrary bytes as a
// .tar / .tar.gz file. A bad archive must be a UsageError; anything else escaping is a bug.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "targets.h"
#include "host/data/aclimdb_reader.h"
#include "kernels/common/error.h"

namespace senti::fuzz {

int aclimdb_archive(const uint8_t* data, size_t size) {
  const senti::fuzz::MemFile file(data, size);
  try {
    senti::data::read_aclimdb(file.path(), [](const senti::data::ReviewFile& r, std::string_view) {
      senti::fuzz::require(r.label <= 1 && r.rating >= 1 && r.rating <= 10 && r.id >= 0);
    });
  } catch (const senti::UsageError&) {
  }
  return 0;
}

}  // namespace senti::fuzz
