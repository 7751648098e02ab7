// CPU stand-in for kernels/libs/sort_pairs.h (CUB's DeviceRadixSort::SortPairs) on the emulated
// device: a std::stable_sort by the low end_bit bits of the key, queued in stream order. The
// emulated test output counts its calls ("CPU stand-in (not our kernel)").
#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include <senti_emu/control.h>

#include "kernels/cuda_check.h"
#include "kernels/libs/sort_pairs.h"

namespace senti::kernels {

size_t sort_pairs_temp_bytes(int64_t) { return 0; }

void sort_pairs(void*, size_t, const uint32_t* keys_in, uint32_t* keys_out,
                const int32_t* values_in, int32_t* values_out, int64_t n, int end_bit,
                cudaStream_t stream) {
  SENTI_CHECK(n >= 0 && end_bit >= 1 && end_bit <= 32, "sort_pairs: bad arguments");
  const uint32_t mask = end_bit == 32 ? ~0u : (1u << end_bit) - 1;
  SENTI_CUDA_CHECK(emu::enqueue_standin(
      stream, "sort_pairs -> std::stable_sort (for cub::DeviceRadixSort::SortPairs)", [=] {
        std::vector<int64_t> idx(static_cast<size_t>(n));
        std::iota(idx.begin(), idx.end(), int64_t{0});
        std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
          return (keys_in[a] & mask) < (keys_in[b] & mask);
        });
        for (int64_t i = 0; i < n; ++i) {
          keys_out[i] = keys_in[idx[i]];
          values_out[i] = values_in[idx[i]];
        }
      }));
}

}  // namespace senti::kernels
