#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord framing (TensorBoard event
// files) needs it. Debian 12 packages no C/C++ CRC-32C library (libcrc32c-dev is not in bookworm;
// abseil's absl/crc is newer than its libabsl-dev), so this is the short standard table-driven
// implementation, tested against the RFC 3720 (iSCSI) vectors in tests/cpu/tensorboard_test.cpp.
#include <cstddef>
#include <cstdint>

namespace senti::tb {

// CRC-32C of bytes [data, data + n), continuing from `crc` (0 for a new checksum).
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

// TFRecord's masked form: rotate right by 15 and add a constant, so a CRC stored inside data that
// is itself checksummed does not weaken the outer CRC.
inline uint32_t masked_crc32c(const void* data, size_t n) {
  const uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}

}  // namespace senti::tb
