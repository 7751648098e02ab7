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
// A bidirectional layer runs both directions in each fused launch (grid B x 2) and one set of
// GEMMs per direction; y and hy are [.., 2H] with the backward direction in columns [H, 2H). The
// backward direction's h_prev at position t is its h at t + 1, so its dR GEMM pairs y rows
// [B, T·B) with dZ rows [0, (T-1)·B); dx adds both directions' dZ·W^T.
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
  // path: Auto (resident where it exists for H) or forced, for tests. Lengths and dL/dy are
  // accepted whatever the shape's flags say (this layer implements them all).
  FusedLstm(const DeviceLstmShape& shape, cudaStream_t stream,
            kernels::Padding padding = kernels::Padding::Post,
            kernels::FusedLstmPath path = kernels::FusedLstmPath::Auto);

  std::string describe() const override;
  void load_keras(const float* keras_block) override;
  void gradient_to_keras(float* keras_block_grad) override;
  void load_keras_reverse(const float* keras_block) override;
  void gradient_to_keras_reverse(float* keras_block_grad) override;
  void forward(int B, int T, const int32_t* lengths, const float* x, float* y, float* hy,
               bool training) override;
  void backward(int B, int T, const int32_t* lengths, const float* x, const float* y,
                const float* dy, const float* dhy, float* dx) override;

  kernels::FusedLstmPath path() const { return path_; }

 private:
  kernels::FusedLstmBatch batch(int B, int T, const int32_t* lengths) const;
  void load(int d, const float* keras_block);
  // Direction d's slices of the per-direction buffers.
  float* dir_part(DeviceBuffer<float>& buf, int d, size_t per_dir) const {
    return buf.get() + static_cast<size_t>(d) * per_dir;
  }

  cudaStream_t stream_;
  kernels::FusedLstmPath path_;  // resolved: Resident or Generic
  int E_, H_, G_, D_;
  size_t BT_;                     // max_batch * maxlen: rows of one direction's buffers
  Gemm gemm_;
  const float* keras_[2] = {nullptr, nullptr};  // per direction W | R | b, owned by the caller
  DeviceBuffer<float> rt_;        // [D] (4H, H) R^T, generic path only
  DeviceBuffer<float> pre_, gates_, dz_;  // [D][T, B, 4H]
  DeviceBuffer<float> c_, tc_;            // [D][T, B, H]
  DeviceBuffer<float> ones_;              // [max_batch * maxlen] of 1 (db as a GEMM)
  DeviceBuffer<float> grad_;              // [D] the Keras blocks' gradient of the last backward
  int trained_B_ = 0, trained_T_ = 0;     // shape of the last forward(training)
  const int32_t* trained_lengths_ = nullptr;
};

}  // namespace senti::cuda
