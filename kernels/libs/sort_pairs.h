#pragma once
// Thin adapter over CUB's device-wide radix sort, the one vendor-library call in kernels/.
// kernels/libs/ holds such adapters: their implementation (sort_pairs_cub.cu) is compiled by nvcc
// only; the emulated CUDA device (tests/emu) links a CPU stand-in instead
// (tests/emu/standins/sort_pairs_cpu.cpp), and its test output says so. Libraries are never emulated.
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace senti::kernels {

// The key bits sort_pairs must sort for keys in [0, limit): the fewest that hold limit - 1 (at
// least 1), so the radix passes cover only the bits the keys use.
inline int sort_key_bits(int64_t limit) {
  int bits = 1;
  while (bits < 32 && (int64_t{1} << bits) < limit) ++bits;
  return bits;
}

// Device scratch bytes sort_pairs needs for n pairs.
size_t sort_pairs_temp_bytes(int64_t n);

// Stable LSD radix sort of n (key, value) pairs by bits [0, end_bit) of the key, asynchronous on
// `stream`: keys_out/values_out receive the pairs in ascending key order, equal keys in input order.
// All pointers are device memory; temp holds at least sort_pairs_temp_bytes(n) bytes.
void sort_pairs(void* temp, size_t temp_bytes, const uint32_t* keys_in, uint32_t* keys_out,
                const int32_t* values_in, int32_t* values_out, int64_t n, int end_bit,
                cudaStream_t stream);

}  // namespace senti::kernels
