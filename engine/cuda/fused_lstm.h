#pragma once
// The DeviceLstm on senti's own kernels (kernels/lstm_fused.cuh): the recurrences run as one
// fused kernel each (a block per row through all its steps, R on chip), and everything else is
// a GEMM (engine/cuda/gemm.h, cuBLAS on a GPU, OpenBLAS host tasks on the emulated device):
//
//   forward   P = x·W                       GEMM  (T·B, E) x (E, 4H)
//             recurrence -> y, hy, gates, c, tanh(c)      fused_lstm_forward
//   backward  recurrence -> dZ              fused_lstm_backward
//             dW = x^T·dZ                   GEMM  (E, T·B) x (T·B, 4H)
//             dR = y_{t-1}^T·dZ_t           GEMM  over the rows shifted by one step (y is zero at
//                                                 padded positions and dZ is zero there, so no mask)
//             db = 1^T·dZ                   GEMM  (1, T·B) x (T·B, 4H)
//             dx = dZ·W^T                   GEMM  (T·B, 4H) x (4H, E)
//
// Weights are read in place from the Keras block (kernel | recurrent_kernel | bias, the kernels use
// the Keras column order), so load_keras only records the pointer (and transposes R for the
// generic path's backward); the gradient GEMMs write the Keras-layout gradient directly.
// Per-row lengths run natively: each row's block stops at its length (docs/model.md semantics).
// Deterministic: no atomics anywhere; the same inputs give bit-identical outputs.
#include <cstdint>
#include <string>

#include <cuda_runtime_api.h>

#include "engine/cuda/device_buffer.h"
#include "engine/cuda/device_lstm.h"
#include "engine/cuda/gemm.h"
#include "kernels/lstm_fused.cuh"

namespace senti::cuda {

class FusedLstm final : public DeviceLstm {
 public:
  // path: Auto (resident where it exists for H) or forced, for tests.
  FusedLstm(const DeviceLstmShape& shape, cudaStream_t stream,
            kernels::Padding padding = kernels::Padding::Post,
            kernels::FusedLstmPath path = kernels::FusedLstmPath::Auto);

  std::string describe() const override;
  void load_keras(const float* keras_block) override;
  void gradient_to_keras(float* keras_block_grad) override;
  void forward(int B, int T, const int32_t* lengths, const float* x, float* y, float* hy,
               bool training) override;
  void backward(int B, int T, const int32_t* lengths, const float* x, const float* y,
                const float* dhy, float* dx) override;

  kernels::FusedLstmPath path() const { return path_; }
  // Where the padding of the next calls' rows is (Batch.padding); read only with lengths. A
  // backward must see the padding of its forward.
  void set_padding(kernels::Padding padding) { padding_ = padding; }

 private:
  kernels::FusedLstmBatch batch(int B, int T, const int32_t* lengths) const;

  cudaStream_t stream_;
  kernels::Padding padding_;
  kernels::FusedLstmPath path_;  // resolved: Resident or Generic
  int E_, H_, G_;
  Gemm gemm_;
  const float* keras_ = nullptr;  // W (E, 4H) | R (H, 4H) | b (4H), owned by the caller
  DeviceBuffer<float> rt_;        // (4H, H) R^T, generic path only
  DeviceBuffer<float> pre_, gates_, dz_;  // [T, B, 4H]
  DeviceBuffer<float> c_, tc_;            // [T, B, H]
  DeviceBuffer<float> ones_;              // [max_batch * maxlen] of 1 (db as a GEMM)
  DeviceBuffer<float> grad_;              // the Keras block's gradient of the last backward
  int trained_B_ = 0, trained_T_ = 0;     // shape of the last forward(training)
  const int32_t* trained_lengths_ = nullptr;
};

}  // namespace senti::cuda
