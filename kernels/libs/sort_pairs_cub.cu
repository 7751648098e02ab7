// sort_pairs through cub::DeviceRadixSort::SortPairs (nvcc only). See sort_pairs.h.
#include "kernels/libs/sort_pairs.h"

#include <cub/device/device_radix_sort.cuh>

#include "kernels/cuda_check.h"

namespace senti::kernels {

size_t sort_pairs_temp_bytes(int64_t n) {
  size_t bytes = 0;
  SENTI_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
      nullptr, bytes, static_cast<const uint32_t*>(nullptr), static_cast<uint32_t*>(nullptr),
      static_cast<const int32_t*>(nullptr), static_cast<int32_t*>(nullptr), n));
  return bytes;
}

void sort_pairs(void* temp, size_t temp_bytes, const uint32_t* keys_in, uint32_t* keys_out,
                const int32_t* values_in, int32_t* values_out, int64_t n, int end_bit,
                cudaStream_t stream) {
  SENTI_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp, temp_bytes, keys_in, keys_out, values_in,
                                                   values_out, n, 0, end_bit, stream));
}

}  // namespace senti::kernels
