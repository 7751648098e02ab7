// The fused LSTM's small host-side pieces: which implementation runs, and the R^T transpose that
// the generic backward reads. The recurrences are in lstm_fused_forward.cu / lstm_fused_backward.cu.
#include "kernels/lstm_fused.cuh"

#include "kernels/common/error.h"
#include "kernels/cuda_check.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

constexpr int kTile = 32;

// 32x32 tiles through shared memory so both the read and the write are coalesced.
__global__ void transpose_kernel(const float* __restrict__ in, int rows, int cols,
                                 float* __restrict__ out) {
  __shared__ float tile[kTile][kTile + 1];
  const int c0 = blockIdx.x * kTile, r0 = blockIdx.y * kTile;
  for (int i = threadIdx.y; i < kTile; i += blockDim.y) {
    const int r = r0 + i, c = c0 + threadIdx.x;
    if (r < rows && c < cols) tile[i][threadIdx.x] = in[static_cast<size_t>(r) * cols + c];
  }
  __syncthreads();
  for (int i = threadIdx.y; i < kTile; i += blockDim.y) {
    const int c = c0 + i, r = r0 + threadIdx.x;
    if (r < rows && c < cols) out[static_cast<size_t>(c) * rows + r] = tile[threadIdx.x][i];
  }
}

}  // namespace

bool fused_lstm_resident(int H) { return H == 64 || H == 128; }

FusedLstmPath fused_lstm_resolve(const FusedLstmBatch& batch) {
  switch (batch.path) {
    case FusedLstmPath::Resident:
      SENTI_CHECK(fused_lstm_resident(batch.H), "fused LSTM: no resident path for H=", batch.H,
                  " (only 64 and 128)");
      return FusedLstmPath::Resident;
    case FusedLstmPath::Generic:
      return FusedLstmPath::Generic;
    default:
      return fused_lstm_resident(batch.H) ? FusedLstmPath::Resident : FusedLstmPath::Generic;
  }
}

const char* fused_lstm_path_name(FusedLstmPath path) {
  switch (path) {
    case FusedLstmPath::Resident: return "resident (R on chip, 4H threads a row)";
    case FusedLstmPath::Generic: return "generic (R from L2)";
    default: return "auto";
  }
}

void fused_lstm_transpose(const float* in, int rows, int cols, float* out, cudaStream_t stream) {
  SENTI_CHECK(in && out && rows > 0 && cols > 0, "fused_lstm_transpose: bad arguments");
  const dim3 grid((cols + kTile - 1) / kTile, (rows + kTile - 1) / kTile);
  launch(transpose_kernel, grid, dim3(kTile, 8), 0, stream, in, rows, cols, out);
}

}  // namespace senti::kernels
