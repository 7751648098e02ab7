#pragma once
// The n-gram features of a row (docs/model.md, "N-gram features"): Keras's
// TextVectorization(ngrams=N, output_mode="multi_hot") over the row's word ids, with the n >= 2
// grams hashed into buckets. The rule is shared by the CPU backend, the CUDA kernels and
// scripts/checkpoint_to_pytorch.py (which repeats this hash in Python); changing it changes every
// trained n-gram model.
//
//   unigram   id x_t (x_t != 0)                    -> feature x_t            (0 < x_t < V)
//   n-gram    x_t .. x_{t+n-1}, all != 0, 2 <= n <= N -> feature V + ngram_hash(n, x) % buckets
//
// Padding (id 0) is never part of an n-gram, so pre and post padding give the same features.
// A row's feature set has each feature once (multi-hot): repeating a phrase does not count twice.
#include <cstdint>

#include "kernels/common/math/hd.h"

namespace senti::math {

constexpr int kMaxNgram = 3;  // --ngrams 0 (off), 1 (words), 2 (+ word pairs), 3 (+ triples)

// FNV-1a over the n ids as 32-bit words, seeded with n, then murmur3's finaliser (so the low bits
// that `% buckets` keeps are well mixed).
SENTI_HD uint32_t ngram_hash(int n, const int32_t* ids) {
  uint32_t h = (0x811C9DC5u ^ static_cast<uint32_t>(n)) * 0x01000193u;
  for (int i = 0; i < n; ++i) h = (h ^ static_cast<uint32_t>(ids[i])) * 0x01000193u;
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

// The feature of the n-gram starting at position t of a row of T ids, or -1 when it does not
// exist (it runs past the row or covers padding). vocab = V, buckets = the hashed n >= 2 slots.
SENTI_HD int32_t ngram_feature(const int32_t* row, int T, int t, int n, int vocab, int buckets) {
  if (t + n > T) return -1;
  for (int i = 0; i < n; ++i)
    if (row[t + i] == 0) return -1;
  if (n == 1) return row[t];
  return vocab + static_cast<int32_t>(ngram_hash(n, row + t) % static_cast<uint32_t>(buckets));
}

}  // namespace senti::math
