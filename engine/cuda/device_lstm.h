#pragma once
// One LSTM layer on the device, the piece of the CUDA backend that has several implementations:
//   CudnnLstm      cuDNN's RNN API (engine/cuda/cudnn_lstm.*; real GPU only)
//   CpuStandInLstm the CPU twin on the device buffers (engine/cuda/cpu_standin_lstm.*; emulated
//                  device only, where device memory is host memory)
//   (fused)        senti's own kernels, to come (issue 13)
// make_device_lstm() is the one place that picks one (BackendOptions::lstm).
//
// Keras semantics: gates i, f, c(g), o; h0 = c0 = 0; every sequence runs all T steps (no mask).
// Layouts are sequence-major: x [T, B, E], y [T, B, H]; hy [B, H] is the state after step T.
// Weights: the Keras block, kernel (E, 4H) | recurrent_kernel (H, 4H) | bias (4H), adjacent in
// the flat parameter buffer (ParamLayout). Every call is queued on the stream the layer was made
// for and keeps that stream's order; none synchronises with the host unless it says so.
#include <cstdint>
#include <memory>
#include <string>

#include <cuda_runtime_api.h>

#include "engine/backend.h"

namespace senti::cuda {

struct DeviceLstmShape {
  int input_size = 0;  // E
  int hidden = 0;      // H
  int max_batch = 0;   // largest B
  int maxlen = 0;      // largest T
  int64_t keras_size() const {  // floats in the Keras block: E*4H + H*4H + 4H
    const int64_t G = 4 * static_cast<int64_t>(hidden);
    return (static_cast<int64_t>(input_size) + hidden + 1) * G;
  }
};

class DeviceLstm {
 public:
  virtual ~DeviceLstm() = default;

  // "cuDNN 9.19.0 (STANDARD, FP32 FMA)", "CPU stand-in (...)": for Backend::describe().
  virtual std::string describe() const = 0;
  const DeviceLstmShape& shape() const { return shape_; }
  int64_t keras_size() const { return shape_.keras_size(); }

  // Keras block (device) -> the layer's weights. Call again after every change of the block.
  virtual void load_keras(const float* keras_block) = 0;
  // The weight gradient of the last backward() -> Keras block (device), overwritten.
  virtual void gradient_to_keras(float* keras_block_grad) = 0;

  // x [T,B,E] -> y [T,B,H], hy [B,H]; training = true keeps what backward() needs.
  // lengths: device [B] true lengths for masking, or null (all T steps). Masking is not
  // implemented yet: every implementation requires null.
  virtual void forward(int B, int T, const int32_t* lengths, const float* x, float* y, float* hy,
                       bool training) = 0;
  // After forward(training) of the same shape and inputs: dx [T,B,E] and the weight gradient from
  // dL/dhy [B,H] (dL/dy = 0: only hy feeds the dense layer).
  virtual void backward(int B, int T, const int32_t* lengths, const float* x, const float* y,
                        const float* dhy, float* dx) = 0;

 protected:
  explicit DeviceLstm(const DeviceLstmShape& shape);
  // The checks every implementation makes on a call's shape (B, T within the maxima; no lengths).
  void check_call(const char* what, int B, int T, const int32_t* lengths) const;

 private:
  DeviceLstmShape shape_;
};

// What LstmKind::Auto means in this build: Cudnn on a real GPU, StandIn on the emulated device.
LstmKind resolve_lstm_kind(LstmKind requested);

// The layer `kind` names (after resolve_lstm_kind), queued on `stream`. A UsageError naming
// --lstm when this build cannot run it (cuDNN on the emulated device, the stand-in on a real GPU,
// fused before it exists). deterministic: ask the library for reproducible results.
std::unique_ptr<DeviceLstm> make_device_lstm(LstmKind kind, const DeviceLstmShape& shape,
                                             cudaStream_t stream, bool deterministic);

}  // namespace senti::cuda
