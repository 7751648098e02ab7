#pragma once
// Dropout masks as a pure function of (seed, step, stream, row, element): the CPU backend and the
// CUDA kernels draw the same masks, a run is reproducible for any thread count, and a resumed run
// draws the masks the uninterrupted run would have. The scheme is specified in docs/model.md
// ("Dropout"); changing it changes every dropout run.
#include <cstdint>

#include "kernels/common/math/hd.h"

namespace senti::math {

// What a mask is drawn for (part of the key, so the masks of different layers are independent).
enum DropoutStream : uint32_t {
  kDropoutEmbedding = 0,  // row = b << 32 | k (real token k of batch row b), element e < E
  kDropoutSpatial = 1,    // row = b, element e < E (one mask per row and feature)
  kDropoutDense = 2,      // row = b, element f < F (the classifier input)
};

// splitmix64's output function: a bijective, well-mixing 64-bit hash.
SENTI_HD uint64_t dropout_mix(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The per-row key; elements are drawn from it with dropout_u16.
SENTI_HD uint64_t dropout_row_key(uint64_t seed, uint64_t step, uint32_t stream, uint64_t row) {
  return dropout_mix(dropout_mix(dropout_mix(seed) ^ step) ^ ((static_cast<uint64_t>(stream) << 56) | row));
}

// A 16-bit uniform for element e of the row (four elements share one 64-bit hash).
SENTI_HD uint32_t dropout_u16(uint64_t row_key, uint32_t e) {
  const uint64_t word = dropout_mix(row_key ^ static_cast<uint64_t>(e >> 2));
  return static_cast<uint32_t>((word >> (16u * (e & 3u))) & 0xFFFFu);
}

// Elements with dropout_u16 below this are dropped: round(rate * 65536).
SENTI_HD uint32_t dropout_threshold(float rate) {
  return static_cast<uint32_t>(static_cast<double>(rate) * 65536.0 + 0.5);
}

// The factor element e is multiplied by: 0 (dropped) or 1 / (1 - rate) (kept, inverted scaling).
SENTI_HD float dropout_factor(uint64_t row_key, uint32_t e, uint32_t threshold, float keep_scale) {
  return dropout_u16(row_key, e) >= threshold ? keep_scale : 0.f;
}

// 1 / (1 - rate), in float as Keras computes it.
SENTI_HD float dropout_keep_scale(float rate) { return 1.f / (1.f - rate); }

}  // namespace senti::math
